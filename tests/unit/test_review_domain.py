"""Review chains as data, routing by region, actions per step, corrections and diffs."""

import pytest

from services.review import domain
from services.review.domain import (
    CaseTypeError,
    allowed_actions,
    apply_action,
    correction_errors,
    decode_cursor,
    desk_works_on,
    diff_revisions,
    encode_cursor,
    missing_answers,
    parse_case_types,
    registry,
    reopens,
    route_region,
)

REG = registry()


def test_shipped_case_types_resolve_by_pattern_most_specific_first():
    assert REG.resolve("hmq.maintenance.new").label == "公路养护作业单位资质"
    assert REG.resolve("pfl.power.renewal").limit_for("ftz") == 10
    assert REG.resolve("pfl.power.new").limit_for("ftz") == 15
    assert REG.resolve("pfl.power.new").limit_for("unknown_lane") == 20
    assert [s.level for s in REG.resolve("personnel.constructor.initial").steps] == ["province", "ministry"]
    assert REG.resolve("identity.registration") is not None
    assert REG.resolve("enterprise.change") is not None
    assert REG.resolve("cip.safety.new").steps[0].label == "盟市审核"
    assert REG.resolve("tsa.unknown") is None


def test_region_routing_city_province_ministry():
    assert route_region("city", "150102") == "150100"
    assert route_region("city", "152502") == "152500"   # 锡林郭勒盟
    assert route_region("province", "150102") == "150000"
    assert route_region("ministry", "150102") == "000000"
    with pytest.raises(ValueError):
        route_region("city", "15A")


def test_desk_of_reviewer_normalises_the_region_and_refuses_enterprises():
    reviewer = {"kind": "reviewer", "level": "city", "region_code": "150102"}
    assert domain.desk_of(reviewer) == ("city", "150100")
    assert domain.desk_of({"kind": "enterprise", "level": None, "region_code": None}) is None


def test_cip_chain_city_forwards_then_province_decides():
    cip = REG.resolve("cip.safety.new")
    assert allowed_actions(cip, 0, domain.SUBMITTED) == ["accept", "reject", "correction"]
    accepted = apply_action(cip, 0, domain.SUBMITTED, "accept")
    assert accepted.status == domain.IN_REVIEW and accepted.step_index == 0
    forwarded = apply_action(cip, 0, domain.IN_REVIEW, "forward")
    assert forwarded.step_changed and forwarded.step_index == 1
    assert forwarded.handling == "报批至自治区审批（省级）"
    decided = apply_action(cip, 1, domain.IN_REVIEW, "approve")
    assert decided.status == domain.APPROVED and decided.decision == "approved"
    back = apply_action(cip, 1, domain.IN_REVIEW, "return")
    assert back.step_index == 0 and back.handling == "退回至盟市审核"


def test_actions_not_allowed_at_a_step_are_refused_with_the_step_named():
    cip = REG.resolve("cip.safety.new")
    with pytest.raises(ValueError, match="盟市审核.*同意"):
        apply_action(cip, 0, domain.IN_REVIEW, "approve")     # the city forwards, it does not approve
    with pytest.raises(ValueError, match="报批"):
        apply_action(cip, 0, domain.SUBMITTED, "forward")     # not before acceptance
    with pytest.raises(ValueError):
        apply_action(cip, 0, domain.CORRECTION, "accept")     # waiting for the enterprise
    with pytest.raises(ValueError):
        apply_action(cip, 1, domain.APPROVED, "reject")       # decided


def test_reject_and_correction_outcomes():
    hmq = REG.resolve("hmq.maintenance.new")
    assert apply_action(hmq, 1, domain.IN_REVIEW, "reject").decision == "rejected"
    assert apply_action(hmq, 0, domain.IN_REVIEW, "correction").status == domain.CORRECTION
    assert apply_action(hmq, 0, domain.IN_REVIEW, "rectification").status == domain.RECTIFICATION
    issue = apply_action(hmq, 2, domain.IN_REVIEW, "approve")
    assert issue.decision == "approved"


def _one_type(limits: str, steps: str) -> str:
    return f"case_types: {{x.y: {{label: a, limits: {limits}, steps: {steps}}}}}"


_STEP = "[{{key: s, label: b, level: {level}, stage: review, actions: [{actions}]}}]"


@pytest.mark.parametrize("text, path", [
    (_one_type("{standard: 5}", "[]"), "case_types.x.y.steps: "),
    (_one_type("{fast: 5}", _STEP.format(level="city", actions="approve")), "case_types.x.y.limits: "),
    (_one_type("{standard: 5}", _STEP.format(level="county", actions="approve")),
     "case_types.x.y.steps[0].level: "),
    (_one_type("{standard: 5}", _STEP.format(level="city", actions="approve, return")),
     "case_types.x.y.steps[0].actions: return"),
    (_one_type("{standard: 5}", _STEP.format(level="city", actions="forward")),
     "case_types.x.y.steps[0].actions: forward"),
    (_one_type("{standard: 0}", _STEP.format(level="city", actions="approve")),
     "case_types.x.y.limits.standard: "),
    (_one_type("{standard: 5}", _STEP.format(level="city", actions="approve, fly")),
     "case_types.x.y.steps[0].actions[1]: "),
])
def test_bad_case_type_files_are_refused_with_the_path(text, path):
    with pytest.raises(CaseTypeError) as info:
        parse_case_types(text)
    assert any(line.startswith(f"case_types.yaml: {path}") for line in info.value.errors), info.value.errors


def test_correction_must_name_existing_items_with_reasons():
    fields = {"name": {"label": "企业名称", "value": "甲"}}
    files = [{"id": "a1", "label": "营业执照", "filename": "x.pdf", "sha256": "0" * 64}]
    assert "items" in correction_errors([], fields, files)
    assert correction_errors([{"target": "field", "name": "nope", "reason": "x"}], fields, files)
    assert correction_errors([{"target": "field", "name": "name", "reason": " "}], fields, files)
    assert not correction_errors([{"target": "field", "name": "name", "reason": "与执照不一致"},
                                  {"target": "attachment", "name": "a1", "reason": "模糊"}], fields, files)


def test_diff_shows_changed_fields_and_replaced_files_only():
    old = {"fields": {"name": {"label": "名称", "value": "甲"}, "addr": {"label": "地址", "value": "A"}},
           "attachments": [{"id": "1", "label": "执照", "filename": "a.pdf", "sha256": "aa"},
                           {"id": "2", "label": "章程", "filename": "b.pdf", "sha256": "bb"}]}
    new = {"fields": {"name": {"label": "名称", "value": "乙"}, "addr": {"label": "地址", "value": "A"},
                      "tel": {"label": "电话", "value": "1"}},
           "attachments": [{"id": "3", "label": "执照", "filename": "a2.pdf", "sha256": "cc"},
                           {"id": "2", "label": "章程", "filename": "b.pdf", "sha256": "bb"}]}
    diff = diff_revisions(old, new)
    assert [(f["name"], f["change"]) for f in diff["fields"]] == [("name", "changed"), ("tel", "added")]
    assert diff["fields"][0]["old"] == "甲" and diff["fields"][0]["new"] == "乙"
    assert [(a["label"], a["change"]) for a in diff["attachments"]] == [("执照", "replaced")]


def test_self_inspection_lists_missing_required_items():
    form = [{"name": "staff", "label": "人员情况", "required": True},
            {"name": "note", "label": "备注", "required": False},
            {"name": "report", "label": "自查报告", "required": True, "kind": "attachment"}]
    errors = missing_answers(form, {"staff": ""}, [])
    assert set(errors) == {"staff", "report"}
    assert not missing_answers(form, {"staff": "齐全"}, {"report"})
    assert set(missing_answers(form, {"staff": "齐全"}, {"report", "staff"})) == {"staff"}  # no file there


def test_cursor_round_trip_and_garbage():
    from datetime import UTC, datetime
    token = encode_cursor("received", datetime(2025, 1, 1, tzinfo=UTC), "abc")
    cursor = decode_cursor(token)
    assert cursor.sort == "received" and cursor.case_id == "abc"
    with pytest.raises(ValueError):
        decode_cursor("!!!")


def test_permits_lane_names_map_to_review_limits():
    pfl = domain.registry().resolve("pfl.power.new")
    assert pfl.limit_for("free_trade_zone") == pfl.limit_for("ftz") == 15
    assert pfl.limit_for("normal") == pfl.limit_for("standard") == 20
    assert pfl.limit_for("fast_track") == 20  # not listed: the standard limit


def test_jurisdiction_of_a_desk_over_an_enterprise_region():
    assert domain.in_jurisdiction("city", "150100", "150105")  # 呼和浩特 desk, 赛罕区
    assert not domain.in_jurisdiction("city", "150200", "150105")
    assert domain.in_jurisdiction("province", "150000", "150602")
    assert domain.in_jurisdiction("ministry", "000000", "110101")
    assert not domain.in_jurisdiction(None, "150100", "150105")
    assert not domain.in_jurisdiction("city", "150100", "bad")


def test_only_types_that_allow_it_reopen_a_rejected_case():
    registration = REG.resolve("identity.registration")
    assert registration.resubmit_after_rejection and registration.steps[0].actions == ("approve", "reject")
    assert reopens(registration, "rejected", "done")
    assert not reopens(registration, "approved", "done")
    assert not reopens(registration, None, "active")
    assert not reopens(REG.resolve("cip.safety.new"), "rejected", "done")  # a new application instead


def test_a_desk_reads_an_enterprise_only_through_a_chain_it_works_on():
    cip, registration = REG.resolve("cip.safety.new"), REG.resolve("identity.registration")
    assert desk_works_on(cip, "city", "150100", "150105")
    assert desk_works_on(cip, "province", "150000", "150105")
    assert not desk_works_on(cip, "city", "152500", "150105")          # another league
    assert desk_works_on(registration, "province", "150000", "150105")
    assert not desk_works_on(registration, "city", "150100", "150105")  # province-only chain
    assert not desk_works_on(None, "city", "150100", "150105")
