"""The reviewer console and the review API in the gateway, with a fake RPC (no servers)."""

import base64
import io

import pytest
from werkzeug.test import Client

from gateway.app import GatewayApp, menu_for
from services.common.errors import Conflict, NotFound, ValidationFailed
from tests.support.uploads import as_inline
from tests.unit.test_gateway_app import FakeRpc, MemorySessions, account, sign_in_as

CASE = {
    "id": "c1",
    "case_ref": "permits:application:a1",
    "title": "安全生产许可证 新办",
    "type_label": "建筑施工企业安全生产许可证",
    "enterprise_name": "甲建筑公司",
    "step_label": "盟市审核",
    "status_label": "审核中",
    "status": "in_review",
    "queue": "active",
    "overdue": True,
    "received_at": "2025-03-03T02:00:00+00:00",
    "due_date": "2025-03-31",
    "claimed_by": "r1",
    "claimed_name": "王审核",
    "mine": True,
    "version": 4,
    "revision": 2,
    "level_label": "盟市",
    "decision_reason": None,
    "closed_reason": None,
}


def detail(**extra):
    return {
        **CASE,
        "held_by_me": True,
        "chain": [{"label": "盟市审核", "level_label": "盟市", "stage": "审核", "current": True}],
        "allowed_actions": [
            {"action": "forward", "label": "报批"},
            {"action": "correction", "label": "补正"},
        ],
        "fields": {"address": {"label": "注册地址", "value": "一号"}},
        "attachments": [{"id": "a9", "label": "营业执照", "filename": "x.pdf", "sha256": "ab" * 32}],
        "diff": {
            "fields": [
                {"name": "address", "label": "注册地址", "old": "一号", "new": "二号", "change": "changed"}
            ],
            "attachments": [],
        },
        "diff_from_revision": 1,
        "history": [
            {
                "step_label": "盟市审核",
                "reviewer_name": "王审核",
                "result": "补正",
                "handling": "通知企业补正",
                "comment": "地址不符",
                "at": "2025-03-04T02:00:00+00:00",
            }
        ],
        "corrections": [],
        "rectifications": [],
        "clock": {
            "limit_days": 20,
            "extension_days": 0,
            "used_days": 3,
            "paused": False,
            "pause_reason": None,
            "expected_decision_date": "2025-04-08",
            "overdue": False,
        },
        **extra,
    }


@pytest.fixture
def rpc():
    fake = FakeRpc()
    fake.behaviour[("identity", "session_account")] = lambda account_id: account(
        account_id,
        kind="reviewer" if account_id.startswith("r") else "enterprise",
        level="city",
        region_code="150100",
        contact_name="王审核",
    )
    return fake


@pytest.fixture
def client(rpc):
    return Client(GatewayApp(rpc, MemorySessions(), {"gateway": {}}))


def calls(rpc, method):
    return [c for c in rpc.calls if c[0] == "review" and c[1] == method]


def test_queue_page_passes_filters_and_the_reviewer_and_pages_by_cursor(client, rpc):
    rpc.behaviour[("review", "queue")] = {
        "items": [CASE],
        "next_cursor": "CUR2",
        "desk": {"level": "city", "region_code": "150100", "level_label": "盟市"},
    }
    sign_in_as(client, "r1")
    response = client.get("/review/cases?status=active&overdue=1&enterprise=甲&sort=due&mine=1")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "甲建筑公司" in html and "已超期" in html
    ((_, _, (actor, query), _),) = calls(rpc, "queue")
    assert actor["kind"] == "reviewer" and actor["name"] == "王审核" and actor["region_code"] == "150100"
    assert query == {"enterprise": "甲", "status": "active", "sort": "due", "overdue": True, "mine": True}
    assert (
        'href="/review/cases?status=active&amp;overdue=1&amp;enterprise=%E7%94%B2&amp;sort=due&amp;mine=1'
        '&amp;cursor=CUR2"' in html
    )


def test_enterprises_cannot_open_the_console(client, rpc):
    sign_in_as(client, "e1")
    assert client.get("/review/cases").status_code == 403
    assert client.get("/api/v1/review/cases").status_code == 403
    assert calls(rpc, "queue") == []


def test_correction_form_sends_exactly_the_ticked_items_with_reasons(client, rpc):
    rpc.behaviour[("review", "case_detail")] = lambda actor, case_id: detail()
    rpc.behaviour[("review", "act")] = lambda actor, case_id, payload: detail(status="correction")
    sign_in_as(client, "r1")
    page = client.get("/review/cases/c1").get_data(as_text=True)
    assert "本次补正修改内容" in page and "二号" in page and "环节名称" in page
    refused = client.post("/review/cases/c1/act", data={"action": "correction"})
    assert refused.status_code == 403 and calls(rpc, "act") == []
    response = client.post(
        "/review/cases/c1/act",
        data={
            "csrf_token": "t0ken",
            "action": "correction",
            "comment": "请补正",
            "expected_version": "4",
            "correct": ["field:address", "attachment:a9"],
            "reason:field:address": "与执照不一致",
            "reason:attachment:a9": "模糊",
            "reason:field:other": "not ticked",
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == "/review/cases/c1"
    ((_, _, (_actor, case_id, payload), _),) = calls(rpc, "act")
    assert case_id == "c1" and payload["expected_version"] == 4
    assert payload["items"] == [
        {"target": "field", "name": "address", "reason": "与执照不一致"},
        {"target": "attachment", "name": "a9", "reason": "模糊"},
    ]


def test_a_refused_opinion_is_shown_on_the_case_page(client, rpc):
    rpc.behaviour[("review", "case_detail")] = lambda actor, case_id: detail()
    rpc.behaviour[("review", "act")] = ValidationFailed.from_fields(
        {"items": [{"code": "required", "message": "请至少指出一项需要补正的字段或附件"}]}
    )
    sign_in_as(client, "r1")
    response = client.post(
        "/review/cases/c1/act", data={"csrf_token": "t0ken", "action": "correction", "comment": "x"}
    )
    assert response.status_code == 422 and "请至少指出一项需要补正的字段或附件" in response.get_data(
        as_text=True
    )


def test_batch_shows_a_result_per_item(client, rpc):
    rpc.behaviour[("review", "batch_act")] = {
        "results": [
            {"case_id": "c1", "ok": True, "status_label": "审核通过", "step_label": "自治区审批"},
            {
                "case_id": "c2",
                "ok": False,
                "code": "forbidden",
                "message": "该案件不在您所在层级和地区的审核队列中",
            },
        ],
        "succeeded": 1,
        "failed": 1,
    }
    sign_in_as(client, "r1")
    html = client.post(
        "/review/cases/batch", data={"csrf_token": "t0ken", "case_ids": ["c1", "c2"], "action": "approve"}
    ).get_data(as_text=True)
    assert "成功 1 件，失败 1 件" in html and "该案件不在您所在层级和地区的审核队列中" in html
    ((_, _, (_actor, payload), _),) = calls(rpc, "batch_act")
    assert payload == {"case_ids": ["c1", "c2"], "action": "approve", "comment": ""}


def test_api_claim_needs_the_csrf_header_and_maps_conflict_to_409(client, rpc):
    rpc.behaviour[("review", "claim")] = Conflict("该案件已被李审核领取")
    sign_in_as(client, "r1")
    assert client.post("/api/v1/review/cases/c1/claim").status_code == 403
    response = client.post("/api/v1/review/cases/c1/claim", headers={"X-CSRF-Token": "t0ken"})
    assert response.status_code == 409 and response.get_json()["error"]["message"] == "该案件已被李审核领取"


def test_enterprise_history_page_is_printable_with_the_seed_columns(client, rpc):
    rpc.behaviour[("review", "case_history")] = lambda actor, key: detail(
        tracking=[{"at": "2025-03-03T02:00:00+00:00", "what": "企业提交", "who": "甲建筑公司"}],
        correction=None,
        clock={**detail()["clock"], "paused": True, "pause_reason": "等待企业补正材料"},
    )
    sign_in_as(client, "e1")
    html = client.get("/cases/permits:application:a1/history").get_data(as_text=True)
    for column in ("环节名称", "审核人", "审核结果", "处理方式", "审核意见", "审核时间", "跟踪", "打印"):
        assert column in html
    assert "计时暂停：等待企业补正材料" in html
    ((_, _, (actor, key), _),) = calls(rpc, "case_history")
    assert key == "permits:application:a1" and actor["enterprise_id"] == "e1"


def test_reviewer_menu_has_the_console_and_admins_the_campaigns():
    reviewer = [label for _, label in menu_for({"kind": "reviewer", "permissions": []}, None)]
    admin = [label for _, label in menu_for({"kind": "admin", "permissions": []}, None)]
    assert reviewer[:3] == ["首页", "审核工作台", "注册审核"] and "企业自查" not in reviewer
    assert "企业自查" in admin and "工作量统计" in admin
    # 好差评 (一次一评, 一事一评, statistics) is in the staff menus; an admin without a desk reviews no queue.
    for entry in ("好差评·一次一评", "好差评·一事一评", "好差评统计"):
        assert entry in reviewer and entry in admin
    assert "审核工作台" not in admin and "注册审核" not in admin and "委托办理" in admin
    desk_admin = [label for _, label in menu_for(
        {"kind": "admin", "permissions": [], "level": "province", "region_code": "150000"}, None)]
    assert desk_admin[:3] == ["首页", "审核工作台", "注册审核"]


def test_delegation_and_campaign_pages_render_their_forms_and_errors(client, rpc):
    """委托办理 and 企业自查 used to crash (``errors`` undefined in the field macro)."""
    rpc.behaviour[("identity", "session_account")] = lambda account_id: account(
        account_id, kind="admin" if account_id.startswith("a") else "reviewer", level="city",
        region_code="150100", contact_name="王审核")
    rpc.behaviour[("review", "list_delegations")] = lambda actor: {"delegations": []}
    rpc.behaviour[("review", "list_campaigns")] = lambda actor: {"campaigns": []}
    sign_in_as(client, "r1")
    page = client.get("/review/delegations")
    assert page.status_code == 200 and 'id="f-to_reviewer"' in page.get_data(as_text=True)

    def refuse(actor, payload):
        raise ValidationFailed.from_fields({"to_reviewer": [{"code": "self", "message": "不能委托给自己"}]})

    rpc.behaviour[("review", "delegate")] = refuse
    refused = client.post("/review/delegations", data={"csrf_token": "t0ken", "to_reviewer": "r1"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'data-code="self"' in html and "不能委托给自己" in html
    sign_in_as(client, "a1")
    campaigns = client.get("/admin/campaigns")
    assert campaigns.status_code == 200 and 'id="f-title"' in campaigns.get_data(as_text=True)


def test_empty_fields_show_none_in_chinese_not_python_none(client, rpc):
    fields = {
        "address": {"label": "注册地址", "value": None},
        "fax": {"label": "传真", "value": ""},
        "ftz": {"label": "自贸区企业", "value": False},
    }
    diff = {
        "fields": [{"name": "fax", "label": "传真", "old": None, "new": "123", "change": "added"}],
        "attachments": [],
    }
    rpc.behaviour[("review", "case_detail")] = lambda actor, case_id: detail(fields=fields, diff=diff)
    sign_in_as(client, "r1")
    page = client.get("/review/cases/c1").get_data(as_text=True)
    assert "None" not in page
    rows = page.split('data-field="address"', 1)[1].split("</tr>", 1)[0]
    assert '<span class="muted">无</span>' in rows
    assert "否" in page.split('data-field="ftz"', 1)[1].split("</tr>", 1)[0]


def test_rectification_form_sends_the_uploaded_files_with_their_item_labels(client, rpc):
    rpc.behaviour[("review", "submit_rectification")] = lambda actor, rect_id, payload: {"id": rect_id}
    sign_in_as(client, "e1")
    response = client.post(
        "/rectifications/7",
        data={
            "csrf_token": "t0ken",
            "statement": "已整改",
            "evidence_label:0": "安全设备",
            "evidence:0": (io.BytesIO(b"%PDF-1.4 report"), "检测报告.pdf"),
            "evidence:1": (io.BytesIO(b""), ""),  # an item left without a file
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    ((_, _, (actor, rect_id, payload), _),) = calls(rpc, "submit_rectification")
    assert actor["kind"] == "enterprise" and rect_id == 7 and payload["statement"] == "已整改"
    assert as_inline(client, payload["evidence"]) == [
        {
            "filename": "检测报告.pdf",
            "content_b64": base64.b64encode(b"%PDF-1.4 report").decode(),
            "label": "安全设备",
        }
    ]


def test_self_inspection_form_sends_files_by_item_and_shows_missing_ones(client, rpc):
    todo = {
        "target_id": "t1",
        "status": "todo",
        "answers": {},
        "campaign": {
            "title": "2026年自查",
            "deadline": "2026-12-31",
            "form": [{"name": "report", "label": "自查报告", "required": True, "kind": "attachment"}],
        },
    }
    rpc.behaviour[("review", "self_inspection")] = lambda actor, target_id: todo
    rpc.behaviour[("review", "submit_self_inspection")] = ValidationFailed(
        "自查材料不完整，请补充后再提交", {"report": [{"code": "required", "message": "缺少附件：自查报告"}]}
    )
    sign_in_as(client, "e1")
    page = client.get("/self-inspections/t1").get_data(as_text=True)
    assert 'type="file" name="file:report"' in page and 'enctype="multipart/form-data"' in page
    refused = client.post(
        "/self-inspections/t1",
        data={"csrf_token": "t0ken", "file:report": (io.BytesIO(b"x"), "自查.pdf")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422 and "缺少附件：自查报告" in refused.get_data(as_text=True)
    ((_, _, (_actor, target_id, payload), _),) = calls(rpc, "submit_self_inspection")
    assert target_id == "t1" and payload["answers"] == {}
    assert payload["files"]["report"]["filename"] == "自查.pdf"


def test_attachment_download_redirects_to_the_url_review_signs(client, rpc):
    rpc.behaviour[("review", "attachment_url")] = lambda actor, attachment_id: {
        "url": f"http://s3.local/{attachment_id}?sig=1"
    }
    sign_in_as(client, "r1")
    response = client.get("/review/attachments/a1")
    assert response.status_code == 303 and response.headers["Location"] == "http://s3.local/a1?sig=1"
    sign_in_as(client, "e1")
    assert client.get("/api/v1/review/attachments/a2").status_code == 303
    rpc.behaviour[("review", "attachment_url")] = NotFound("附件不存在")
    assert client.get("/review/attachments/a3").status_code == 404


def test_case_page_opens_every_file_in_the_page_through_the_service_that_keeps_it(client, rpc):
    attachments = [
        {"id": "a9", "label": "营业执照", "filename": "x.pdf", "sha256": "ab" * 32, "stored": False},
        {"id": "f1", "label": "安全生产许可证申报表", "filename": "申报表.pdf", "sha256": "ef" * 32,
         "stored": False},
        {"id": "p1", "label": "现场照片", "filename": "现场.jpg", "sha256": "01" * 32, "stored": False},
        {"id": "s1", "label": "自查报告", "filename": "自查.pdf", "sha256": "cd" * 32, "stored": True},
    ]
    rects = [
        {
            "id": 3,
            "status": "submitted",
            "deadline": "2026-01-31",
            "items": [{"name": "安全设备", "requirement": "检测报告"}],
            "statement": "已整改",
            "evidence": [{"id": "ev1", "label": "安全设备", "filename": "检测.pdf"}],
        }
    ]
    rpc.behaviour[("review", "case_detail")] = lambda actor, case_id: detail(
        producer="permits", attachments=attachments, rectifications=rects
    )
    sign_in_as(client, "r1")
    page = client.get("/review/cases/c1").get_data(as_text=True)
    # the producer's files (a permits case) through permits, review's own through review
    for source, aid in (("permits", "a9"), ("permits", "f1"), ("permits", "p1"), ("review", "s1"),
                        ("review", "ev1")):
        assert f'href="/documents/{source}/{aid}" target="doc-viewer"' in page
        assert f'href="/documents/{source}/{aid}?download=1"' in page
    # the viewer opens the 申报表 first; images are shown as images
    assert 'id="doc-viewer" class="doc-viewer" data-first="/documents/permits/f1"' in page  # opened on 查看
    assert '<img src="/documents/permits/p1"' in page


def test_acceptance_deadline_and_deemed_acceptance_are_shown(client, rpc):
    waiting = {**detail()["clock"], "acceptance_due": "2025-10-14", "deemed_accepted": False,
               "accepted_from": None}
    rpc.behaviour[("review", "case_detail")] = lambda actor, case_id: detail(
        status="submitted", clock=waiting
    )
    sign_in_as(client, "r1")
    page = client.get("/review/cases/c1").get_data(as_text=True)
    assert "2025-10-14 前受理或一次告知补正" in page and 'id="deemed-accepted"' not in page
    deemed = {**waiting, "acceptance_due": None, "deemed_accepted": True, "accepted_from": "2025-09-30"}
    rpc.behaviour[("review", "case_detail")] = lambda actor, case_id: detail(clock=deemed)
    page = client.get("/review/cases/c1").get_data(as_text=True)
    assert "逾期未受理视为受理" in page and "自 2025-09-30（收到申请材料之日）起视为受理" in page
    assert 'id="acceptance-due"' not in page


def test_registration_review_pages_lead_to_the_review_console(client, rpc):
    sign_in_as(client, "r1")
    listing = client.get("/review/registrations")
    assert listing.status_code == 303
    assert listing.headers["Location"] == "/review/cases?case_type=identity.%2A"
    one = client.get("/review/registrations/a1b2")
    assert one.status_code == 303 and one.headers["Location"] == "/review/cases/identity:registration:a1b2"
    assert client.get("/api/v1/registrations/pending").status_code == 404  # replaced by the review API
    sign_in_as(client, "e1")
    assert client.get("/review/registrations").status_code == 403


def test_workload_page_passes_the_period_and_shows_done_against_the_limit(client, rpc):
    done = {"done": 3, "average_days": 12.5, "average_limit_days": 20, "within_limit": 2, "over_limit": 1}
    rpc.behaviour[("review", "workload")] = {
        "desks": [], "reviewers": [], "period": {"from": "2026-11-01", "to": "2026-11-30"},
        "done": {"desks": [{"level": "city", "desk_region": "150100", **done}],
                 "reviewers": [{"reviewer_id": "r1", "reviewer_name": "王审核", **done}]}}
    sign_in_as(client, "r1")
    html = client.get("/review/workload?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    ((_, _, (_actor, period), _),) = calls(rpc, "workload")
    assert period == {"from": "2026-11-01", "to": "2026-11-30"}
    assert "2026-11-01 至 2026-11-30" in html and 'data-reviewer="r1"' in html
    assert '<td class="done">3</td><td>12.5</td><td>20</td><td>2</td><td class="overdue">1</td>' in html
    api = client.get("/api/v1/review/workload?from=2026-11-01")
    assert api.status_code == 200 and calls(rpc, "workload")[-1][2][1] == {"from": "2026-11-01"}
