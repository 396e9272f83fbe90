"""permits' service-side rules that need no servers: the configured commitment window
(lifecycle's guard), the review_requested fields, the progress shown in 我的资质."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.common.errors import InvalidTransition
from services.permits import adapters, lifecycle
from services.permits.catalogue import load_catalogue
from services.permits.usecases.views import progress as _progress

CATALOGUE = load_catalogue()
OPENED = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def commitment(waited: float | None, seconds: float | None) -> dict:
    context = {"now": OPENED + timedelta(seconds=waited or 0), "commitment_seconds": seconds}
    if waited is not None:
        context["opened_at"] = OPENED
    return context


def test_commitment_refused_before_the_configured_window_and_accepted_after():
    with pytest.raises(InvalidTransition) as never_opened:
        lifecycle.transition("previewed", "confirm_commitment", commitment(None, 60))
    assert "打开承诺书" in never_opened.value.message
    with pytest.raises(InvalidTransition) as early:
        lifecycle.transition("previewed", "confirm_commitment", commitment(59.5, 60))
    assert early.value.code == "commitment_too_early" and "还需1秒" in early.value.message
    assert lifecycle.transition("previewed", "confirm_commitment", commitment(60, 60)) == "committed"
    # The service's configured window is the rule: 3 s in the test profile, 90 s if so configured.
    assert lifecycle.transition("previewed", "confirm_commitment", commitment(3, 3)) == "committed"
    with pytest.raises(InvalidTransition) as longer:
        lifecycle.transition("previewed", "confirm_commitment", commitment(61, 90))
    assert "阅读满90秒" in longer.value.message and "还需30秒" in longer.value.message
    # Without a configured window REG's 60 s applies.
    with pytest.raises(InvalidTransition, match="阅读满60秒"):
        lifecycle.transition("previewed", "confirm_commitment", commitment(59, None))


def test_review_fields_carry_every_form_field_with_its_label():
    bt = CATALOGUE.type("pfl_power")
    app = {
        "transaction_kind": "new",
        "items": [{"category": "install", "grade": "五级"}, {"category": "test", "grade": "四级"}],
        "number": "SB2026112300001",
        "lane": "fast_track",
        "nature": "after_merger",
        "submitter": "delegate",
        "values": {"legal_representative": "张三", "address": "呼和浩特"},
    }
    records = {
        "name": "内蒙古测试电力有限公司",
        "uscc": "91150100MA0000000X",
        "region_code": "150102",
        "finance": {"net_assets_wan": 3200.5},
    }
    fields = adapters.form_fields(bt, app, records)
    assert fields["application.selection"] == {"label": "申请类别及等级", "value": "承装五级、承试四级"}
    assert fields["enterprise.name"]["value"] == "内蒙古测试电力有限公司"
    assert fields["enterprise.net_assets"]["value"] == 3200.5
    assert fields["enterprise.legal_representative"]["value"] == "张三"
    assert fields["application.lane"]["value"] == "容缺受理"
    assert fields["application.nature"]["value"] == "合并后申请"
    assert fields["application.submitter"]["value"] == "委托他人提交"
    assert all(set(v) == {"label", "value"} for v in fields.values())


def test_progress_counts_corrections_as_under_review():
    assert _progress("draft") == {"step": 1, "of": 10, "final": False}
    assert _progress("correction_requested")["step"] == _progress("under_review")["step"] == 8
    assert _progress("licence_issued") == {"step": 10, "of": 10, "final": True}
    assert _progress("withdrawn") == {"step": None, "of": 10, "final": True}
