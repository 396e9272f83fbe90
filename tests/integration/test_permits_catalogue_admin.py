"""业务目录维护 (issue 16 item 9) through the real gateway, permits and database: an admin's invalid
catalogue is refused with the loader's lines (catalogue_invalid) and nothing changes; a valid
one becomes the next version, active at once (audited); an application submitted before keeps
its version's materials, transaction and time limit, while a draft made after uses the new
ones; activating the earlier version again (rollback) leaves that draft on the version it was
made under. The pages list, show, compare and publish. The previously active version is
activated again at the end, so the rest of the run sees the shipped catalogue."""

from __future__ import annotations

import time
import uuid

import pytest
import requests
from sqlalchemy import text

from services.common.errors import Conflict, Forbidden, ValidationFailed
from tests.integration.test_permits_pfl import ADMIN
from tests.support.enterprise import upload
from tests.support.permits import (
    CIP_ITEMS,
    CIP_VALUES,
    Broker,
    new_enterprise,
    signed_scan,
    submitted_cip_application,
    upload_all_materials,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
PASSWORD = "Qlp#2026-catalogue-admin"
FAMILY = "cip_safety"
EXTRA = "      - {code: version_test_extra, name: 版本测试补充材料, required: true, owable: false}\n"
NEW_LABEL = "新增申报（第二版）"


def changed(shipped: str) -> str:
    """The CIP file with a new required material, another 新增 label and a shorter time limit."""
    anchor = "    attachments:\n"
    assert shipped.count(anchor) == 1 and shipped.count("label: 新增申报\n") == 1
    result = shipped.replace(anchor, anchor + EXTRA)
    result = result.replace("label: 新增申报\n", f"label: {NEW_LABEL}\n")
    limit = "time_limit_days: {normal: 45}"
    assert limit in result
    return result.replace(limit, "time_limit_days: {normal: 30}", 1)


@pytest.fixture(scope="module")
def admin_http(cluster, gateway) -> tuple[requests.Session, str]:  # noqa: F811
    username = "cat" + uuid.uuid4().hex[:9]
    cluster.identity.create_staff_account(None, {
        "kind": "admin", "username": username, "contact_name": "目录管理员",
        "email": f"{username}@example.com", "password": PASSWORD, "level": None, "region_code": None})
    http = requests.Session()
    assert http.post(f"{gateway}/api/v1/session", json={"login": username, "password": PASSWORD},
                     timeout=30).status_code == 200
    return http, http.get(f"{gateway}/api/v1/session", timeout=30).json()["csrf_token"]


def codes(view: dict) -> set[str]:  # the required materials of an application's view
    return {spec["code"] for spec in view["required_attachments"]}


def review_limit(events: Broker, app_id: str) -> int:
    found = wait_for(lambda: events.of("review_requested", case_ref=f"permits:application:{app_id}"),
                     what="review_requested")
    return found[0]["data"]["time_limit_days"]


def test_publish_pin_and_rollback(cluster, running_platform, engines, gateway, admin_http):  # noqa: F811
    http, csrf = admin_http
    families = {f["family"]: f for f in cluster.permits.catalogue_families(ADMIN)}
    assert set(families) >= {"cip_safety", "hmq_maintenance", "pfl_power"}
    before = families[FAMILY]["active"]
    shipped = cluster.permits.catalogue_version(ADMIN, FAMILY, before["number"])["text"]
    reviewer = {**ADMIN, "id": str(uuid.uuid4()), "kind": "reviewer"}
    with pytest.raises(Forbidden):
        cluster.permits.catalogue_families(reviewer)
    with pytest.raises(Forbidden):
        cluster.permits.publish_catalogue(reviewer, {"family": FAMILY, "text": shipped, "comment": "x"})

    actor = new_enterprise(cluster, running_platform)
    old_app, _ = submitted_cip_application(cluster, running_platform, actor)
    old_view = cluster.permits.get_application(actor, old_app["id"])
    events = Broker(running_platform, "permits.events")
    try:
        # An invalid catalogue is refused with the loader's lines, over the API too; nothing changes.
        broken = shipped.replace("validity_years: 3", "validity_years: 三年", 1)
        with pytest.raises(ValidationFailed) as refused:
            cluster.permits.publish_catalogue(ADMIN, {"family": FAMILY, "text": broken, "comment": "错"})
        assert refused.value.code == "catalogue_invalid"
        lines = [e["message"] for e in refused.value.fields["text"]]
        where = "cip_safety.yaml: types.cip_safety.licence.validity_years"
        assert any(line.startswith(where) for line in lines), lines
        answer = http.post(f"{gateway}/api/v1/admin/catalogue/{FAMILY}", timeout=60,
                           json={"text": broken, "comment": "错误"}, headers={"X-CSRF-Token": csrf})
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "catalogue_invalid"
        page = http.post(f"{gateway}/admin/catalogue/{FAMILY}", data={"csrf_token": csrf, "text": broken,
                                                                      "comment": "错误"}, timeout=60)
        assert page.status_code == 422 and "validity_years" in page.text and "业务目录未发布" in page.text
        dropped = shipped.replace("  cip_safety:\n", "  cip_safety_renamed:\n", 1)
        with pytest.raises(ValidationFailed) as removal:
            cluster.permits.publish_catalogue(ADMIN, {"family": FAMILY, "text": dropped, "comment": "改名"})
        assert any("不能删除已有的业务类型" in e["message"] for e in removal.value.fields["text"])
        with pytest.raises(Conflict):
            cluster.permits.publish_catalogue(ADMIN, {"family": FAMILY, "text": shipped, "comment": "相同"})
        assert cluster.permits.catalogue_history(ADMIN, FAMILY)["active"]["number"] == before["number"]

        # A valid one through the page: the next version, active at once, audited.
        page = http.post(f"{gateway}/admin/catalogue/{FAMILY}", timeout=60, allow_redirects=False,
                         data={"csrf_token": csrf, "comment": "增加版本测试补充材料，时限改为30日"},
                         files={"file": ("cip_safety.yaml", changed(shipped).encode(), "text/yaml")})
        assert page.status_code == 303, page.text
        history = cluster.permits.catalogue_history(ADMIN, FAMILY)
        new = history["active"]
        assert new["number"] > before["number"] and new["source"] == "admin"
        assert new["created_by_name"] == "目录管理员" and new["comment"].startswith("增加版本测试补充材料")
        with engines("permits").connect() as conn:
            audited = conn.execute(text("select detail from audit_log where action ="
                                        " 'permits.catalogue.publish' and subject_id = :f"
                                        " order by id desc limit 1"), {"f": FAMILY}).one()
        assert audited.detail["number"] == new["number"] and audited.detail["sha256"] == new["sha256"]

        # The submitted application is unchanged; a new draft uses the new version.
        again = cluster.permits.get_application(actor, old_app["id"])
        for key in ("required_attachments", "transaction_label", "form_inputs", "type_name", "selection",
                    "state", "version"):
            assert again[key] == old_view[key], key
        assert "version_test_extra" not in codes(old_view) and old_view["transaction_label"] == "新增申报"
        draft = cluster.permits.create_draft(actor, {"type_code": "cip_safety", "transaction_kind": "new",
                                                     "items": CIP_ITEMS, "values": CIP_VALUES})
        draft = cluster.permits.run_precheck(actor, draft["id"])
        draft_view = cluster.permits.get_application(actor, draft["id"])
        assert "version_test_extra" in codes(draft_view) and draft_view["transaction_label"] == NEW_LABEL
        assert cluster.permits.catalogue_type({}, "cip_safety")["transactions"]  # the public reading works

        # Rollback: the earlier version is active again; the draft keeps the version it was made under.
        rollback = f"{gateway}/api/v1/admin/catalogue/{FAMILY}/versions/{before['number']}/activate"
        activated = http.post(rollback, json={"comment": "回退"}, headers={"X-CSRF-Token": csrf}, timeout=60)
        assert activated.status_code == 200, activated.text
        assert cluster.permits.catalogue_history(ADMIN, FAMILY)["active"]["number"] == before["number"]
        later = cluster.permits.create_draft(actor, {"type_code": "cip_safety", "transaction_kind": "new",
                                                     "items": CIP_ITEMS, "values": CIP_VALUES})
        assert "version_test_extra" not in codes(cluster.permits.get_application(actor, later["id"]))
        assert "version_test_extra" in codes(cluster.permits.get_application(actor, draft["id"]))
        with engines("permits").connect() as conn:
            pinned = dict(conn.execute(text("select id::text, catalogue_version_id from applications"
                                            " where id in (:a, :b, :c)"),
                                       {"a": old_app["id"], "b": draft["id"], "c": later["id"]}).all())
        assert pinned[old_app["id"]] == before["id"] == pinned[later["id"]]
        assert pinned[draft["id"]] == new["id"]

        # Submitted under the new version: its material and its time limit travel with it.
        draft = cluster.permits.run_precheck(actor, draft["id"])
        cluster.permits.generate_form(actor, draft["id"])
        form = cluster.permits.get_application(actor, draft["id"])
        cluster.permits.upload_signed_scan(actor, draft["id"], upload("签章申报表.pdf", signed_scan(8)))
        upload_all_materials(cluster, actor, form)
        cluster.permits.preview(actor, draft["id"])
        cluster.permits.open_commitment(actor, draft["id"])
        time.sleep(running_platform["permits"]["commitment_seconds"] + 0.3)
        cluster.permits.confirm_commitment(actor, draft["id"])
        assert cluster.permits.submit(actor, draft["id"], uuid.uuid4().hex)["state"] == "submitted"
        assert review_limit(events, draft["id"]) == 30

        # The pages: the list, the history, a version's YAML and the comparison.
        listing = http.get(f"{gateway}/admin/catalogue", timeout=30)
        assert listing.status_code == 200 and "业务目录维护" in listing.text
        assert "建筑施工企业安全生产许可证" in listing.text
        family_page = http.get(f"{gateway}/admin/catalogue/{FAMILY}", timeout=30)
        assert family_page.status_code == 200 and f"第{new['number']}版" in family_page.text
        assert "目录管理员" in family_page.text and "启用此版本" in family_page.text
        shown = http.get(f"{gateway}/admin/catalogue/{FAMILY}/versions/{new['number']}", timeout=30)
        assert shown.status_code == 200 and "版本测试补充材料" in shown.text
        diff = http.get(f"{gateway}/admin/catalogue/{FAMILY}/diff",
                        params={"old": before["number"], "new": new["number"]}, timeout=30)
        assert diff.status_code == 200 and "diff-added" in diff.text and "version_test_extra" in diff.text
        api_diff = http.get(f"{gateway}/api/v1/admin/catalogue/{FAMILY}/diff",
                            params={"old": before["number"], "new": new["number"]}, timeout=30).json()
        assert api_diff["added"] == 3 and api_diff["removed"] == 2
        assert http.get(f"{gateway}/api/v1/admin/catalogue/{FAMILY}/diff", params={"old": "x", "new": 1},
                        timeout=30).json()["error"]["code"] == "invalid_query"
    finally:
        events.close()
        current = cluster.permits.catalogue_history(ADMIN, FAMILY)["active"]
        if current["number"] != before["number"]:
            cluster.permits.activate_catalogue(ADMIN, {"family": FAMILY, "number": before["number"]})
