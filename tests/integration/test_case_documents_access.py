"""Every file of a case, through the real gateway, follows the case's rule (issue 14 item 1,
issue 16 item 1): a 呼和浩特市 enterprise (region 150105) submits a 安全生产许可证 application
(chain 盟市 → 自治区) and a 安管人员 declaration (same chain). The 包头市 city reviewer gets 404,
and an audit row, for its 申报表, signed scan, materials, licence PDF, declaration files and
registration scans, on the API routes and on the in-page viewer's route; the 呼和浩特市 city
reviewer and the 自治区 reviewer get 303 / 200 and open each document from the case page (the
viewer's URL answers application/pdf inline); the enterprise itself still can, another one cannot."""

from __future__ import annotations

import re
import uuid

import pytest
import requests
from sqlalchemy import text

from tests.support.permits import submitted_cip_application
from tests.support.personnel import case_id_of, person_data, report, upload_required
from tests.support.registration import PASSWORD
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


class Reviewer:
    """A real reviewer account signed in at the gateway, and its actor for RPC set-up steps."""

    def __init__(self, cluster, gateway: str, level: str, region: str, name: str) -> None:
        username = f"doc{level[:2]}{uuid.uuid4().hex[:10]}"
        cluster.identity.create_staff_account(None, {
            "kind": "reviewer", "username": username, "contact_name": name,
            "email": f"{username}@example.com", "password": PASSWORD, "level": level,
            "region_code": region})
        self.http = requests.Session()
        signed_in = self.http.post(gateway + "/api/v1/session",
                                   json={"login": username, "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        self.id = str(signed_in.json()["account"]["id"])
        self.actor = {"id": self.id, "kind": "reviewer", "level": level, "region_code": region,
                      "permissions": [], "enterprise_id": None, "name": name}


def status(http: requests.Session, url: str) -> int:
    return http.get(url, allow_redirects=False, timeout=30).status_code


def opens_inline_pdf(http: requests.Session, url: str) -> bool:
    response = http.get(url, timeout=30)
    return (response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
            and response.headers["Content-Disposition"].startswith("inline;")
            and response.content.startswith(b"%PDF"))


def refusals(engines, service: str, actor_id: str) -> set[str]:
    with engines(service).connect() as conn:
        return {str(r.subject_id) for r in conn.execute(text(
            "select subject_id from audit_log where actor_id = :a and action = :x"),
            {"a": actor_id, "x": f"{service}.access_refused"})}


def enterprise_refused(engines, actor_id: str) -> set[str]:
    """What enterprise's refusal audit rows name (``what``: the file asked for)."""
    with engines("enterprise").connect() as conn:
        return {str(r.what) for r in conn.execute(text(
            "select detail->>'what' as what from audit_log where actor_id = :a "
            "and action = 'enterprise.access_refused'"), {"a": actor_id})}


def case_page_documents(http: requests.Session, gateway: str, case_id: str) -> tuple[set[str], str]:
    """The document links of the case page and the document its viewer suggests first."""
    page = http.get(f"{gateway}/review/cases/{case_id}", timeout=30)
    assert page.status_code == 200, page.text[:300]
    links = set(re.findall(r'href="(/documents/[a-z]+/[0-9a-f-]+)" target="doc-viewer"', page.text))
    viewer = re.search(r'<iframe name="doc-viewer" id="doc-viewer" class="doc-viewer" data-first="([^"]+)"',
                       page.text)
    assert viewer, "the case page has no document viewer"
    return links, viewer.group(1)


@pytest.fixture(scope="module")
def world(cluster, running_platform, gateway, new_active_enterprise):
    http_a, _, account_a = new_active_enterprise()
    http_b, _, _ = new_active_enterprise()
    a = {"id": account_a["id"], "kind": "enterprise", "enterprise_id": account_a["id"], "permissions": []}
    assert cluster.enterprise.records_for_precheck(None, a["id"])["region_code"] == "150105"
    app, _ = submitted_cip_application(cluster, running_platform, a)
    decl = cluster.personnel.new_declaration(a, {
        "type_code": "safety", "kind": "new", "person": person_data("周材料"), "form": {"class_code": "B"}})
    decl = upload_required(cluster, a, decl)
    assert report(cluster, a, float(running_platform["personnel"]["commitment_seconds"]),
                  declaration_ids=[decl["id"]])["results"][0]["ok"]
    return {
        "a": a, "http_a": http_a, "http_b": http_b, "app": app, "decl": decl,
        "hohhot": Reviewer(cluster, gateway, "city", "150100", "呼和浩特市审核员"),
        "baotou": Reviewer(cluster, gateway, "city", "150200", "包头市审核员"),
        "province": Reviewer(cluster, gateway, "province", "150000", "自治区审核员"),
    }


def test_permit_files_follow_the_case_rule_from_submission_to_licence(
        world, cluster, gateway, engines):
    w, a = world, world["a"]
    hohhot, baotou, province = w["hohhot"], w["baotou"], w["province"]
    view = cluster.permits.get_application(a, w["app"]["id"])
    files = {f["id"]: f for f in view["attachments"]}
    assert view["form_attachment_id"] in files and view["signed_scan_id"] in files and len(files) >= 3
    case_id = case_id_of(engines, view["case_ref"])

    for aid in files:
        api = f"{gateway}/api/v1/permits/attachments/{aid}"
        viewer = f"{gateway}/documents/permits/{aid}"
        assert status(baotou.http, api) == 404 and status(baotou.http, viewer) == 404
        assert status(w["http_b"], api) == 404 and status(w["http_b"], viewer) == 404
        assert status(w["http_a"], api) == 303 and opens_inline_pdf(w["http_a"], viewer)
        for reader in (hohhot, province):
            assert status(reader.http, api) == 303, (reader.actor, files[aid]["label"])
    assert set(files) <= refusals(engines, "permits", baotou.id)
    # nor does the 包头 reviewer read the application itself (the API is the enterprise's: 403)
    assert status(baotou.http, f"{gateway}/api/v1/permits/applications/{view['id']}") in (403, 404)

    # The 呼和浩特 city desk holds the case: its page lists every file, the viewer opens the 申报表.
    links, src = case_page_documents(hohhot.http, gateway, case_id)
    assert links == {f"/documents/permits/{aid}" for aid in files}
    assert src == f"/documents/permits/{view['form_attachment_id']}"
    for link in links:
        assert opens_inline_pdf(hohhot.http, gateway + link), link
    assert status(baotou.http, f"{gateway}/review/cases/{case_id}") in (403, 404)

    # 受理, 报批 to the province; the 自治区 reviewer opens every document from its page; 同意.
    cluster.review.claim(hohhot.actor, case_id)
    cluster.review.act(hohhot.actor, case_id, {"action": "accept", "comment": "受理"})
    cluster.review.act(hohhot.actor, case_id, {"action": "forward", "comment": "报自治区"})
    links, src = case_page_documents(province.http, gateway, case_id)
    assert src == f"/documents/permits/{view['form_attachment_id']}"
    for link in links:
        assert opens_inline_pdf(province.http, gateway + link), link
    cluster.review.claim(province.actor, case_id)
    cluster.review.act(province.actor, case_id, {"action": "approve", "comment": "同意"})
    wait_for(lambda: cluster.permits.get_application(a, view["id"])["state"] == "licence_issued",
             timeout=60, what="the licence issued")
    licence = cluster.permits.my_licences(a)[0]
    pdf = licence["certificate_attachment_id"]
    api = f"{gateway}/api/v1/permits/attachments/{pdf}"
    viewer = f"{gateway}/documents/permits/{pdf}"
    assert status(baotou.http, api) == 404 and status(baotou.http, viewer) == 404
    assert status(w["http_b"], api) == 404
    assert pdf in refusals(engines, "permits", baotou.id)
    assert status(w["http_a"], api) == 303
    for reader in (hohhot, province):  # both desks held a step of the case that issued it
        assert status(reader.http, api) == 303 and opens_inline_pdf(reader.http, viewer)


def test_declaration_files_and_registration_scans_follow_the_case_rule(world, cluster, gateway, engines):
    w, a = world, world["a"]
    hohhot, baotou, province = w["hohhot"], w["baotou"], w["province"]
    decl = cluster.personnel.get_declaration(a, w["decl"]["id"])
    files = [f["id"] for f in decl["attachments"]]
    assert files
    case_id = case_id_of(engines, decl["case_ref"])
    for aid in files:
        for route in (f"/api/v1/personnel/attachments/{aid}", f"/personnel/files/{aid}",
                      f"/documents/personnel/{aid}"):
            assert status(baotou.http, gateway + route) == 404, route
            assert status(w["http_b"], gateway + route) == 404, route
        assert status(hohhot.http, f"{gateway}/api/v1/personnel/attachments/{aid}") == 303
        assert status(province.http, f"{gateway}/api/v1/personnel/attachments/{aid}") == 303
        assert status(w["http_a"], f"{gateway}/api/v1/personnel/attachments/{aid}") == 303
    assert set(files) <= refusals(engines, "personnel", baotou.id)
    links, _ = case_page_documents(hohhot.http, gateway, case_id)
    assert links == {f"/documents/personnel/{aid}" for aid in files}
    for link in links:
        assert hohhot.http.get(gateway + link, timeout=30).status_code == 200, link

    # Registration scans (registration review: the 自治区 desk) and every enterprise file: read
    # through a case about the enterprise that the reviewer's desk works on.
    scans = cluster.enterprise.get_enterprise(a, a["id"])["files"]
    for scan in (scans["business_licence"]["id"], scans["legal_rep_id"]["id"]):
        for route in (f"/files/enterprise/{scan}", f"/documents/enterprise/{scan}"):
            assert status(baotou.http, gateway + route) == 404, route
            assert status(w["http_b"], gateway + route) == 404, route
        assert status(province.http, f"{gateway}/files/enterprise/{scan}") == 303
        assert opens_inline_pdf(province.http, f"{gateway}/documents/enterprise/{scan}")
        assert status(w["http_a"], f"{gateway}/files/enterprise/{scan}") == 303

    # A 变更申请's case (province desk) carries the scans the change is checked against.
    change = cluster.enterprise.request_change(a, a["id"], {
        "changes": {"legal_representative": "李四"}, "reason": "法定代表人变更"})
    change_case = case_id_of(engines, f"enterprise:change:{change['id']}")
    links, src = case_page_documents(province.http, gateway, change_case)
    scan_ids = [scans["business_licence"]["id"], scans["legal_rep_id"]["id"]]
    assert links == {f"/documents/enterprise/{scan}" for scan in scan_ids}
    assert src == f"/documents/enterprise/{scan_ids[0]}"
    for link in links:
        assert opens_inline_pdf(province.http, gateway + link), link
        assert status(baotou.http, gateway + link) == 404
    assert enterprise_refused(engines, baotou.id) >= {f"attachment:{scan}" for scan in scan_ids}

