"""A name change (企业名称变更) is refused while permits or personnel report open cases (REG);
the answers come from test-double processes standing in for the two services over the real
bus, until they implement ``open_cases_of`` themselves."""

from __future__ import annotations

import json
import os
import sys
import time

import pytest

from deploy import processes
from services.common.errors import InvalidTransition, ServiceError
from tests.support import platform
from tests.support.data import registration
from tests.support.enterprise import profile, scan_pdf, upload
from tests.support.open_cases_service import OPEN_CASES_FILE_ENV

DOUBLES = {"permits": "PermitsDouble", "personnel": "PersonnelDouble"}


@pytest.fixture(scope="module")
def doubles(running_platform, cluster, tmp_path_factory):
    """The real permits and personnel stopped; the doubles serve their RPC queues instead."""
    cases = tmp_path_factory.mktemp("open-cases") / "cases.json"
    cases.write_text("{}")
    for service in DOUBLES:
        platform.stop(service, running_platform)
    env = {**os.environ, OPEN_CASES_FILE_ENV: str(cases)}
    for service, cls in DOUBLES.items():
        processes.start_process(f"{service}-double", [sys.executable, "-m", "services.common.runner",
                                                      f"tests.support.open_cases_service:{cls}"],
                                running_platform, env=env)
    deadline = time.monotonic() + 30
    while True:  # the doubles answer once their containers have started
        try:
            cluster.permits.open_cases_of("probe")
            cluster.personnel.open_cases_of("probe")
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    try:
        yield cases
    finally:
        for service in DOUBLES:
            processes.stop_process(f"{service}-double", running_platform, timeout=15)
            platform.start(service, running_platform)
        platform.wait_healthy(running_platform)


def enterprise(cluster):
    account = cluster.identity.register_account(registration())
    actor = {"id": account["id"], "kind": "enterprise", "enterprise_id": account["id"], "permissions": []}
    cluster.enterprise.save_registration_profile(actor, {**profile(), "files": {
        "business_licence": upload("营业执照.pdf", scan_pdf()),
        "legal_rep_id": upload("身份证.pdf", scan_pdf())}})
    return actor


def new_licence() -> dict:
    """A name change carries the new 营业执照 (issue 15, item 6)."""
    return {"business_licence": upload("新营业执照.pdf", scan_pdf())}


def test_name_change_refused_while_a_case_is_open(cluster, doubles):
    actor = enterprise(cluster)
    doubles.write_text(json.dumps({f"permits:{actor['id']}": [
        {"id": "a1", "kind": "application", "title": "承装（修、试）电力设施许可新申请",
         "status": "in_review"}]}))
    with pytest.raises(InvalidTransition) as refused:
        cluster.enterprise.request_change(actor, actor["id"], {"changes": {"name": "内蒙古更名电力有限公司"},
                                                               "files": new_licence()})
    assert refused.value.code == "open_cases"
    assert "承装（修、试）电力设施许可新申请" in refused.value.fields["name"][0]["message"]
    # other locked fields are not held up by open cases
    other = cluster.enterprise.request_change(actor, actor["id"], {
        "changes": {"registered_address": "呼和浩特市回民区中山西路9号"}})
    assert other["status"] == "pending"


def test_personnel_cases_count_too_and_closed_cases_free_the_name(cluster, doubles):
    actor = enterprise(cluster)
    doubles.write_text(json.dumps({f"personnel:{actor['id']}": [
        {"id": "p1", "kind": "certificate", "title": "安管人员证书申请", "status": "submitted"}]}))
    renamed = {"changes": {"name": "内蒙古再更名电力有限公司"}, "reason": "工商变更已完成",
               "files": new_licence()}
    with pytest.raises(InvalidTransition):
        cluster.enterprise.request_change(actor, actor["id"], renamed)
    doubles.write_text("{}")
    request = cluster.enterprise.request_change(actor, actor["id"], renamed)
    assert request["status"] == "pending"
    assert request["changes"]["name"]["new"] == "内蒙古再更名电力有限公司"


def test_without_an_answer_the_name_change_is_refused(running_platform, cluster, doubles):
    actor = enterprise(cluster)
    processes.stop_process("personnel-double", running_platform, timeout=15)
    try:
        with pytest.raises(ServiceError) as unknown:
            cluster.enterprise.request_change(actor, actor["id"], {
                "changes": {"name": "内蒙古无应答电力有限公司"}, "files": new_licence()})
        assert unknown.value.code == "open_cases_unknown"
    finally:
        processes.start_process("personnel-double", [
            sys.executable, "-m", "services.common.runner",
            "tests.support.open_cases_service:PersonnelDouble"],
            running_platform, env={**os.environ, OPEN_CASES_FILE_ENV: str(doubles)})
