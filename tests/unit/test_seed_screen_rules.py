"""The pure rules of the seed screens (gateway/views/seedrules.py, ratingmenu.business_choices)."""

from __future__ import annotations

import pytest

from gateway.labels import business_label
from gateway.views.ratingmenu import business_choices
from gateway.views.seedrules import APPLICATION_TABS, application_tab, rectification_rows


@pytest.mark.parametrize(("status", "stage", "tab"), [
    ("submitted", "review", "pending"),
    ("in_review", "review", "pending"),
    ("in_review", "approval", "pending"),
    ("correction", "review", "pending"),      # waiting for the enterprise's 补正: still 待审核
    ("rectification", "approval", "pending"),
    ("in_review", "issue", "assessment"),     # passed review, waiting for the certificate: 待考核
    ("submitted", "issue", "pending"),        # not accepted yet at the issuing step
    ("approved", "issue", "approved"),
    ("approved", None, "approved"),
    ("rejected", "review", "rejected"),
    ("withdrawn", "review", None),            # on 审核进度 only
    ("terminated", "review", None),
    ("", None, None),
])
def test_application_tab(status, stage, tab):
    assert application_tab({"status": status, "stage": stage}) == tab


def test_application_tabs_are_the_four_tsa_tabs_in_chinese():
    assert list(APPLICATION_TABS.values()) == ["待审核", "审核通过", "审核不通过", "待考核"]


def test_rectification_rows_put_open_ones_first_with_their_status_in_words():
    rows = rectification_rows([{"id": 3, "status": "closed"}, {"id": 2, "status": "open"},
                               {"id": 1, "status": "submitted"}, {"id": 0, "status": "odd"}])
    assert [r["id"] for r in rows] == [2, 3, 1, 0]
    assert [r["answerable"] for r in rows] == [True, False, False, False]
    assert [r["status_label"] for r in rows] == ["待整改", "整改已通过", "已提交，待审核人员确认", "处理中"]


def test_business_choices_are_families_by_name_and_label_back():
    choices = dict(business_choices())
    assert choices["pfl.power.*"] == "承装（修、试）电力设施许可证"
    assert "pfl.power.renewal" not in choices  # a member of the family, not a choice of its own
    assert "identity.registration" in choices  # no family: a choice of its own
    assert len(set(choices.values())) == len(choices)  # no name twice
    for value, label in choices.items():
        assert business_label(value) == label  # statistics show the same name
