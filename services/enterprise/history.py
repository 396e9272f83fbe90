"""变更记录's 操作人: who made a change, as the enterprise reads it (plain Python, unit-tested).

An approved 变更申请 is applied by enterprise on review's ``case_decided``; the record names the
reviewer who decided it, with the desk (level and region) they decided at."""

from __future__ import annotations

from typing import Any

REVIEW_LEVELS = {"city": "盟市", "province": "自治区", "ministry": "部级"}
ACTOR_NAME_MAX = 120


def decider_label(name: str | None, level: str | None, desk_region: str | None) -> str:
    """``王审核（自治区 150000 审核）``; older events without the desk give the name only."""
    who = (name or "").strip() or "审核人员"
    desk = " ".join(p for p in (REVIEW_LEVELS.get(level or "", level or ""), desk_region or "") if p)
    return (f"{who}（{desk} 审核）" if desk else who)[:ACTOR_NAME_MAX]


def decider_actor(data: dict[str, Any]) -> dict[str, Any]:
    """The actor a change approved by review is recorded with (review's case_decided data)."""
    return {"id": data.get("decided_by_id") or "review", "kind": "reviewer",
            "history_name": decider_label(data.get("decided_by"), data.get("decided_level"),
                                          data.get("decided_desk_region"))}


def operator_label(actor_name: str | None, actor_id: str | None, enterprise_id: str) -> str:
    """The 操作人 column: the recorded name, else the enterprise itself, its sub-account or the system."""
    if actor_name:
        return actor_name
    if actor_id is None:
        return "系统"
    if actor_id == "review":
        return "审核部门"
    return "本单位" if actor_id == enterprise_id else "本单位子账号"
