"""The application state machine: every allowed and every forbidden transition, table-driven."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.common.errors import InvalidTransition
from services.permits.lifecycle import (
    ACTIONS,
    DRAFT_STATES,
    STATES,
    TRANSITIONS,
    after_records_changed,
    allowed_actions,
    apply_review_event,
    transition,
    transition_table,
    transition_table_markdown,
)

NOW = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
GOOD = {"precheck_passed": True, "opened_at": NOW - timedelta(seconds=60), "now": NOW}

# The expected table, written out independently of the module's table.
EXPECTED = {
    ("draft", "run_precheck"): "prechecked",
    ("prechecked", "run_precheck"): "prechecked",
    ("prechecked", "generate_form"): "form_generated",
    ("form_generated", "generate_form"): "form_generated",
    ("form_generated", "upload_signed"): "signed_uploaded",
    ("signed_uploaded", "upload_signed"): "signed_uploaded",
    ("signed_uploaded", "preview"): "previewed",
    ("previewed", "preview"): "previewed",
    ("previewed", "confirm_commitment"): "committed",
    ("committed", "submit"): "submitted",
    ("submitted", "accept"): "under_review",
    ("submitted", "request_correction"): "correction_requested",
    ("submitted", "reject"): "rejected",
    ("submitted", "withdraw"): "withdrawn",
    ("under_review", "request_correction"): "correction_requested",
    ("under_review", "approve"): "approved",
    ("under_review", "reject"): "rejected",
    ("under_review", "terminate"): "terminated",
    ("correction_requested", "resubmit"): "resubmitted",
    ("correction_requested", "terminate"): "terminated",
    ("resubmitted", "accept"): "under_review",
    ("resubmitted", "request_correction"): "correction_requested",
    ("resubmitted", "approve"): "approved",
    ("resubmitted", "reject"): "rejected",
    ("resubmitted", "terminate"): "terminated",
    ("approved", "issue_licence"): "licence_issued",
    **{(state, "discard"): "discarded" for state in DRAFT_STATES},
}
FORBIDDEN = [(s, a) for s in STATES for a in ACTIONS if (s, a) not in EXPECTED]


def test_module_table_is_the_expected_table():
    assert {(t.source, t.action): t.target for t in TRANSITIONS} == EXPECTED
    assert len(TRANSITIONS) == len(EXPECTED)  # no duplicate rows


@pytest.mark.parametrize("state, action", sorted(EXPECTED), ids=lambda v: str(v))
def test_every_allowed_transition(state, action):
    assert transition(state, action, GOOD) == EXPECTED[(state, action)]
    assert action in allowed_actions(state)


@pytest.mark.parametrize("state, action", FORBIDDEN, ids=lambda v: str(v))
def test_every_forbidden_transition_is_refused_in_chinese(state, action):
    with pytest.raises(InvalidTransition) as info:
        transition(state, action, GOOD)
    message = str(info.value)
    assert message.startswith(f"当前状态为“{STATES[state]}”，不能{ACTIONS[action]}：")
    assert info.value.code == "invalid_transition"
    assert action not in allowed_actions(state)


def test_final_states_allow_nothing():
    for state in ("rejected", "licence_issued", "withdrawn", "terminated", "discarded"):
        assert allowed_actions(state) == []


def test_precheck_failure_stays_or_returns_to_draft():
    assert transition("draft", "run_precheck", {"precheck_passed": False}) == "draft"
    assert transition("prechecked", "run_precheck", {"precheck_passed": False}) == "draft"


def test_submit_and_resubmit_need_a_passing_precheck():
    with pytest.raises(InvalidTransition, match="预审有不符合项"):
        transition("committed", "submit", {"precheck_passed": False})
    with pytest.raises(InvalidTransition, match="预审有不符合项"):
        transition("correction_requested", "resubmit", {})
    assert transition("correction_requested", "resubmit", {"precheck_passed": True}) == "resubmitted"


@pytest.mark.parametrize(
    "seconds, ok", [(0, False), (30, False), (59.999, False), (60, True), (61, True), (3600, True)]
)
def test_commitment_letter_must_stay_open_sixty_seconds(seconds, ok):
    context = {"opened_at": NOW, "now": NOW + timedelta(seconds=seconds)}
    if ok:
        assert transition("previewed", "confirm_commitment", context) == "committed"
    else:
        with pytest.raises(InvalidTransition, match="承诺书须打开阅读满60秒后方可确认") as info:
            transition("previewed", "confirm_commitment", context)
        assert f"已打开{int(seconds)}秒" in str(info.value)


def test_commitment_letter_never_opened_is_refused():
    with pytest.raises(InvalidTransition, match="须先打开承诺书"):
        transition("previewed", "confirm_commitment", {"now": NOW})


def test_withdraw_and_terminate_rules_are_quoted():
    with pytest.raises(InvalidTransition, match="已受理的申请请申请业务办理终止"):
        transition("under_review", "withdraw", GOOD)
    with pytest.raises(InvalidTransition, match="未受理的申请请撤回"):
        transition("submitted", "terminate", GOOD)
    with pytest.raises(InvalidTransition, match="仅未提交的申请可废弃"):
        transition("submitted", "discard", GOOD)


def test_unknown_state_or_action_is_a_programming_error():
    with pytest.raises(ValueError):
        transition("limbo", "submit", GOOD)
    with pytest.raises(ValueError):
        transition("draft", "fly", GOOD)


@pytest.mark.parametrize(
    "state, passed, stale, expected",
    [
        ("draft", False, True, "draft"),
        ("draft", True, True, "prechecked"),
        ("prechecked", False, True, "draft"),
        ("prechecked", True, True, "prechecked"),
        ("form_generated", True, True, "prechecked"),
        ("form_generated", True, False, "form_generated"),
        ("signed_uploaded", True, True, "prechecked"),
        ("previewed", False, False, "draft"),
        ("committed", False, True, "draft"),
        ("committed", True, False, "committed"),
        ("submitted", False, True, "submitted"),
        ("under_review", False, True, "under_review"),
        ("correction_requested", False, True, "correction_requested"),
        ("licence_issued", False, True, "licence_issued"),
    ],
)
def test_rerun_after_records_change(state, passed, stale, expected):
    assert after_records_changed(state, passed, stale) == expected


def test_exported_table_for_docs():
    rows = transition_table()
    assert len(rows) == len(EXPECTED)
    assert {"from": "previewed", "action": "confirm_commitment", "to": "committed"}.items() <= rows[8].items()
    markdown = transition_table_markdown()
    assert markdown.count("\n") == len(EXPECTED) + 1
    row = "| 已预览 (`previewed`) | 确认承诺书 (`confirm_commitment`) | 已确认承诺书 (`committed`)"
    assert row in markdown


@pytest.mark.parametrize(
    "state, event, data, expected",
    [
        ("submitted", "review.case_accepted", {}, "under_review"),
        ("resubmitted", "case_accepted", {}, "under_review"),
        ("under_review", "review.correction_requested", {"items": []}, "correction_requested"),
        ("under_review", "review.case_decided", {"decision": "approved"}, "approved"),
        ("resubmitted", "review.case_decided", {"decision": "rejected"}, "rejected"),
        ("under_review", "review.case_step_changed", {"step": "approval"}, "under_review"),
        ("withdrawn", "review.case_closed", {"outcome": "withdrawn"}, "withdrawn"),
        ("terminated", "review.case_closed", {"outcome": "terminated"}, "terminated"),
        ("under_review", "review.case_closed", {"outcome": "terminated"}, "terminated"),
    ],
)
def test_review_events_drive_the_machine(state, event, data, expected):
    assert apply_review_event(state, event, data) == expected


def test_review_event_in_the_wrong_state_is_refused():
    with pytest.raises(InvalidTransition):
        apply_review_event("draft", "review.case_decided", {"decision": "approved"})
    with pytest.raises(ValueError):
        apply_review_event("submitted", "review.case_exploded", {})
