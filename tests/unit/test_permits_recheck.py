"""The background re-check's rule (services/permits/recheck.py, issue 13): monotonic by
records version, coalesced per enterprise, and the columns it writes never include version."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.permits import lifecycle
from services.permits.recheck import FORM_COLUMNS, event_covered, is_newer, plan

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
PASSED = {"passed": True, "summary": "全部符合"}
FAILED = {"passed": False, "summary": "1项不符合"}


def test_only_newer_records_replace_a_precheck():
    assert is_newer(None, 3) and is_newer(3, None) and is_newer(None, None)
    assert is_newer(3, 4)
    assert not is_newer(4, 4) and not is_newer(5, 4)


def test_an_event_already_judged_is_covered():
    assert event_covered(7, 7) and event_covered(7, 3)
    assert not event_covered(7, 8)
    assert not event_covered(None, 3) and not event_covered(7, None)


def test_plan_skips_older_records_and_submitted_applications():
    assert plan("prechecked", 5, 5, PASSED, NOW) is None
    assert plan("prechecked", 6, 5, PASSED, NOW) is None
    for state in lifecycle.OPEN_STATES + lifecycle.FINAL_STATES:
        assert plan(state, 1, 9, FAILED, NOW) is None


def test_plan_stores_the_precheck_without_touching_the_version():
    write = plan("prechecked", 4, 5, PASSED, NOW)
    assert write is not None and not write.moved
    assert write.columns == {"precheck": PASSED, "precheck_records_version": 5, "prechecked_at": NOW}
    assert "version" not in write.columns


@pytest.mark.parametrize(("state", "outcome", "expected"), [
    ("draft", PASSED, "prechecked"),
    ("prechecked", FAILED, "draft"),
    ("committed", PASSED, "prechecked"),
    ("form_generated", FAILED, "draft"),
])
def test_plan_moves_back_and_clears_the_stale_form(state, outcome, expected):
    write = plan(state, 4, 5, outcome, NOW)
    assert write is not None and write.moved and write.to_state == expected
    assert write.columns["state"] == expected and "version" not in write.columns
    assert all(write.columns[c] is None for c in FORM_COLUMNS)


def test_plan_takes_a_first_precheck_on_any_records():
    write = plan("draft", None, 1, PASSED, NOW)
    assert write is not None and write.to_state == "prechecked"
    assert write.columns["precheck_records_version"] == 1
