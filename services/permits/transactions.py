"""Transaction kinds (新申请、延续、变更、增项、升级、补换证、注销): who may file what, and the
licence that results.

- ``check_eligibility(kind, licence, today, business_type=..., ...)`` → :class:`Eligibility` with
  every reason in Chinese (empty when eligible). ``Eligibility.require()`` raises ``Conflict``.
- ``licence_after(kind, old_licence, decision, today, business_type=...)`` → :class:`LicenceOutcome`:
  the licence edition to issue (number, items, validity, issue date) and the previous edition
  with its new stored status (``replaced`` / ``cancelled``).

Rules (sources in the catalogue files and ../shared/domain.md):

- renewal: filed no later than the type's deadline before expiry (HMQ/CIP: 3 months; PFL: 30
  days); PFL may downgrade (same categories, same or lower grades); the new period follows the
  old one without a gap; the number is kept.
- registration-item change (name, legal representative, address — PFL 登记事项变更, HMQ
  simple/complex change, CIP 变更): keeps the number and the validity; issue date today.
- licence-item change (PFL 许可事项变更: category/grade): keeps the number and the original
  validity; issue date today.
- add-item / upgrade: keep the number and the validity (plausible; the seeds say only that the
  flow equals a new application); issue date today.
- reissue / replacement (补证 / 换证): same number, items and validity; a new edition issued today.
- cancellation (注销): no new edition; the licence becomes ``cancelled``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from services.common.errors import Conflict
from services.permits import renewal_window
from services.permits.catalogue import LANES, TRANSACTION_KINDS, BusinessType
from services.permits.licences import Licence, LicenceItem, add_months, status_on, validity_until

CHANGE_KINDS = ("registration_change", "simple_change", "complex_change")
# 延续, and CIP's 不再审查延期 (the same window and outcome; its own condition and materials)
RENEWAL_KINDS = ("renewal", "renewal_no_review")
# Kinds that act on an existing licence, and the live statuses each accepts.
NEEDS_STATUS = {
    "renewal": ("valid",),
    "renewal_no_review": ("valid",),
    "registration_change": ("valid",),
    "simple_change": ("valid",),
    "complex_change": ("valid",),
    "licence_change": ("valid",),
    "add_item": ("valid",),
    "upgrade": ("valid",),
    "reissue": ("valid",),
    "replacement": ("valid",),
    "cancellation": ("valid", "suspended", "expired"),
}
STATUS_WORDS = {"valid": "有效", "suspended": "暂扣", "revoked": "已撤销", "expired": "已过期",
                "replaced": "已换发", "cancelled": "已注销"}


@dataclass(frozen=True)
class Eligibility:
    ok: bool
    reasons: tuple[str, ...] = ()

    def require(self) -> None:
        """Raise Conflict (code ``not_eligible``) quoting every reason."""
        if not self.ok:
            raise Conflict("不符合办理条件：" + "；".join(self.reasons), code="not_eligible")


@dataclass(frozen=True)
class LicenceOutcome:
    licence: Licence | None      # the edition to issue (None for cancellation)
    previous: Licence | None     # the old edition with its new stored status, if there was one


def _items(selections: Iterable[Any]) -> tuple[LicenceItem, ...]:
    items = []
    for sel in selections:
        if isinstance(sel, LicenceItem):
            items.append(sel)
        elif isinstance(sel, dict):
            items.append(LicenceItem(sel["category"], sel["grade"]))
        else:
            category, grade = sel
            items.append(LicenceItem(category, grade))
    return tuple(items)


def change_kind_for(business_type: BusinessType, items: Iterable[str]) -> str:
    """Which change transaction covers the given registration items.

    HMQ: only simple items → ``simple_change``; any complex item → ``complex_change``. Types with
    one change kind answer it when it covers every item. Unknown items raise ValueError (Chinese).
    """
    wanted = list(dict.fromkeys(items))
    if not wanted:
        raise ValueError("请选择变更事项")
    kinds = [k for k in CHANGE_KINDS if k in business_type.transactions]
    covered = {k: set(business_type.change_items(k)) for k in kinds}
    known = set().union(*covered.values()) if covered else set()
    unknown = [i for i in wanted if i not in known]
    if unknown:
        raise ValueError(f"{business_type.name}没有变更事项：{'、'.join(unknown)}")
    if "complex_change" in covered and set(wanted) & covered["complex_change"]:
        return "complex_change"
    for kind in kinds:
        if set(wanted) <= covered[kind]:
            return kind
    raise ValueError("所选变更事项须分别申请")


def renewal_deadline(business_type: BusinessType, valid_until: date) -> date:
    """The last day a renewal may be filed."""
    renewal = business_type.renewal
    if renewal.get("deadline_before_expiry_months") is not None:
        return add_months(valid_until, -int(renewal["deadline_before_expiry_months"]))
    return valid_until - timedelta(days=int(renewal.get("deadline_before_expiry_days") or 0))


def _renewal_rule(business_type: BusinessType) -> str:
    renewal = business_type.renewal
    if renewal.get("deadline_before_expiry_months") is not None:
        return f"有效期届满{renewal['deadline_before_expiry_months']}个月之前"
    return f"有效期届满{renewal.get('deadline_before_expiry_days')}日之前"


def _selection_problems(business_type: BusinessType, items: Sequence[LicenceItem]) -> list[str]:
    problems = []
    seen = set()
    for item in items:
        if item.category not in business_type.categories:
            problems.append(f"{business_type.name}没有类别“{item.category}”")
            continue
        category = business_type.categories[item.category]
        if item.grade not in category.grades:
            problems.append(f"{category.name}没有“{item.grade}”等级，可选：{'、'.join(category.grades)}")
        if item.category in seen:
            problems.append(f"{category.name}只能选择一个等级")
        seen.add(item.category)
    if len(items) > 1 and not business_type.multi_category:
        problems.append(f"{business_type.name}一次只能申请一个类别")
    return problems


def check_eligibility(kind: str, licence: Licence | None, today: date, *, business_type: BusinessType,
                      selections: Iterable[Any] = (), lane: str = "normal", nature: str | None = None,
                      submitter: str | None = None) -> Eligibility:
    """Whether an enterprise may file ``kind`` now; every reason, in Chinese, when not.

    ``licence`` is the enterprise's current licence of this type (None when it holds none);
    ``selections`` the (category, grade) pairs applied for (new, renewal with downgrade,
    licence change, add-item, upgrade).
    """
    reasons: list[str] = []
    label = TRANSACTION_KINDS.get(kind, kind)
    if kind not in business_type.transactions:
        offered = "、".join(TRANSACTION_KINDS[k] for k in business_type.transactions)
        return Eligibility(False, (f"{business_type.name}不办理“{label}”，可办理：{offered}",))
    if lane not in business_type.lanes_for(kind):
        reasons.append(f"{business_type.transaction(kind)['label']}不提供{LANES.get(lane, lane)}通道")
    if business_type.natures and kind == "new" and nature not in business_type.natures:
        reasons.append("请选择申请性质：" + "、".join(business_type.natures.values()))
    if business_type.submitters and submitter not in business_type.submitters:
        reasons.append("请选择提交类型：" + "、".join(business_type.submitters.values()))
    items = _items(selections)
    selection_problems = _selection_problems(business_type, items)
    if selection_problems:  # unknown categories/grades: the rules below cannot be judged
        return Eligibility(False, tuple(reasons + selection_problems))

    if kind == "new":
        if not items:
            reasons.append("请选择申请类别及等级")
        if licence is not None and status_on(licence, today) in ("valid", "suspended"):
            reasons.append(f"已持有{business_type.name}（{licence.number}），"
                           f"请办理变更、增项、升级或延续；新申请仅限未持证企业首次申请或证书注销后再次申请")
        return Eligibility(not reasons, tuple(reasons))

    if licence is None:
        reasons.append(f"未持有{business_type.name}，不能办理{label}，请先办理新申请")
        return Eligibility(False, tuple(reasons))
    if licence.type_code != business_type.code:
        reasons.append("所选证书不是本业务类型的证书")
        return Eligibility(False, tuple(reasons))
    live = status_on(licence, today)
    if live not in NEEDS_STATUS[kind]:
        allowed = "、".join(STATUS_WORDS[s] for s in NEEDS_STATUS[kind])
        reasons.append(f"证书{licence.number}当前状态为“{STATUS_WORDS[live]}”，{label}仅限{allowed}的证书")

    held = {item.category: item for item in licence.items}
    if kind in RENEWAL_KINDS:
        deadline = renewal_deadline(business_type, licence.valid_until)
        if live == "valid" and today > deadline:
            reasons.append(f"延续申请应当在{_renewal_rule(business_type)}提出：证书有效期至"
                           f"{licence.valid_until.isoformat()}，最迟应于{deadline.isoformat()}提交，已逾期")
        early = renewal_window.too_early(business_type.renewal, licence.valid_until, today)
        if live == "valid" and early:
            reasons.append(early)
        for item in items:
            if item.category not in held:
                reasons.append(f"延续不能增加类别“{business_type.category(item.category).name}”，请办理增项")
                continue
            old_rank = business_type.grade_rank(item.category, held[item.category].grade)
            new_rank = business_type.grade_rank(item.category, item.grade)
            if new_rank < old_rank:
                reasons.append(f"延续不能升级（{held[item.category].grade}→{item.grade}），请办理升级或许可事项变更")
            elif new_rank > old_rank and not business_type.renewal.get("may_downgrade"):
                reasons.append(f"{business_type.name}延续不能降级")
    elif kind == "licence_change":
        if not items:
            reasons.append("请选择变更后的许可类别及等级")
        elif set(items) == set(licence.items):
            reasons.append("变更后的许可类别及等级与原证书相同")
    elif kind == "add_item":
        if not items:
            reasons.append("请选择增项的类别及等级")
        for item in items:
            if item.category in held:
                reasons.append(f"已持有{business_type.category(item.category).name}"
                               f"{held[item.category].grade}，不能重复增项")
    elif kind == "upgrade":
        if not items:
            reasons.append("请选择升级后的类别及等级")
        for item in items:
            if item.category not in held:
                reasons.append(f"未持有{business_type.category(item.category).name}，请办理增项")
                continue
            if not business_type.category(item.category).graded:
                reasons.append(f"{business_type.category(item.category).name}不分等级，不能升级")
                continue
            old_rank = business_type.grade_rank(item.category, held[item.category].grade)
            if business_type.grade_rank(item.category, item.grade) >= old_rank:
                reasons.append(f"{business_type.category(item.category).name}升级须高于现有"
                               f"{held[item.category].grade}")
    return Eligibility(not reasons, tuple(reasons))


def licence_after(kind: str, old_licence: Licence | None, decision: dict[str, Any], today: date, *,
                  business_type: BusinessType) -> LicenceOutcome:
    """The licence an approved ``kind`` produces.

    ``decision`` keys: ``items`` (approved (category, grade) pairs; defaults to the old items),
    ``number`` (new applications: from ``licences.next_number``), ``holder_id``,
    ``holder_name``, ``holder_uscc``, ``details`` (new or changed registration items).
    """
    items = _items(decision.get("items") or ())
    if kind == "new":
        if not decision.get("number"):
            raise ValueError("a new licence needs decision['number'] (licences.next_number)")
        licence = Licence(number=decision["number"], type_code=business_type.code,
                          holder_id=str(decision["holder_id"]), holder_name=decision["holder_name"],
                          holder_uscc=decision["holder_uscc"], items=items, issued_on=today, valid_from=today,
                          valid_until=validity_until(business_type, today), first_issued_on=today,
                          details=dict(decision.get("details") or {}))
        return LicenceOutcome(licence, None)  # a new application follows no live licence
    if old_licence is None:
        raise ValueError(f"{kind} needs the old licence")
    if kind == "cancellation":
        return LicenceOutcome(None, replace(old_licence, status="cancelled"))

    base = replace(old_licence, issued_on=today, edition=old_licence.edition + 1, status="valid",
                   first_issued_on=old_licence.first_issued_on or old_licence.issued_on)
    if kind in RENEWAL_KINDS:
        valid_from = old_licence.valid_until + timedelta(days=1)
        new = replace(base, items=items or old_licence.items, valid_from=valid_from,
                      valid_until=validity_until(business_type, valid_from))
    elif kind in CHANGE_KINDS:
        details = {**old_licence.details, **(decision.get("details") or {})}
        new = replace(base, holder_name=decision.get("holder_name") or old_licence.holder_name,
                      holder_uscc=decision.get("holder_uscc") or old_licence.holder_uscc, details=details,
                      items=items or old_licence.items)
    elif kind == "licence_change":
        new = replace(base, items=items or old_licence.items)
    elif kind in ("add_item", "upgrade"):
        merged = {item.category: item for item in old_licence.items}
        merged.update({item.category: item for item in items})
        order = list(business_type.categories)
        new = replace(base, items=tuple(sorted(merged.values(), key=lambda i: order.index(i.category))))
    elif kind in ("reissue", "replacement"):
        new = base
    else:
        raise ValueError(f"unknown transaction kind {kind!r}")
    return LicenceOutcome(new, replace(old_licence, status="replaced"))
