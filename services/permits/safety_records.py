"""建筑施工企业安全生产许可证 不再审查延期 (issue 15 item 10): the condition the no-re-review
extension has, and the records it is judged on; plain Python, unit-tested.

《安全生产许可证条例》第九条 / 《建筑施工企业安全生产许可证管理规定》第八条: an enterprise that,
during the licence's period of validity, obeyed the law on work safety and had **no fatal
accident** (未发生死亡事故) may have the licence extended by three years without a new review
(不再审查), with the issuing authority's consent; otherwise it files the re-review extension
(重新审查延期) with the full material set. The platform learns about accidents from the
authorities, not from the enterprise: an admin records each production-safety accident (and
each administrative penalty for a work-safety violation), audited, and the no-re-review path is
refused while one falls inside the period. The remaining conditions (the licence is valid, the
renewal window) are the renewal's own (services/permits/transactions.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

NO_REVIEW_KINDS = ("renewal_no_review",)
RECORD_KINDS = {"accident": "生产安全事故", "penalty": "安全生产违法行为行政处罚"}
FATAL_CODE = "fatal_accident_in_period"
PENALTY_CODE = "safety_penalty_in_period"


@dataclass(frozen=True)
class SafetyRecord:
    kind: str          # accident / penalty
    occurred_on: date
    deaths: int
    summary: str


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def _period(valid_from: date, today: date) -> str:
    return f"{valid_from.isoformat()}至{today.isoformat()}"


def no_review_refusal(records: Iterable[SafetyRecord], valid_from: date, today: date) -> Refusal | None:
    """Why the no-re-review extension is refused (None: the condition holds): a fatal accident,
    else an administrative penalty for a work-safety violation, on a day in [valid_from, today]."""
    inside = sorted((r for r in records if valid_from <= r.occurred_on <= today),
                    key=lambda r: r.occurred_on)
    fatal = [r for r in inside if r.kind == "accident" and r.deaths > 0]
    if fatal:
        days = "、".join(f"{r.occurred_on.isoformat()}（死亡{r.deaths}人）" for r in fatal[:3])
        return Refusal(FATAL_CODE, f"安全生产许可证有效期内（{_period(valid_from, today)}）发生死亡事故："
                                   f"{days}，不符合不再审查延期的条件，请办理重新审查延期")
    penalties = [r for r in inside if r.kind == "penalty"]
    if penalties:
        days = "、".join(r.occurred_on.isoformat() for r in penalties[:3])
        return Refusal(PENALTY_CODE, f"安全生产许可证有效期内（{_period(valid_from, today)}）因安全生产"
                                     f"违法行为受到行政处罚（{days}），不符合不再审查延期的条件，"
                                     "请办理重新审查延期")
    return None


def record_errors(data: dict, today: date) -> dict[str, str]:
    """A record's fields beyond their types: an accident's date not in the future, deaths only
    for accidents."""
    errors: dict[str, str] = {}
    if data["occurred_on"] > today:
        errors["occurred_on"] = "发生日期不能晚于今天"
    if data["kind"] == "penalty" and data.get("deaths"):
        errors["deaths"] = "行政处罚记录不填写死亡人数"
    return errors
