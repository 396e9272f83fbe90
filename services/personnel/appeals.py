"""Appeals (REG 申辩管理), pure Python: an anomaly raised against an enterprise (e.g. a person
registered with two employers), the enterprise's answer with evidence, the reviewer's finding.
:class:`Appeal` and the state table :data:`APPEAL_TABLE` with :func:`appeal_step`;
:func:`dual_employment_anomalies` finds the people registered with more than one employer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from services.common.contracts.personnel import ANOMALY_KINDS
from services.common.errors import (
    FieldErrors,
    Forbidden,
    InvalidTransition,
    ValidationFailed,
    field_error,
)
from services.personnel.domain import ACTIVE_REGISTRATION_STATUSES, _errors_add, _fail, _field

# ---------------------------------------------------------------- appeals (申辩管理)

APPEAL_STATUSES = {"open": "待申辩", "answered": "已申辩（待审核）", "upheld": "申辩成立",
                   "dismissed": "申辩不成立", "expired": "逾期未申辩"}
# (status, action) -> (new status, who: enterprise / reviewer / system)
APPEAL_TABLE: dict[tuple[str, str], tuple[str, str]] = {
    ("open", "answer"): ("answered", "enterprise"),
    ("open", "expire"): ("expired", "system"),
    ("answered", "uphold"): ("upheld", "reviewer"),
    ("answered", "dismiss"): ("dismissed", "reviewer"),
    ("answered", "ask_more"): ("open", "reviewer"),
}
APPEAL_ACTIONS = {"answer": "提交申辩", "expire": "逾期", "uphold": "认定申辩成立",
                  "dismiss": "认定申辩不成立", "ask_more": "要求补充申辩"}
# Kinds for which evidence is mandatory (the enterprise must prove its side).
EVIDENCE_REQUIRED = ("dual_employment", "social_insurance_mismatch", "identity_mismatch",
                     "certificate_mismatch")
EXPLANATION_MIN, EXPLANATION_MAX = 10, 2000


@dataclass(frozen=True)
class Appeal:
    enterprise_id: str
    person_id: str
    kind: str
    detail: str
    status: str = "open"
    deadline: date | None = None
    explanation: str | None = None
    evidence: tuple[str, ...] = ()  # attachment ids
    opinion: str | None = None  # the reviewer's finding
    history: tuple[tuple[str, str, str], ...] = ()


def raise_anomaly(enterprise_id: str, person_id: str, kind: str, detail: str,
                  deadline: date | None = None) -> Appeal:
    """A reviewer (or a nightly check) records an anomaly the enterprise must answer."""
    if kind not in ANOMALY_KINDS:
        raise ValidationFailed("异常类型不正确", {"kind": [field_error("invalid", "异常类型不正确")]})
    if not detail.strip():
        raise _fail("detail", "required", "请填写异常情况说明")
    return Appeal(str(enterprise_id), str(person_id), kind, detail.strip(), deadline=deadline,
                  history=(("raise", "reviewer", "open"),))


def dual_employment_anomalies(registrations: Iterable[Any]) -> list[dict[str, Any]]:
    """Find people with active registrations at more than one enterprise (for raising appeals).

    ``registrations``: mappings/objects with ``person_id``, ``enterprise_id``, ``enterprise_name``,
    ``status``. Returns ``[{"person_id", "enterprise_ids": [...], "detail": str}]``.
    """
    by_person: dict[str, dict[str, str]] = {}
    for reg in registrations:
        if _field(reg, "status") not in ACTIVE_REGISTRATION_STATUSES:
            continue
        by_person.setdefault(str(_field(reg, "person_id")), {})[str(_field(reg, "enterprise_id"))] = str(
            _field(reg, "enterprise_name") or _field(reg, "enterprise_id"))
    found = []
    for person_id, enterprises in by_person.items():
        if len(enterprises) > 1:
            found.append({"person_id": person_id, "enterprise_ids": sorted(enterprises),
                          "detail": f"该人员同时在{'、'.join(f'“{n}”' for n in enterprises.values())}注册"})
    return found


def appeal_step(appeal: Appeal, action: str, *, by: str, today: date | None = None,
                explanation: str | None = None, evidence: Iterable[str] = (),
                opinion: str | None = None) -> Appeal:
    """Apply one action to an appeal (table-driven); Chinese errors naming the rule."""
    key = (appeal.status, action)
    if key not in APPEAL_TABLE:
        raise InvalidTransition(
            f"申辩状态为“{APPEAL_STATUSES.get(appeal.status, appeal.status)}”，不能"
            f"{APPEAL_ACTIONS.get(action, action)}", code="invalid_transition")
    target, who = APPEAL_TABLE[key]
    if by != who:
        raise Forbidden(f"此操作（{APPEAL_ACTIONS[action]}）不能由当前用户办理", code="not_allowed")
    changes: dict[str, Any] = {}
    if action == "answer":
        if appeal.deadline and today and today > appeal.deadline:
            raise InvalidTransition(f"申辩期限已于{appeal.deadline.isoformat()}截止，不能再提交申辩",
                                    code="appeal_overdue")
        text = (explanation or "").strip()
        errors: FieldErrors = {}
        if len(text) < EXPLANATION_MIN:
            _errors_add(errors, "explanation", "too_short", f"申辩说明至少{EXPLANATION_MIN}个字")
        elif len(text) > EXPLANATION_MAX:
            _errors_add(errors, "explanation", "too_long", f"申辩说明不能超过{EXPLANATION_MAX}个字")
        files = tuple(str(e) for e in evidence)
        if appeal.kind in EVIDENCE_REQUIRED and not files:
            _errors_add(errors, "evidence", "required",
                        f"“{ANOMALY_KINDS[appeal.kind]}”的申辩须上传证明材料")
        if errors:
            raise ValidationFailed.from_fields(errors)
        changes = {"explanation": text, "evidence": files}
    elif action == "expire":
        if appeal.deadline is None or today is None or today <= appeal.deadline:
            raise InvalidTransition("申辩期限未到，不能标记为逾期", code="not_overdue")
    elif action in ("uphold", "dismiss", "ask_more"):
        text = (opinion or "").strip()
        if not text:
            raise ValidationFailed("请填写审核意见", {"opinion": [field_error("required", "请填写审核意见")]})
        changes = {"opinion": text}
    return replace(appeal, status=target, history=appeal.history + ((action, by, target),), **changes)
