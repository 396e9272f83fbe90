"""Explained pre-check: an enterprise's records against the admission standards of a grade.

``evaluate(standards, records, today=...)`` takes the standards of one category and grade (from
``BusinessType.standards_for``) and the dict of ``enterprise.records_for_precheck`` (see
docs/contracts.md) and returns a :class:`PrecheckResult` listing **every** standard with its
status (``met`` / ``unmet`` / ``owed``), what is required and what the records show (Chinese
text) and a link to the enterprise-space page where it is fixed. ``evaluate_selection`` does the
same for several category/grade selections at once (PFL 承装 + 承修 + 承试).

Deterministic: the date is passed in (project ages, certificate validity); nothing reads the
clock. ``owed`` names standards accepted as owed under 容缺受理 (accepted_with_owed): they are
reported with status ``owed`` and do not block submission.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from services.common.vocabulary import CERTIFICATE_KINDS, STAFF_CATEGORIES
from services.permits.catalogue import BusinessType
from services.permits.catalogue_format import FINANCE_FIELDS, LEVEL_LABELS, LEVELS
from services.permits.licences import add_years

Outcome = tuple[bool, str, str, list[str]]  # met, required text, actual text, details

MET = "met"
UNMET = "unmet"
OWED = "owed"
STATUS_LABELS = {MET: "符合", UNMET: "不符合", OWED: "容缺（后补）"}

FIX_LINKS = {
    "finance": "/enterprise?tab=basic",
    "performance": "/enterprise?tab=projects",
    "equipment": "/enterprise?tab=equipment",
    "staff": "/enterprise?tab=staff",
}


@dataclass(frozen=True)
class StandardResult:
    """One standard's outcome. ``key`` is unique within a result (``<category>.<grade>.<id>``
    for selections, the standard id otherwise)."""

    key: str
    id: str
    kind: str
    label: str
    status: str
    required: str
    actual: str
    fix_link: str
    provenance: str | None = None
    details: tuple[str, ...] = ()
    category: str | None = None
    grade: str | None = None

    @property
    def met(self) -> bool:
        return self.status == MET

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class PrecheckResult:
    items: tuple[StandardResult, ...]
    evaluated_on: date
    records_version: int | None = None
    owed_keys: frozenset[str] = field(default_factory=frozenset)

    @property
    def passed(self) -> bool:
        """True when nothing blocks submission (every item met or owed)."""
        return not self.unmet

    @property
    def unmet(self) -> list[StandardResult]:
        return [item for item in self.items if item.status == UNMET]

    @property
    def owed(self) -> list[StandardResult]:
        return [item for item in self.items if item.status == OWED]

    @property
    def accepted_with_owed(self) -> bool:
        return self.passed and bool(self.owed)

    def summary(self) -> str:
        total = len(self.items)
        met = total - len(self.unmet) - len(self.owed)
        text = f"共{total}项标准，符合{met}项，不符合{len(self.unmet)}项"
        if self.owed:
            text += f"，容缺后补{len(self.owed)}项"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "accepted_with_owed": self.accepted_with_owed,
            "summary": self.summary(),
            "evaluated_on": self.evaluated_on.isoformat(),
            "records_version": self.records_version,
            "items": [dict(asdict(item), met=item.met, status_label=item.status_label,
                           details=list(item.details)) for item in self.items],
        }


# ---------------------------------------------------------------- helpers

def _level_at_least(level: str | None, minimum: str) -> bool:
    return level in LEVELS and LEVELS.index(level) >= LEVELS.index(minimum)


def _parse_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _number(value: float | int) -> str:
    return f"{int(value)}" if float(value).is_integer() else f"{value:g}"


def _valid_certificates(person: Mapping[str, Any], kinds: Sequence[str], today: date) -> list[dict[str, Any]]:
    found = []
    for cert in person.get("certificates") or []:
        if cert.get("kind") not in kinds:
            continue
        until = _parse_date(cert.get("valid_until"))
        if until is not None and until < today:
            continue
        found.append(cert)
    return found


def _staff_link(category: str | None) -> str:
    return f"{FIX_LINKS['staff']}&category={category}" if category else FIX_LINKS["staff"]


def _cert_names(kinds: Sequence[str]) -> str:
    return "或".join(CERTIFICATE_KINDS.get(k, k) for k in kinds)


# ---------------------------------------------------------------- per kind

PROJECT_MINIMA = (("min_voltage_kv", "voltage_kv", "千伏"), ("min_length_km", "length_km", "公里"),
                  ("min_amount_wan", "contract_amount_wan", "万元"))

def _finance(std: Mapping[str, Any], records: Mapping[str, Any], today: date) -> Outcome:
    name = FINANCE_FIELDS[std["field"]]
    value = (records.get("finance") or {}).get(std["field"])
    required = f"{name}不少于{_number(std['min'])}万元"
    if value is None:
        return False, required, f"未填写{name}", []
    return float(value) >= float(std["min"]), required, f"{name}{_number(value)}万元", []


def _staff_requirement(std: Mapping[str, Any], people_label: str) -> str:
    parts = []
    if std.get("title_level"):
        parts.append(f"{LEVEL_LABELS[std['title_level']]}及以上职称")
    if std.get("skill_level"):
        parts.append(f"{LEVEL_LABELS[std['skill_level']]}及以上技能等级")
    if std.get("certificate_kinds"):
        parts.append(f"持有效{_cert_names(std['certificate_kinds'])}证书")
    if std.get("min_years"):
        parts.append(f"{std['min_years']}年以上相关经历")
    condition = f"（{'，'.join(parts)}）" if parts else ""
    return f"{people_label}{condition}不少于{_number(std['min'])}人"


def _person_shortfalls(std: Mapping[str, Any], person: Mapping[str, Any], today: date) -> list[str]:
    """Why one person does not count for a staff standard (empty when they count)."""
    reasons = []
    level_key = next((k for k in ("title_level", "skill_level") if std.get(k)), None)
    if level_key:
        have = person.get(level_key)
        if not _level_at_least(have, std[level_key]):
            what = "职称" if level_key == "title_level" else "技能等级"
            reasons.append(f"{what}{LEVEL_LABELS.get(have, '未填写') if have else '未填写'}，"
                           f"要求{LEVEL_LABELS[std[level_key]]}及以上")
    if std.get("min_years"):
        years = person.get("years_experience")
        if years is None or years < std["min_years"]:
            shown = "未填写" if years is None else f"{years}年"
            reasons.append(f"相关经历{shown}，要求{std['min_years']}年以上")
    if std.get("certificate_kinds") and not _valid_certificates(person, std["certificate_kinds"], today):
        reasons.append(f"无有效{_cert_names(std['certificate_kinds'])}证书")
    return reasons


def _staff(std: Mapping[str, Any], records: Mapping[str, Any], today: date) -> Outcome:
    if std["kind"] == "key_staff":
        categories = [std["category"]] if std.get("category") else []
    else:
        categories = list(std["categories"])
    people_label = std.get("label") or "、".join(STAFF_CATEGORIES[c] for c in categories) or "人员"
    pool = [p for p in records.get("staff") or [] if not categories or p.get("category") in categories]
    counted, details = [], []
    for person in pool:
        shortfalls = _person_shortfalls(std, person, today)
        if shortfalls:
            details.append(f"{person.get('name', '')}：{'；'.join(shortfalls)}")
        else:
            counted.append(person)
    required = _staff_requirement(std, people_label)
    scope = "、".join(STAFF_CATEGORIES[c] for c in categories) if categories else "全部人员"
    actual = f"符合条件{len(counted)}人（{scope}共{len(pool)}人）"
    # The near misses explain the gap; cap the list so a 60-person roster stays readable.
    return len(counted) >= std["min"], required, actual, details[:10]


def _performance(std: Mapping[str, Any], records: Mapping[str, Any], today: date) -> Outcome:
    since = add_years(today, -int(std["within_years"]))
    counted, details = [], []
    for project in records.get("projects") or []:
        reasons = []
        wanted = std.get("project_categories")
        if wanted and project.get("category") not in wanted and project.get("category_label") not in wanted:
            continue  # the catalogue names categories by the enterprise's labels (or codes)
        completed = _parse_date(project.get("completed_on"))
        if completed is None:
            reasons.append("未填写完工日期")
        elif not since <= completed <= today:
            reasons.append(f"完工于{completed.isoformat()}，不在近{std['within_years']}年内")
        for key, label, unit in PROJECT_MINIMA:
            if std.get(key) is not None:
                value = project.get(label)
                if value is None or float(value) < float(std[key]):
                    shown = "未填写" if value is None else f"{_number(value)}{unit}"
                    reasons.append(f"{shown}，要求{_number(std[key])}{unit}及以上")
        if reasons:
            details.append(f"{project.get('name', '')}：{'；'.join(reasons)}")
        else:
            counted.append(project)
    what = "、".join(std.get("project_categories") or []) or "工程"
    conditions = []
    if std.get("min_voltage_kv") is not None:
        conditions.append(f"{_number(std['min_voltage_kv'])}千伏及以上")
    if std.get("min_length_km") is not None:
        conditions.append(f"单项{_number(std['min_length_km'])}公里及以上")
    if std.get("min_amount_wan") is not None:
        conditions.append(f"合同额{_number(std['min_amount_wan'])}万元及以上")
    condition = f"（{'，'.join(conditions)}）" if conditions else ""
    required_parts, ok = [], True
    total_length = sum(float(p.get("length_km") or 0) for p in counted)
    if std.get("min") is not None:
        required_parts.append(f"不少于{_number(std['min'])}项")
        ok = ok and len(counted) >= std["min"]
    if std.get("min_total_length_km") is not None:
        required_parts.append(f"累计不少于{_number(std['min_total_length_km'])}公里")
        ok = ok and total_length >= float(std["min_total_length_km"])
    required = f"近{std['within_years']}年{what}业绩{condition}{'，'.join(required_parts)}"
    actual = f"符合条件{len(counted)}项"
    if std.get("min_total_length_km") is not None:
        actual += f"，累计{_number(round(total_length, 3))}公里"
    return ok, required, actual, details[:10]


def _equipment(std: Mapping[str, Any], records: Mapping[str, Any], today: date) -> Outcome:
    kind = std["equipment_kind"]
    matching = [e for e in records.get("equipment") or []
                if e.get("kind") == kind or (not e.get("kind") and e.get("name") == kind)]
    quantity = sum(int(e.get("quantity") or 0) for e in matching)
    return (quantity >= std["min"], f"{kind}不少于{_number(std['min'])}台（套）",
            f"{kind}{quantity}台（套）", [])


_EVALUATORS = {"finance": _finance, "key_staff": _staff, "skilled_staff": _staff,
               "performance": _performance, "equipment": _equipment}


def _fix_link(std: Mapping[str, Any]) -> str:
    kind = std["kind"]
    if kind == "key_staff":
        return _staff_link(std.get("category"))
    if kind == "skilled_staff":
        return _staff_link(std["categories"][0] if std.get("categories") else None)
    if kind == "any_of":
        return _fix_link(std["options"][0])
    return FIX_LINKS[kind]


def _label(std: Mapping[str, Any]) -> str:
    if std.get("label"):
        return std["label"]
    if std["kind"] == "finance":
        return FINANCE_FIELDS[std["field"]]
    if std["kind"] == "equipment":
        return std["equipment_kind"]
    return std["id"]


def _evaluate_one(std: Mapping[str, Any], records: Mapping[str, Any], today: date) -> Outcome:
    if std["kind"] == "any_of":
        outcomes = [(_label(opt), *_evaluate_one(opt, records, today)) for opt in std["options"]]
        ok = any(outcome[1] for outcome in outcomes)
        required = "以下任一：" + "；".join(f"{req}" for _, _, req, _, _ in outcomes)
        actual = "；".join(f"{label}：{act}" for label, _, _, act, _ in outcomes)
        details = [d for *_, ds in outcomes for d in ds][:10]
        return ok, required, actual, details
    return _EVALUATORS[std["kind"]](std, records, today)


def evaluate(standards: Iterable[Mapping[str, Any]], records: Mapping[str, Any], *, today: date,
             owed: Iterable[str] = (), key_prefix: str = "", category: str | None = None,
             grade: str | None = None) -> PrecheckResult:
    """Evaluate every standard against the records; never stops at the first failure."""
    owed_keys = frozenset(owed)
    items = []
    for std in standards:
        ok, required, actual, details = _evaluate_one(std, records, today)
        key = f"{key_prefix}{std['id']}"
        status = MET if ok else (OWED if key in owed_keys else UNMET)
        items.append(StandardResult(
            key=key, id=std["id"], kind=std["kind"], label=_label(std), status=status, required=required,
            actual=actual, fix_link=_fix_link(std), provenance=std.get("provenance"),
            details=tuple(details), category=category, grade=grade))
    return PrecheckResult(items=tuple(items), evaluated_on=today,
                          records_version=records.get("records_version"), owed_keys=owed_keys)


def evaluate_selection(business_type: BusinessType, selections: Sequence[tuple[str, str]],
                       records: Mapping[str, Any], *, today: date,
                       owed: Iterable[str] = ()) -> PrecheckResult:
    """Evaluate one or more (category, grade) selections; item keys are ``category.grade.id``.

    Each selection is judged on its own against the same records (a PFL application for 承装
    and 承试 must meet both grades' standards).
    """
    if not selections:
        raise ValueError("至少选择一个申请类别及等级")
    if len(selections) > 1 and not business_type.multi_category:
        raise ValueError(f"{business_type.name}一次只能申请一个类别")
    owed_keys = frozenset(owed)
    items: list[StandardResult] = []
    for category, grade in selections:
        part = evaluate(business_type.standards_for(category, grade), records, today=today, owed=owed_keys,
                        key_prefix=f"{category}.{grade}.", category=category, grade=grade)
        items.extend(part.items)
    return PrecheckResult(items=tuple(items), evaluated_on=today,
                          records_version=records.get("records_version"), owed_keys=owed_keys)
