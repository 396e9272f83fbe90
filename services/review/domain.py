"""Review rules as plain Python: case types and chains, routing, actions, diffs, keyset cursors.

No nameko, no SQLAlchemy: unit-tested directly (tests/unit/test_review_domain.py).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common import jurisdiction
from services.common.catalogue_files import CatalogueError, load_yaml_catalogue
from services.common.errors import FieldErrors, field_error

CASE_TYPES_FILE = Path(__file__).parent / "data" / "case_types.yaml"

LEVELS = jurisdiction.LEVELS
STAGES = {"accept": "受理", "form_review": "形审", "review": "审核", "approval": "审批", "issue": "核发"}
ACTIONS = {
    "accept": "受理",
    "approve": "同意",
    "forward": "报批",
    "reject": "不同意",
    "correction": "补正",
    "rectification": "整改",
    "return": "退回",
}
# Actions that need a written comment / reason.
NEEDS_COMMENT = {"reject", "return", "correction", "rectification"}

# Case statuses. Active ones are in a reviewer's queue; waiting ones wait for the enterprise.
SUBMITTED = "submitted"          # 待受理
IN_REVIEW = "in_review"          # 审核中
CORRECTION = "correction"        # 待补正 (clock paused)
RECTIFICATION = "rectification"  # 整改中 (clock paused)
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
TERMINATED = "terminated"
STATUS_LABELS = {
    SUBMITTED: "待受理", IN_REVIEW: "审核中", CORRECTION: "待企业补正", RECTIFICATION: "整改中",
    APPROVED: "审核通过", REJECTED: "审核不通过", WITHDRAWN: "企业已撤回", TERMINATED: "已终止",
}
ACTIVE = (SUBMITTED, IN_REVIEW)
WAITING = (CORRECTION, RECTIFICATION)
FINAL = (APPROVED, REJECTED, WITHDRAWN, TERMINATED)


def reopens(case_type: CaseType, decision: str | None, queue: str) -> bool:
    """Whether a new revision of a closed case starts it again (see resubmit_after_rejection)."""
    return queue == "done" and decision == "rejected" and case_type.resubmit_after_rejection


def queue_of(status: str) -> str:
    """The queue column: 'active' (a reviewer's work), 'waiting' (the enterprise's), 'done'."""
    if status in ACTIVE:
        return "active"
    if status in WAITING:
        return "waiting"
    return "done"


class CaseTypeError(CatalogueError):
    """A case-types file that cannot be used; each line names the path of an error."""

    title = "审核流程配置有误"


# ---- case types as data ----------------------------------------------------------------
class _StepSchema(Schema):
    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]*$"))
    label = fields.String(required=True, validate=validate.Length(min=1, max=40))
    level = fields.String(required=True, validate=validate.OneOf(list(LEVELS)))
    stage = fields.String(required=True, validate=validate.OneOf(list(STAGES)))
    actions = fields.List(fields.String(validate=validate.OneOf(list(ACTIONS))), required=True,
                          validate=validate.Length(min=1))


class _CaseTypeSchema(Schema):
    label = fields.String(required=True, validate=validate.Length(min=1))
    limits = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]*$")),
                         values=fields.Integer(strict=True, validate=validate.Range(min=1, max=365)),
                         required=True, validate=validate.Length(min=1))
    steps = fields.List(fields.Nested(_StepSchema), required=True, validate=validate.Length(min=1))
    # A rejected case comes back at its first step when the producer sends a new revision
    # (registration review: 审核不通过 → 前往修改 → resubmitted); otherwise rejection is final.
    resubmit_after_rejection = fields.Boolean(load_default=False)

    @validates_schema
    def _chain_rules(self, data: dict, **_: Any) -> None:
        steps = data.get("steps") or []
        keys = [s["key"] for s in steps]
        if len(set(keys)) != len(keys):
            raise ValidationError("step keys must be unique", "steps")
        if "standard" not in (data.get("limits") or {}):
            raise ValidationError("a 'standard' lane is required", "limits")
        for index, step in enumerate(steps):
            problem = _chain_problem(step["actions"], index, len(steps))
            if problem:  # nested like marshmallow's own errors: the path reads steps[i].actions
                raise ValidationError({"steps": {index: {"actions": [problem]}}})


def _chain_problem(actions: list[str], index: int, count: int) -> str | None:
    if "accept" in actions and index != 0:
        return "accept (受理) only at the first step"
    if "return" in actions and index == 0:
        return "return (退回) needs a previous step"
    if "forward" in actions and index == count - 1:
        return "forward (报批) needs a next step"
    if not {"approve", "forward"} & set(actions):
        return "a step needs approve or forward"
    return None


class _FileSchema(Schema):
    case_types = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]*(\.([a-z0-9_]+|\*))*$")),
        values=fields.Nested(_CaseTypeSchema), required=True, validate=validate.Length(min=1))


# Producers name lanes their own way (permits: normal / fast_track / free_trade_zone).
LANE_ALIASES = {"normal": "standard", "free_trade_zone": "ftz"}


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    level: str
    stage: str
    actions: tuple[str, ...]


@dataclass(frozen=True)
class CaseType:
    pattern: str
    label: str
    limits: dict[str, int]
    steps: tuple[Step, ...]
    resubmit_after_rejection: bool = False

    def limit_for(self, lane: str) -> int:
        lane = LANE_ALIASES.get(lane, lane)
        return self.limits.get(lane, self.limits["standard"])

    def step_index(self, key: str) -> int:
        for index, step in enumerate(self.steps):
            if step.key == key:
                return index
        raise KeyError(key)


def parse_case_types(text: str, name: str = CASE_TYPES_FILE.name) -> dict[str, CaseType]:
    data = load_yaml_catalogue(name, text, _FileSchema(), error=CaseTypeError)
    return {
        pattern: CaseType(pattern, spec["label"], dict(spec["limits"]),
                          tuple(Step(s["key"], s["label"], s["level"], s["stage"], tuple(s["actions"]))
                                for s in spec["steps"]), spec["resubmit_after_rejection"])
        for pattern, spec in data["case_types"].items()
    }


class Registry:
    def __init__(self, types: dict[str, CaseType]) -> None:
        self.types = types

    def resolve(self, case_type: str) -> CaseType | None:
        """The exact entry, else the longest ``prefix.*`` that matches."""
        if case_type in self.types:
            return self.types[case_type]
        best: CaseType | None = None
        for pattern, spec in self.types.items():
            if pattern.endswith(".*") and case_type.startswith(pattern[:-1]):
                if best is None or len(pattern) > len(best.pattern):
                    best = spec
        return best


_registry: Registry | None = None


def registry() -> Registry:
    global _registry
    if _registry is None:
        _registry = Registry(parse_case_types(CASE_TYPES_FILE.read_text(encoding="utf-8")))
    return _registry


# ---- routing (the rule itself: services/common/jurisdiction.py) -----------------------------
route_region = jurisdiction.route_region
in_jurisdiction = jurisdiction.in_jurisdiction
desk_of = jurisdiction.desk_of


def chain_levels(case_type: CaseType | None) -> list[str]:
    """The levels of a case type's chain, in order (empty for an unknown type)."""
    return [step.level for step in case_type.steps] if case_type is not None else []


def desk_works_on(case_type: CaseType | None, level: str | None, desk_region: str | None,
                  enterprise_region: str) -> bool:
    """Whether a reviewer's desk is one the case's chain passes through: a step at its level,
    and the enterprise in its jurisdiction (a city desk has no part in a province-only chain)."""
    return jurisdiction.holds_step(level, desk_region, enterprise_region, chain_levels(case_type))


# ---- actions and transitions ---------------------------------------------------------------
def allowed_actions(case_type: CaseType, step_index: int, status: str) -> list[str]:
    step = case_type.steps[step_index]
    if status == SUBMITTED:
        return [a for a in step.actions if a in ("accept", "correction", "reject")]
    if status == IN_REVIEW:
        return [a for a in step.actions if a != "accept"]
    return []


@dataclass(frozen=True)
class Outcome:
    """What an action does to a case."""

    status: str
    step_index: int
    decision: str | None = None       # approved / rejected at the end of the chain
    step_changed: bool = False
    handling: str = ""                # 处理方式 in 审核历史


def apply_action(case_type: CaseType, step_index: int, status: str, action: str) -> Outcome:
    """The next state; raises ValueError (with a Chinese message) if the action is not allowed."""
    step = case_type.steps[step_index]
    if action not in ACTIONS:
        raise ValueError(f"未知的审核操作：{action}")
    if action not in allowed_actions(case_type, step_index, status):
        raise ValueError(f"“{step.label}”环节当前（{STATUS_LABELS.get(status, status)}）"
                         f"不能执行“{ACTIONS[action]}”操作")
    last = step_index == len(case_type.steps) - 1
    if action == "accept":
        return Outcome(IN_REVIEW, step_index, handling="受理")
    if action in ("approve", "forward"):
        if last:
            return Outcome(APPROVED, step_index, decision="approved", handling="办结（审核通过）")
        following = case_type.steps[step_index + 1]
        verb = "报批" if action == "forward" else "转"
        return Outcome(IN_REVIEW, step_index + 1, step_changed=True,
                       handling=f"{verb}至{following.label}（{LEVELS[following.level]}）")
    if action == "reject":
        return Outcome(REJECTED, step_index, decision="rejected", handling="办结（审核不通过）")
    if action == "correction":
        return Outcome(CORRECTION, step_index, handling="通知企业补正")
    if action == "rectification":
        return Outcome(RECTIFICATION, step_index, handling="通知企业整改")
    previous = case_type.steps[step_index - 1]
    return Outcome(IN_REVIEW, step_index - 1, step_changed=True, handling=f"退回至{previous.label}")


# ---- corrections and diffs -----------------------------------------------------------------
def correction_errors(items: list[dict[str, Any]], revision_fields: dict[str, Any],
                      attachments: list[dict[str, Any]]) -> FieldErrors:
    """A correction names at least one item, each an existing field or attachment, with a reason."""
    if not items:
        return {"items": [field_error("required", "请至少指出一项需要补正的字段或附件")]}
    errors: FieldErrors = {}
    attachment_ids = {str(a.get("id")) for a in attachments}
    seen: set[tuple[str, str]] = set()
    for index, item in enumerate(items):
        target, name = item.get("target"), str(item.get("name") or "")
        key = f"items.{index}"
        if target == "field" and name not in revision_fields:
            errors[key] = [field_error("unknown_field", f"申请中没有字段“{name}”")]
        elif target == "attachment" and name not in attachment_ids:
            errors[key] = [field_error("unknown_attachment", f"申请中没有附件“{name}”")]
        elif target not in ("field", "attachment"):
            errors[key] = [field_error("invalid", "补正项须为字段或附件")]
        elif not str(item.get("reason") or "").strip():
            errors[key] = [field_error("required", "请写明需要补正的原因")]
        elif (target, name) in seen:
            errors[key] = [field_error("duplicate", "同一项只需列出一次")]
        seen.add((str(target), name))
    return errors


def diff_revisions(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """What changed between two revisions: fields by value, attachments by sha256."""
    old_fields, new_fields = old.get("fields") or {}, new.get("fields") or {}
    field_changes = []
    for name in list(dict.fromkeys([*old_fields, *new_fields])):
        before, after = old_fields.get(name), new_fields.get(name)
        old_value = before.get("value") if before else None
        new_value = after.get("value") if after else None
        if before is None:
            change = "added"
        elif after is None:
            change = "removed"
        elif old_value != new_value:
            change = "changed"
        else:
            continue
        field_changes.append({"name": name, "label": (after or before or {}).get("label", name),
                              "old": old_value, "new": new_value, "change": change})
    old_files = {a.get("label") or a["id"]: a for a in old.get("attachments") or []}
    new_files = {a.get("label") or a["id"]: a for a in new.get("attachments") or []}
    file_changes = []
    for label in list(dict.fromkeys([*old_files, *new_files])):
        before, after = old_files.get(label), new_files.get(label)
        if before is None:
            change = "added"
        elif after is None:
            change = "removed"
        elif before.get("sha256") != after.get("sha256"):
            change = "replaced"
        else:
            continue
        file_changes.append({"label": label, "change": change,
                             "old": before and {k: before.get(k) for k in ("id", "filename", "sha256")},
                             "new": after and {k: after.get(k) for k in ("id", "filename", "sha256")}})
    return {"fields": field_changes, "attachments": file_changes}


# ---- self-inspection forms -------------------------------------------------------------------
def missing_answers(form: list[dict[str, Any]], answers: dict[str, Any],
                    files: Collection[str]) -> FieldErrors:
    """Every required item of a campaign form that the submission leaves empty (``files``: the
    names of the items a file was uploaded for), and files for items that take none."""
    errors: FieldErrors = {}
    attachment_items = {item["name"] for item in form if item.get("kind") == "attachment"}
    for name in files:
        if name not in attachment_items:
            errors[name] = [field_error("unknown", "该自查项目不需要上传文件")]
    for item in form:
        if not item.get("required"):
            continue
        name = item["name"]
        if item.get("kind") == "attachment":
            if name not in files:
                errors[name] = [field_error("required", f"缺少附件：{item['label']}")]
        elif not str(answers.get(name) or "").strip():
            errors[name] = [field_error("required", f"请填写：{item['label']}")]
    return errors


# ---- keyset pagination --------------------------------------------------------------------------
SORTS = {"received": "received_at", "due": "due_date", "updated": "updated_at"}


@dataclass(frozen=True)
class Cursor:
    sort: str
    value: str
    case_id: str


def encode_cursor(sort: str, value: date | datetime | None, case_id: object) -> str:
    raw = json.dumps([sort, value.isoformat() if value is not None else "", str(case_id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str | None) -> Cursor | None:
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        sort, value, case_id = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, TypeError):
        raise ValueError("分页参数无效") from None
    if sort not in SORTS:
        raise ValueError("分页参数无效")
    return Cursor(sort, value, case_id)


@dataclass
class Filters:
    case_type: str | None = None
    step: str | None = None
    status: str = "active"
    overdue: bool | None = None
    enterprise: str | None = None
    mine: bool = False
    sort: str = "received"
    limit: int = 20
    cursor: Cursor | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def case_type_prefix(case_type: str) -> str:
    """The system prefix (hmq, pfl, cip, …) a case type belongs to."""
    return case_type.split(".", 1)[0]
