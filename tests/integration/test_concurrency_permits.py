"""Background work never fights the user, and idempotency under concurrency (issue 13),
through the real gateway, bus, services and databases:

- while ~70 edits of the enterprise's records land at once (threads through the gateway's
  API), the user re-runs the pre-check (重新预审) and edits the application: none of the
  user's requests is refused (no 409 stale_version), the re-check handler never fails (no
  StaleDataError in permits.log, its retry / dead-letter counters stay where they were), and
  the final pre-check is judged on the last records;
- ten concurrent submits with one X-Idempotency-Key all get the first answer (same status,
  same body) and one submission exists; the same for ten concurrent draft creations.
"""

from __future__ import annotations

import base64
import random
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from deploy.processes import log_path
from services.common.config import nameko_config
from tests.support.data import random_mobile, random_resident_id
from tests.support.permits import (
    CIP_ITEMS,
    CIP_STAFF,
    CIP_VALUES,
    commit,
    publish_review_event,
    staff,
)
from tests.support.personnel_pages import scan_file
from tests.support.registration import PASSWORD, active_enterprise, login, province_reviewer
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

EDITORS = 10  # records edited in parallel, each by its own thread
EDITS_EACH = 7  # 70 edits in all


@pytest.fixture(scope="module")
def enterprise(cluster, running_platform, gateway):
    """An active enterprise signed in through the gateway: (session, csrf, actor for RPC)."""
    approver, _ = login(gateway, province_reviewer(cluster, PASSWORD)["login"])
    http, csrf, account = active_enterprise(gateway, running_platform, approver)
    eid = account["id"]
    actor = {"id": eid, "kind": "enterprise", "enterprise_id": eid, "permissions": [],
             "level": None, "region_code": None}
    return http, csrf, actor


def twin(http: requests.Session) -> requests.Session:
    """Another connection with the same signed-in session (one per thread)."""
    other = requests.Session()
    other.cookies.update(http.cookies)
    return other


def counters(config: dict, name: str) -> float:
    """The sum of permits' ``name`` counter over the records_changed / key_person queues."""
    body = requests.get(f"http://127.0.0.1:{config['metrics_ports']['permits']}/metrics", timeout=10).text
    pattern = re.compile(rf'^{name}\{{[^}}]*queue="[^"]*(records_changed|key_person)[^"]*"[^}}]*\}} (\S+)$',
                         re.MULTILINE)
    return sum(float(m.group(2)) for m in pattern.finditer(body))


def prepared_draft(gateway: str, http: requests.Session, csrf: str) -> tuple[dict, dict[str, dict]]:
    """The CIP staff (precheck passes) and a draft through the API, pre-checked."""
    headers = {"X-CSRF-Token": csrf}
    saved = {}
    for category, name, cert in CIP_STAFF:
        response = http.post(f"{gateway}/api/v1/enterprise/staff", headers=headers,
                             json=staff(category, name, cert), timeout=30)
        assert response.status_code == 201, response.text
        saved[name] = response.json()
    created = http.post(f"{gateway}/api/v1/permits/applications", headers=headers, timeout=30,
                        json={"type_code": "cip_safety", "transaction_kind": "new",
                              "items": CIP_ITEMS, "values": CIP_VALUES})
    assert created.status_code == 201, created.text
    app = created.json()
    checked = http.post(f"{gateway}/api/v1/permits/applications/{app['id']}/precheck",
                        headers=headers, json={"version": app["version"]}, timeout=30)
    assert checked.status_code == 200 and checked.json()["precheck"]["passed"], checked.text
    return checked.json(), saved


def test_records_storm_never_refuses_the_users_own_actions(cluster, running_platform, gateway,
                                                          enterprise):
    http, csrf, actor = enterprise
    headers = {"X-CSRF-Token": csrf}
    app, _ = prepared_draft(gateway, http, csrf)
    fillers = []
    for i in range(EDITORS):
        made = http.post(f"{gateway}/api/v1/enterprise/staff", headers=headers, timeout=30,
                         json=staff("electrician", f"电工{i}", None))
        assert made.status_code == 201, made.text
        fillers.append(made.json())
    log = log_path("permits", running_platform)
    log_offset = log.stat().st_size if log.exists() else 0
    retried = counters(running_platform, "qlp_events_retried_total")
    dead = counters(running_platform, "qlp_events_dead_lettered_total")

    edit_answers: list[int] = []
    done = threading.Event()

    def edit(record: dict) -> None:
        own = twin(http)
        for n in range(EDITS_EACH):
            body = {**{k: v for k, v in record.items() if k != "id"}, "years_experience": 10 + n}
            response = own.put(f"{gateway}/api/v1/enterprise/staff/{record['id']}", headers=headers,
                               json=body, timeout=60)
            edit_answers.append(response.status_code)

    user_answers: list[tuple[str, int, str]] = []
    version = app["version"]
    url = f"{gateway}/api/v1/permits/applications/{app['id']}"
    with ThreadPoolExecutor(EDITORS) as pool:
        futures = [pool.submit(edit, record) for record in fillers]
        threading.Thread(target=lambda: ([f.result() for f in futures], done.set()), daemon=True).start()
        turn = 0
        while not done.is_set() or turn < 6:
            turn += 1
            if turn % 2:
                response = http.post(f"{url}/precheck", headers=headers, json={"version": version},
                                     timeout=60)
            else:
                response = http.patch(url, headers=headers, timeout=60,
                                      json={"version": version, "values": {"email": f"u{turn}@example.com"}})
            what = "precheck" if turn % 2 else "edit"
            user_answers.append((what, response.status_code, response.text[:200]))
            if response.status_code == 200:
                version = response.json()["version"]
    assert edit_answers.count(200) == EDITORS * EDITS_EACH, edit_answers
    refused = [a for a in user_answers if a[1] != 200]
    assert not refused, refused
    assert len(user_answers) >= 6

    final = cluster.enterprise.records_for_precheck(None, actor["id"])["records_version"]

    def judged_on_last_records() -> dict | None:
        view = http.get(url, timeout=30).json()
        return view if view["precheck_records_version"] == final else None

    view = wait_for(judged_on_last_records, timeout=180, what="the pre-check on the last records")
    assert view["precheck"]["passed"] and view["state"] == "prechecked"
    assert view["values"]["email"].startswith("u")  # the user's own edits stood
    text_after = log.read_text(encoding="utf-8", errors="replace")[log_offset:] if log.exists() else ""
    assert "StaleDataError" not in text_after
    assert "stale_version" not in text_after
    assert counters(running_platform, "qlp_events_retried_total") == retried
    assert counters(running_platform, "qlp_events_dead_lettered_total") == dead


def committed_application(cluster, config, gateway, http, csrf, actor) -> dict:
    """A fresh CIP draft taken to committed (申报表, scan, materials, commitment) over RPC."""
    app, _ = prepared_draft(gateway, http, csrf)
    app = commit(cluster, config, actor, cluster.permits.generate_form(actor, app["id"]))
    assert app["state"] == "committed"
    return app


def all_at_once(count: int, call) -> list:
    barrier = threading.Barrier(count)

    def one(_: int) -> object:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_ten_concurrent_submits_with_one_key_get_one_answer(cluster, running_platform, gateway,
                                                            enterprise, engines):
    http, csrf, actor = enterprise
    app = committed_application(cluster, running_platform, gateway, http, csrf, actor)
    key = uuid.uuid4().hex
    sessions = [twin(http) for _ in range(10)]
    answers = all_at_once(10, lambda: sessions.pop().post(
        f"{gateway}/api/v1/permits/applications/{app['id']}/submit", timeout=90,
        headers={"X-CSRF-Token": csrf, "X-Idempotency-Key": key}, json={"version": app["version"]}))
    assert {a.status_code for a in answers} == {200}, [(a.status_code, a.text[:200]) for a in answers]
    assert len({a.content for a in answers}) == 1
    assert answers[0].json()["state"] == "submitted"
    with engines("permits").connect() as conn:
        submitted = conn.execute(text(
            "SELECT count(*) FROM application_history WHERE application_id = :id AND action = 'submit'"),
            {"id": app["id"]}).scalar_one()
    assert submitted == 1
    later = twin(http).post(f"{gateway}/api/v1/permits/applications/{app['id']}/submit", timeout=60,
                            headers={"X-CSRF-Token": csrf, "X-Idempotency-Key": key},
                            json={"version": app["version"]})
    assert later.status_code == 200 and later.content == answers[0].content

    # 补正 requested; ten concurrent resubmits with one key, straight to the service (no
    # gateway layer in between): the key is checked under the row lock, one resubmission.
    publish_review_event(running_platform, "correction_requested", {
        "case_ref": f"permits:application:{app['id']}", "case_id": str(uuid.uuid4()),
        "enterprise_id": actor["id"], "revision": 1, "deadline": "2030-01-31",
        "items": [{"target": "field", "name": "enterprise.legal_representative",
                   "reason": "与营业执照不一致"}],
        "at": datetime.now(UTC).isoformat()})
    wait_for(lambda: cluster.permits.get_application(actor, app["id"])["state"] == "correction_requested",
             what="correction_requested")
    key = uuid.uuid4().hex

    def resubmit() -> dict:
        with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=60) as own:
            return own.permits.resubmit(actor, app["id"], key)

    views = all_at_once(10, resubmit)
    assert {(v["state"], v["revision"]) for v in views} == {("resubmitted", 2)}
    with engines("permits").connect() as conn:
        resubmitted = conn.execute(text(
            "SELECT count(*) FROM application_history WHERE application_id = :id AND action = 'resubmit'"),
            {"id": app["id"]}).scalar_one()
    assert resubmitted == 1


def test_ten_concurrent_draft_creations_with_one_key_make_one_draft(gateway, enterprise, engines):
    http, csrf, _ = enterprise
    key = uuid.uuid4().hex
    sessions = [twin(http) for _ in range(10)]
    body = {"type_code": "cip_safety", "transaction_kind": "new", "items": CIP_ITEMS, "values": CIP_VALUES}
    answers = all_at_once(10, lambda: sessions.pop().post(
        f"{gateway}/api/v1/permits/applications", json=body, timeout=90,
        headers={"X-CSRF-Token": csrf, "X-Idempotency-Key": key}))
    assert {a.status_code for a in answers} == {201}, [(a.status_code, a.text[:200]) for a in answers]
    assert len({a.content for a in answers}) == 1
    with engines("permits").connect() as conn:
        made = conn.execute(text("SELECT count(*) FROM applications WHERE request_key = :k"),
                            {"k": key}).scalar_one()
    assert made == 1
    reused = twin(http).post(f"{gateway}/api/v1/permits/applications", timeout=60,
                             headers={"X-CSRF-Token": csrf, "X-Idempotency-Key": key},
                             json={**body, "values": {}})
    # Another body under the key is another request: permits' own request_key answers it
    # with the draft the key made, no second draft.
    assert reused.status_code == 201 and reused.json()["id"] == answers[0].json()["id"]
    with engines("permits").connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM applications WHERE request_key = :k"),
                            {"k": key}).scalar_one() == 1


def test_twenty_concurrent_draft_creations_draw_twenty_numbers(running_platform, enterprise, engines):
    """申报编号 come from an atomic per-day counter: twenty drafts created at once (each its
    own request, straight to permits over RPC with a generous timeout: the gateway's 8 s RPC
    timeout is not what this is about) all succeed (no 409 申请同时被提交了两次) with twenty
    distinct numbers."""
    _, _, actor = enterprise
    body = {"type_code": "cip_safety", "transaction_kind": "new", "items": CIP_ITEMS, "values": CIP_VALUES}

    def create() -> dict | str:
        with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=180) as own:
            try:
                return own.permits.create_draft(actor, {**body, "request_key": uuid.uuid4().hex})
            except Exception as exc:  # noqa: BLE001 (reported below, with its message)
                return f"{type(exc).__name__}: {exc}"

    answers = all_at_once(20, create)
    assert [a for a in answers if not isinstance(a, dict)] == []
    numbers = [a["number"] for a in answers]
    assert len(set(numbers)) == 20 and all(re.fullmatch(r"SB\d{13}", n) for n in numbers)
    with engines("permits").connect() as conn:
        stored = conn.execute(text("SELECT count(DISTINCT number) FROM applications WHERE id = ANY(:ids)"),
                              {"ids": [uuid.UUID(a["id"]) for a in answers]}).scalar_one()
    assert stored == 20


def test_ten_concurrent_personnel_reports_with_one_form_key_get_one_answer(
        gateway, running_platform, enterprise, tmp_path):
    """人员申报's report names its key in the body (form_key): the ten concurrent duplicates
    all get the first answer, one report (the gateway makes them wait for the first; the
    service alone lets them run, and its key's insert answers the first results)."""
    http, csrf, _ = enterprise
    headers = {"X-CSRF-Token": csrf}
    api = gateway + "/api/v1/personnel"
    rng = random.Random()
    person = http.post(api + "/people", headers=headers, json={
        "name": "郑安全", "id_type": "resident_id", "id_number": random_resident_id(rng),
        "mobile": random_mobile(rng)})
    assert person.status_code == 201, person.text
    started = http.post(api + "/declarations", headers=headers, json={
        "type_code": "safety", "kind": "new", "person_id": person.json()["id"], "form": {"class_code": "C2"}})
    assert started.status_code == 201, started.text
    declaration = started.json()
    scan = base64.b64encode(scan_file(tmp_path).read_bytes()).decode()
    for material in declaration["required_attachments"]:
        uploaded = http.post(api + f"/declarations/{declaration['id']}/attachments/{material['code']}",
                             headers=headers,
                             json={"filename": f"{material['code']}.jpg", "content_b64": scan})
        assert uploaded.status_code == 200, uploaded.text
    letter = http.post(api + "/bulk/commitment", headers=headers,
                       json={"declaration_ids": [declaration["id"]]})
    assert letter.status_code == 200, letter.text
    time.sleep(float(running_platform["personnel"]["commitment_seconds"]) + 0.5)
    body = {"declaration_ids": [declaration["id"]], "commitment_token": letter.json()["token"],
            "confirmed": True, "form_key": uuid.uuid4().hex}
    sessions = [twin(http) for _ in range(10)]
    answers = all_at_once(10, lambda: sessions.pop().post(api + "/bulk/report", headers=headers, json=body,
                                                          timeout=90))
    assert {a.status_code for a in answers} == {200}, [(a.status_code, a.text[:200]) for a in answers]
    assert len({a.content for a in answers}) == 1
    results = answers[0].json()["results"]
    assert [(r["id"], r["ok"]) for r in results] == [(declaration["id"], True)]
