"""容缺受理 on the review case (issue 15 item 8): owed items kept from the request, judged
against today for the reviewer."""

from __future__ import annotations

from datetime import date

from services.common.contracts.review import ReviewRequestedData
from services.review import owed
from services.review.schemas import ReviewRequestedData as ReviewSide


def test_stored_sorted_by_deadline_as_json():
    rows = owed.stored([{"code": "b", "name": "保险", "deadline": date(2026, 7, 1)},
                        {"code": "a", "name": "业绩", "deadline": date(2026, 6, 1)},
                        {"name": "无期限", "deadline": None}])
    assert [r["name"] for r in rows] == ["业绩", "保险", "无期限"]
    assert rows[0] == {"code": "a", "name": "业绩", "deadline": "2026-06-01"}


def test_view_flags_overdue_and_days_left():
    rows = owed.view([{"code": "a", "name": "业绩", "deadline": "2026-06-01"},
                      {"code": "", "name": "无期限", "deadline": None}], date(2026, 6, 3))
    assert rows[0]["overdue"] and rows[0]["days_left"] == -2
    assert not rows[1]["overdue"] and rows[1]["days_left"] is None
    assert owed.view(None, date(2026, 6, 3)) == []


def test_the_contract_carries_owed_and_review_reads_it():
    data = {"case_ref": "permits:application:1", "case_type": "pfl.power.new", "lane": "fast_track",
            "enterprise_id": "e", "enterprise_name": "甲", "region_code": "150000", "title": "t",
            "revision": 1, "fields": {}, "attachments": [], "submitted_at": "2026-06-01T08:00:00+00:00",
            "owed": [{"code": "insurance", "name": "保险", "deadline": "2026-07-01"}]}
    sent = ReviewRequestedData().dump(ReviewRequestedData().load(data))
    assert sent["owed"] == [{"code": "insurance", "name": "保险", "deadline": "2026-07-01"}]
    read = ReviewSide().load(sent)
    assert read["owed"][0]["deadline"] == date(2026, 7, 1)
    assert ReviewSide().load({k: v for k, v in data.items() if k != "owed"})["owed"] == []
