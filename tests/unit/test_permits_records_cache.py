"""permits' cache of the enterprises' records by version (services/permits/records_cache.py)."""

from __future__ import annotations

import uuid
from typing import Any

from services.permits.records_cache import RecordsCache

A, B, C = (uuid.UUID(int=n) for n in (1, 2, 3))


class Enterprise:
    """records_for_precheck with known_version, as the enterprise service answers it."""

    def __init__(self) -> None:
        self.versions: dict[uuid.UUID, int] = {A: 3, B: 1, C: 1}
        self.asked: list[tuple[uuid.UUID, int | None]] = []

    def ask(self, eid: uuid.UUID, known: int | None) -> dict[str, Any]:
        self.asked.append((eid, known))
        version = self.versions[eid]
        if known == version:
            return {"enterprise_id": str(eid), "records_version": version, "unchanged": True}
        return {"enterprise_id": str(eid), "records_version": version,
                "staff": [{"name": f"人员{version}", "certificates": [{"kind": "safety_a"}]}]}


def test_the_version_held_is_sent_and_an_unchanged_answer_gives_the_kept_records():
    enterprise, cache = Enterprise(), RecordsCache()
    first = cache.records(A, enterprise.ask)
    again = cache.records(A, enterprise.ask)
    assert enterprise.asked == [(A, None), (A, 3)]
    assert again == first and again["records_version"] == 3 and "unchanged" not in again


def test_a_new_version_is_answered_in_full_and_kept():
    enterprise, cache = Enterprise(), RecordsCache()
    cache.records(A, enterprise.ask)
    enterprise.versions[A] = 4
    fresh = cache.records(A, enterprise.ask)
    assert fresh["staff"][0]["name"] == "人员4"
    assert cache.records(A, enterprise.ask)["staff"][0]["name"] == "人员4"
    assert enterprise.asked == [(A, None), (A, 3), (A, 4)]


def test_each_caller_gets_its_own_copy():
    enterprise, cache = Enterprise(), RecordsCache()
    cache.records(A, enterprise.ask)
    mine = cache.records(A, enterprise.ask)
    mine["staff"][0]["certificates"].clear()
    mine["name"] = "改过"
    theirs = cache.records(A, enterprise.ask)
    assert theirs["staff"][0]["certificates"] == [{"kind": "safety_a"}] and "name" not in theirs


def test_the_least_recently_asked_enterprise_is_dropped_first():
    enterprise, cache = Enterprise(), RecordsCache(size=2)
    for eid in (A, B, A, C):  # B is the least recently asked when C comes
        cache.records(eid, enterprise.ask)
    enterprise.asked.clear()
    cache.records(A, enterprise.ask)
    cache.records(B, enterprise.ask)
    assert enterprise.asked == [(A, 3), (B, None)]


def test_an_unchanged_answer_for_a_version_not_held_asks_again_in_full():
    enterprise, cache = Enterprise(), RecordsCache()
    cache.records(A, enterprise.ask)
    answers = iter([{"enterprise_id": str(A), "records_version": 2, "unchanged": True},
                    {"enterprise_id": str(A), "records_version": 5, "staff": []}])
    asked: list[int | None] = []

    def odd(eid: uuid.UUID, known: int | None) -> dict[str, Any]:
        asked.append(known)
        return next(answers)

    assert cache.records(A, odd) == {"enterprise_id": str(A), "records_version": 5, "staff": []}
    assert asked == [3, None]
