"""Licences at risk (issue 8 §9): a valid licence whose admission standards the enterprise's
records no longer meet, e.g. after a key person's certificate lapsed, was cancelled or moved
to another enterprise (personnel.key_person_changed), or after any change of the records
(enterprise.records_changed). Pure: the catalogue type, the licence's items, the records and
the date come in; the unmet standards and their explanation come out.

The explanation is what ``licences.at_risk`` keeps and what the enterprise and the admins see;
it names each unmet standard with what is required and what the records show, and carries no
date, so re-checking unchanged records gives the same text (and no new event).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.permits.catalogue import BusinessType
from services.permits.precheck import evaluate_selection

CAUSES = {"key_person_changed": "关键人员变动", "records_changed": "企业信息变更"}


@dataclass(frozen=True)
class LicenceRisk:
    unmet: tuple[dict[str, str], ...]  # [{key, label, required, actual}]

    @property
    def at_risk(self) -> bool:
        return bool(self.unmet)

    @property
    def reason(self) -> str | None:
        """The explanation kept in ``licences.at_risk``; None when every standard is met."""
        if not self.unmet:
            return None
        parts = "；".join(f"{u['label']}（要求：{u['required']}；现有：{u['actual']}）"
                         for u in self.unmet)
        return f"重新预审有{len(self.unmet)}项资质标准不再符合：{parts}"


def _selections(business_type: BusinessType, items: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """The licence's (category, grade) items that still have standards in the catalogue."""
    chosen = []
    for item in items:
        try:
            standards = business_type.standards_for(item["category"], item["grade"])
        except KeyError:  # an item the catalogue no longer offers: nothing to re-check
            continue
        if standards:
            chosen.append((item["category"], item["grade"]))
    return chosen


def licence_risk(business_type: BusinessType, items: Iterable[Mapping[str, Any]],
                 records: Mapping[str, Any], today: date) -> LicenceRisk:
    """Re-run the pre-check of a licence's items against fresh records (nothing owed: 容缺
    covers an application, not a licence holder's standing)."""
    selections = _selections(business_type, items)
    if not selections:
        return LicenceRisk(())
    result = evaluate_selection(business_type, selections, records, today=today)
    return LicenceRisk(tuple({"key": item.key, "label": item.label, "required": item.required,
                              "actual": item.actual} for item in result.unmet))


def changed(stored: str | None, risk: LicenceRisk) -> bool:
    """Whether the stored flag differs from the new outcome (flagged, reason changed, cleared)."""
    return stored != risk.reason
