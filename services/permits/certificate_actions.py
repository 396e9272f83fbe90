"""What an enterprise may start from one certificate row of 我的证书 (seed 000: 我的换证 /
遗失补办 / 延续 next to each certificate), and the page link that starts it for that certificate.

Pure: the business type, the licence (domain object) and today in; one entry per action the
type offers, each ``available`` or not with the reasons (the same rule create_draft enforces,
``transactions.check_eligibility``), so the page can show why a button is off before the
enterprise starts.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from services.permits.catalogue import BusinessType
from services.permits.licences import Licence
from services.permits.transactions import check_eligibility

# Seed 000's order and words on each certificate row.
ROW_ACTIONS = {"replacement": "我的换证", "reissue": "遗失补办", "renewal": "延续",
               "renewal_no_review": "不再审查延期"}


def start_path(type_code: str, kind: str, licence_id: str) -> str:
    """The /permits/new link that starts ``kind`` for this licence."""
    return "/permits/new?" + urlencode({"type": type_code, "kind": kind, "licence": licence_id})


def default_lane(business_type: BusinessType, kind: str) -> str:
    lanes = list(business_type.lanes_for(kind))
    return "normal" if "normal" in lanes or not lanes else lanes[0]


def offered(
    business_type: BusinessType, licence: Licence, licence_id: str, today: date
) -> list[dict[str, Any]]:
    """The row actions of ``business_type`` for ``licence``, in seed order."""
    actions: list[dict[str, Any]] = []
    selections = [(i.category, i.grade) for i in licence.items]
    submitter = next(iter(business_type.submitters), None) if business_type.submitters else None
    for kind, label in ROW_ACTIONS.items():
        if kind not in business_type.transactions:
            continue
        verdict = check_eligibility(
            kind, licence, today, business_type=business_type, selections=selections,
            lane=default_lane(business_type, kind), submitter=submitter,
        )
        actions.append({
            "kind": kind,
            "label": label,
            "available": verdict.ok,
            "reasons": list(verdict.reasons),
            "path": start_path(business_type.code, kind, licence_id),
        })
    return actions

