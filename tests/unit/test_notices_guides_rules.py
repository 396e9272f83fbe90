"""办事指南's rows (gateway/views/notices.py) and the notice schema (notify)."""

from __future__ import annotations

import pytest

from gateway.app import menu_for
from gateway.views.notices import guide_rows
from services.common.errors import ValidationFailed
from services.common.schema_errors import load_or_fail
from services.notify.usecases.notices import NoticeSchema


def test_guide_rows_name_lanes_and_levels_in_words():
    rows = guide_rows({"transactions": [
        {"label": "新申请", "needs_precheck": True, "levels": ["city", "province"],
         "time_limit_days": {"normal": 20, "fast_track": 15, "free_trade_zone": 15}},
        {"label": "补证", "needs_precheck": False, "levels": [], "time_limit_days": {}},
    ]})
    assert rows[0] == {"label": "新申请", "levels": "盟市 → 自治区", "needs_precheck": True,
                       "limits": "一般程序20个工作日；容缺受理15个工作日；自贸区15个工作日"}
    assert rows[1]["limits"] == "—" and rows[1]["levels"] == "" and rows[1]["needs_precheck"] is False


@pytest.mark.parametrize(("payload", "field"), [
    ({"title": "", "body": "正文内容"}, "title"),
    ({"title": "标题", "body": "x"}, "body"),
    ({"body": "正文内容"}, "title"),
    ({"title": "标" * 101, "body": "正文内容"}, "title"),
])
def test_notice_schema_refuses_blank_and_long(payload, field):
    with pytest.raises(ValidationFailed) as refused:
        load_or_fail(NoticeSchema(), payload)
    assert field in refused.value.fields


def test_every_menu_reads_notices_and_guides():
    for actor in (None, {"kind": "person", "permissions": []}, {"kind": "enterprise", "permissions": [],
                                                                  "status": "active"},
                  {"kind": "reviewer", "permissions": []}, {"kind": "admin", "permissions": []}):
        hrefs = [href for href, _ in menu_for(actor, None)]
        assert "/notices" in hrefs and "/guides" in hrefs, actor
