"""容缺受理 (acceptance with materials owed) and the free-trade-zone lane (PFL): credit and owed materials.

The credit check goes through a :class:`CreditProvider` (a protocol): today the permits service
implements it with its local credit register (admin-maintained); a real credit service can
implement the same one method later (e.g. behind an RPC ``credit.credit_of``).

Rules (seed 003, ../shared/domain.md §3):

- 容缺受理: good credit and no "accepted with materials owed but did not deliver on time" in the
  last two years; for a new licence only an enterprise without a live licence (first application,
  or again after cancellation).
- 自贸区: good credit and within the free-trade-zone pilot; same rule on live licences for new.
- Owed materials (``owable`` attachments of the catalogue) get a deadline; a material not
  delivered by its deadline becomes a default (:class:`OwedDefault`) recorded in the register.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Protocol

from services.permits.licences import add_years
from services.permits.transactions import Eligibility

RATINGS = {"good": "良好", "fair": "一般", "poor": "较差", "unknown": "无信用记录"}
DEFAULT_LOOKBACK_YEARS = 2
# No published figure for how long owed materials may be outstanding: plausible, configurable.
DEFAULT_OWED_DAYS = 30


@dataclass(frozen=True)
class OwedDefault:
    """A missed owed-materials deadline (未按时提交容缺材料)."""

    application_id: str
    material_code: str
    material_name: str
    deadline: date


@dataclass(frozen=True)
class CreditRecord:
    enterprise_id: str
    rating: str = "unknown"
    free_trade_zone: bool = False
    defaults: tuple[OwedDefault, ...] = ()
    source: str = "local"

    def __post_init__(self) -> None:
        if self.rating not in RATINGS:
            raise ValueError(f"unknown credit rating {self.rating!r}")


class CreditProvider(Protocol):
    """Where credit comes from. ``credit_of`` must not raise for an unknown enterprise: it
    answers a record with rating ``unknown`` (which is not good credit)."""

    def credit_of(self, enterprise_id: str, today: date) -> CreditRecord: ...


@dataclass
class LocalCreditRegister:
    """An in-memory CreditProvider (tests, and the shape of the service's register table)."""

    records: dict[str, CreditRecord] = field(default_factory=dict)

    def credit_of(self, enterprise_id: str, today: date) -> CreditRecord:
        return self.records.get(enterprise_id, CreditRecord(enterprise_id))

    def set_rating(self, enterprise_id: str, rating: str,
                   free_trade_zone: bool | None = None) -> CreditRecord:
        current = self.credit_of(enterprise_id, date.min)
        ftz = current.free_trade_zone if free_trade_zone is None else free_trade_zone
        updated = replace(current, rating=rating, free_trade_zone=ftz)
        self.records[enterprise_id] = updated
        return updated

    def record_defaults(self, enterprise_id: str, defaults: Iterable[OwedDefault]) -> CreditRecord:
        current = self.credit_of(enterprise_id, date.min)
        known = {(d.application_id, d.material_code) for d in current.defaults}
        new = tuple(d for d in defaults if (d.application_id, d.material_code) not in known)
        updated = replace(current, defaults=current.defaults + new)
        self.records[enterprise_id] = updated
        return updated


def recent_defaults(record: CreditRecord, today: date,
                    years: int = DEFAULT_LOOKBACK_YEARS) -> list[OwedDefault]:
    since = add_years(today, -years)
    return [d for d in record.defaults if since <= d.deadline <= today]


def _licence_rule(kind: str, holds_live_licence: bool, lane_label: str) -> list[str]:
    if kind == "new" and holds_live_licence:
        return [f"{lane_label}新申请仅限未持证企业首次申请或已注销企业再次申请"]
    return []


def fast_track_eligibility(record: CreditRecord, today: date, *, kind: str = "new",
                           holds_live_licence: bool = False) -> Eligibility:
    """May this enterprise use 容缺受理 now? Every reason in Chinese when not."""
    reasons = []
    if record.rating != "good":
        reasons.append(f"容缺受理要求信用情况良好（当前：{RATINGS[record.rating]}）")
    missed = recent_defaults(record, today)
    if missed:
        first = min(missed, key=lambda d: d.deadline)
        reasons.append(f"两年内发生过“申请容缺受理，但未按时提交容缺材料”的情况"
                       f"（{first.material_name}，应于{first.deadline.isoformat()}前提交，共{len(missed)}次）")
    reasons.extend(_licence_rule(kind, holds_live_licence, "容缺受理"))
    return Eligibility(not reasons, tuple(reasons))


def free_trade_zone_eligibility(record: CreditRecord, today: date, *, kind: str = "new",
                                holds_live_licence: bool = False) -> Eligibility:
    reasons = []
    if record.rating != "good":
        reasons.append(f"自贸区通道要求信用情况良好（当前：{RATINGS[record.rating]}）")
    if not record.free_trade_zone:
        reasons.append("企业不在自贸区试点范围内")
    reasons.extend(_licence_rule(kind, holds_live_licence, "自贸区"))
    return Eligibility(not reasons, tuple(reasons))


def lane_options(record: CreditRecord, today: date, *, offered_lanes: Sequence[str], kind: str,
                 holds_live_licence: bool) -> dict[str, Eligibility]:
    """For each lane the type offers for ``kind``, whether this enterprise may use it."""
    options = {}
    for lane in offered_lanes:
        if lane == "normal":
            options[lane] = Eligibility(True)
        elif lane == "fast_track":
            options[lane] = fast_track_eligibility(record, today, kind=kind,
                                                   holds_live_licence=holds_live_licence)
        elif lane == "free_trade_zone":
            options[lane] = free_trade_zone_eligibility(record, today, kind=kind,
                                                        holds_live_licence=holds_live_licence)
    return options


@dataclass(frozen=True)
class OwedMaterial:
    code: str
    name: str
    deadline: date
    delivered_on: date | None = None

    def overdue(self, today: date) -> bool:
        return self.delivered_on is None and today > self.deadline


@dataclass(frozen=True)
class OwedPlan:
    owed: tuple[OwedMaterial, ...]       # missing and owable: accepted, to deliver by the deadline
    missing: tuple[dict[str, Any], ...]  # missing and not owable: block submission

    @property
    def ok(self) -> bool:
        return not self.missing

    def reasons(self) -> list[str]:
        return [f"“{item['name']}”不可容缺，须在提交前上传" for item in self.missing]


def plan_owed(required: Sequence[Mapping[str, Any]], provided_codes: Iterable[str], accepted_on: date,
              deadline_days: int = DEFAULT_OWED_DAYS) -> OwedPlan:
    """Split the missing required attachments into owed (owable, with a deadline) and blocking."""
    provided = set(provided_codes)
    owed, missing = [], []
    deadline = accepted_on + timedelta(days=deadline_days)
    for item in required:
        if not item.get("required", True) or item["code"] in provided:
            continue
        if item.get("owable"):
            owed.append(OwedMaterial(item["code"], item["name"], deadline))
        else:
            missing.append(dict(item))
    return OwedPlan(tuple(owed), tuple(missing))


def deliver(owed: Sequence[OwedMaterial], code: str, on: date) -> tuple[OwedMaterial, ...]:
    """Mark one owed material delivered (a late delivery is delivered; its default stays)."""
    if code not in {m.code for m in owed}:
        raise KeyError(f"“{code}”不是本申请的容缺材料")
    return tuple(replace(m, delivered_on=on) if m.code == code and m.delivered_on is None else m
                 for m in owed)


def missed_deadlines(owed: Sequence[OwedMaterial], today: date, application_id: str) -> list[OwedDefault]:
    """Owed materials not delivered by their deadline, as defaults to record in the register."""
    return [OwedDefault(application_id, m.code, m.name, m.deadline) for m in owed if m.overdue(today)]
