"""The application lifecycle as an explicit state machine.

::

    draft → prechecked → form_generated → signed_uploaded → previewed → committed → submitted
      → under_review → correction_requested ⇄ resubmitted → approved / rejected
      approved → licence_issued
    withdrawn   (撤回: only before review accepted the case, i.e. from ``submitted``)
    terminated  (业务办理终止: a case in progress, after acceptance)
    discarded   (申请废弃: an application not yet submitted — the draft phase, DRAFT_STATES)

``transition(state, action, context)`` returns the new state or raises
:class:`~services.common.errors.InvalidTransition` with a Chinese message quoting the rule.
``TRANSITIONS`` is the whole table (exported for docs by ``transition_table()`` /
``transition_table_markdown()``); anything not in it is forbidden.

Guards read ``context`` (a mapping; keys used):

- ``precheck_passed`` (bool): the latest pre-check has nothing blocking (met or owed under 容缺).
  Required truthy for ``run_precheck`` to reach ``prechecked``, for ``submit`` and ``resubmit``.
- ``opened_at``, ``now`` (aware datetimes): when the commitment letter (承诺书) was opened and
  the confirm request's time; ``commitment_seconds``: how long it must stay open (the service
  passes its configured ``permits.commitment_seconds``; REG's 60 s when absent).
  ``confirm_commitment`` needs ``now - opened_at >= commitment_seconds``.

``after_records_changed(state, precheck_passed, form_stale)`` says what a re-run of the pre-check
does when the enterprise's records change (see its docstring).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.common.errors import InvalidTransition

COMMITMENT_SECONDS = 60  # REG: the letter stays open a minute; config permits.commitment_seconds

STATES = {
    "draft": "草稿",
    "prechecked": "预审通过",
    "form_generated": "申报表已生成",
    "signed_uploaded": "已上传签章申报表",
    "previewed": "已预览",
    "committed": "已确认承诺书",
    "submitted": "已提交（待受理）",
    "under_review": "审核中",
    "correction_requested": "待补正",
    "resubmitted": "已补正提交",
    "approved": "审批通过",
    "rejected": "不予许可",
    "licence_issued": "已发证",
    "withdrawn": "已撤回",
    "terminated": "已终止",
    "discarded": "已废弃",
}
# Before submission: the enterprise may still edit; a pre-check failure sends it back to draft.
DRAFT_STATES = ("draft", "prechecked", "form_generated", "signed_uploaded", "previewed", "committed")
# Submitted and not yet decided: the case is with review ("in progress" for name changes).
OPEN_STATES = ("submitted", "under_review", "correction_requested", "resubmitted")
FINAL_STATES = ("rejected", "licence_issued", "withdrawn", "terminated", "discarded")

ACTIONS = {
    "run_precheck": "预审",
    "generate_form": "生成申报表",
    "upload_signed": "上传签章申报表",
    "preview": "预览申报材料",
    "confirm_commitment": "确认承诺书",
    "submit": "提交申请",
    "accept": "受理",
    "request_correction": "要求补正",
    "resubmit": "补正后重新提交",
    "approve": "审批通过",
    "reject": "不予许可",
    "issue_licence": "发证",
    "withdraw": "撤回申请",
    "terminate": "终止办理",
    "discard": "废弃申请",
}


@dataclass(frozen=True)
class Transition:
    source: str
    action: str
    target: str
    rule: str
    actor: str  # who may trigger it: enterprise / review / system


def _rows() -> list[Transition]:
    T, E, R, S = Transition, "enterprise", "review", "system"
    rows = [
        T("draft", "run_precheck", "prechecked", "预审全部符合（或仅余容缺事项）后方可生成申报表", E),
        T("prechecked", "run_precheck", "prechecked", "企业信息变更后重新预审", S),
        T("prechecked", "generate_form", "form_generated", "预审通过后方可下载申报表", E),
        T("form_generated", "generate_form", "form_generated", "可重新生成申报表", E),
        T("form_generated", "upload_signed", "signed_uploaded", "须上传签字盖章的申报表扫描件", E),
        T("signed_uploaded", "upload_signed", "signed_uploaded", "可重新上传签章申报表", E),
        T("signed_uploaded", "preview", "previewed", "上传签章申报表后预览全部申请材料", E),
        T("previewed", "preview", "previewed", "可再次预览", E),
        T("previewed", "confirm_commitment", "committed",
                   "承诺书须打开阅读满规定时间（默认60秒）后方可确认", E),
        T("committed", "submit", "submitted", "确认承诺书且预审通过后方可提交", E),
        T("submitted", "accept", "under_review", "审核机关受理", R),
        T("submitted", "request_correction", "correction_requested", "形审发现材料不全，一次告知补正", R),
        T("submitted", "reject", "rejected", "不予受理", R),
        T("under_review", "request_correction", "correction_requested", "审核中要求补正", R),
        T("under_review", "approve", "approved", "最后一级审批通过", R),
        T("under_review", "reject", "rejected", "审核不予许可", R),
        T("correction_requested", "resubmit", "resubmitted", "按补正通知修改后重新提交", E),
        T("resubmitted", "accept", "under_review", "补正材料受理后继续审核", R),
        T("resubmitted", "request_correction", "correction_requested", "补正仍不符合，再次要求补正", R),
        T("resubmitted", "approve", "approved", "最后一级审批通过", R),
        T("resubmitted", "reject", "rejected", "审核不予许可", R),
        T("approved", "issue_licence", "licence_issued", "审批通过后核发证书", S),
        T("submitted", "withdraw", "withdrawn", "受理前可撤回申请", E),
    ]
    for state in ("under_review", "correction_requested", "resubmitted"):
        rows.append(T(state, "terminate", "terminated", "受理后办理中的申请可申请业务办理终止", E))
    for state in DRAFT_STATES:
        rows.append(T(state, "discard", "discarded", "未提交的申请可废弃", E))
    return rows


TRANSITIONS: tuple[Transition, ...] = tuple(_rows())
_INDEX: dict[tuple[str, str], Transition] = {(t.source, t.action): t for t in TRANSITIONS}

# The rule quoted when an action is refused in a state the table does not allow.
_REFUSAL_RULES = {
    "run_precheck": "仅未生成申报表的申请可预审；已生成申报表的申请在企业信息变更后自动重新预审",
    "generate_form": "预审通过后方可生成申报表",
    "upload_signed": "须先生成并下载申报表，签字盖章后上传",
    "preview": "须先上传签章申报表",
    "confirm_commitment": "须先预览全部申请材料，再确认承诺书",
    "submit": "须依次完成预审、生成申报表、上传签章申报表、预览和确认承诺书后方可提交",
    "accept": "仅已提交或已补正提交的申请可受理",
    "request_correction": "仅已提交或审核中的申请可要求补正",
    "resubmit": "仅待补正的申请可重新提交",
    "approve": "仅审核中的申请可审批",
    "reject": "仅已提交或审核中的申请可作出不予许可决定",
    "issue_licence": "仅审批通过的申请可发证",
    "withdraw": "仅已提交、尚未受理的申请可撤回；已受理的申请请申请业务办理终止",
    "terminate": "仅已受理、办理中的申请可终止办理；未受理的申请请撤回",
    "discard": "仅未提交的申请可废弃",
}


def _refuse(state: str, action: str, rule: str, code: str = "invalid_transition") -> InvalidTransition:
    state_label = STATES.get(state, state)
    action_label = ACTIONS.get(action, action)
    return InvalidTransition(f"当前状态为“{state_label}”，不能{action_label}：{rule}。", code=code)


def seconds_open(opened_at: datetime | None, now: datetime | None) -> float | None:
    if opened_at is None or now is None:
        return None
    return (now - opened_at).total_seconds()


def transition(state: str, action: str, context: Mapping[str, Any] | None = None) -> str:
    """The state after ``action``; InvalidTransition (Chinese, with the rule) when not allowed."""
    context = context or {}
    if state not in STATES:
        raise ValueError(f"unknown state {state!r}")
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    row = _INDEX.get((state, action))
    if row is None:
        raise _refuse(state, action, _REFUSAL_RULES[action])
    if action == "run_precheck":
        return "prechecked" if context.get("precheck_passed") else "draft"
    if action in ("submit", "resubmit") and not context.get("precheck_passed"):
        raise _refuse(state, action, "预审有不符合项（容缺事项除外），请按提示完善企业信息后再提交")
    if action == "confirm_commitment":
        required = float(context.get("commitment_seconds") or COMMITMENT_SECONDS)
        opened = seconds_open(context.get("opened_at"), context.get("now"))
        if opened is None:
            raise _refuse(state, action, f"须先打开承诺书并阅读满{required:g}秒")
        if opened < required:
            raise _refuse(state, action,
                          f"承诺书须打开阅读满{required:g}秒后方可确认（已打开{int(opened)}秒，"
                          f"还需{int(required - opened) + 1}秒）", code="commitment_too_early")
    return row.target


def allowed_actions(state: str) -> list[str]:
    """The actions the table allows from ``state`` (guards may still refuse them)."""
    return [t.action for t in TRANSITIONS if t.source == state]


def after_records_changed(state: str, precheck_passed: bool, form_stale: bool = True) -> str:
    """What re-running the pre-check after a records change does to an application.

    - Draft phase (``DRAFT_STATES``): a failing pre-check sends it back to ``draft`` (it may not
      be submitted while it fails). A passing one keeps ``draft`` → ``prechecked``; an application
      that already has a 申报表 goes back to ``prechecked`` when the form is stale (it shows the
      old records and must be generated, signed and uploaded again), otherwise stays.
    - Submitted or later: unchanged — review judges what was submitted; a correction request
      reopens the items, and ``resubmit`` is refused until the pre-check passes again.
    """
    if state not in DRAFT_STATES:
        return state
    if not precheck_passed:
        return "draft"
    if state == "draft":
        return "prechecked"
    if form_stale and state != "prechecked":
        return "prechecked"
    return state


def transition_table() -> list[dict[str, str]]:
    """Every allowed transition, for docs and for the admin/help page."""
    return [{"from": t.source, "from_label": STATES[t.source], "action": t.action,
             "action_label": ACTIONS[t.action], "to": t.target, "to_label": STATES[t.target],
             "actor": t.actor, "rule": t.rule} for t in TRANSITIONS]


def transition_table_markdown() -> str:
    lines = ["| 当前状态 | 操作 | 新状态 | 由谁 | 规则 |", "|---|---|---|---|---|"]
    for row in transition_table():
        lines.append(f"| {row['from_label']} (`{row['from']}`) | {row['action_label']} (`{row['action']}`) | "
                     f"{row['to_label']} (`{row['to']}`) | {row['actor']} | {row['rule']} |")
    return "\n".join(lines)


# ---------------------------------------------------------------- review's answers (docs/contracts.md)

def action_for_review_event(event_type: str, data: Mapping[str, Any]) -> str | None:
    """The lifecycle action a review event means (None: no state change, e.g. a step change).

    ``event_type`` without the ``review.`` prefix: ``case_accepted`` → accept,
    ``correction_requested`` → request_correction, ``case_decided`` → approve / reject,
    ``case_closed`` → withdraw / terminate, ``case_step_changed`` → None.
    """
    event_type = event_type.removeprefix("review.")
    if event_type == "case_accepted":
        return "accept"
    if event_type == "correction_requested":
        return "request_correction"
    if event_type == "case_decided":
        return {"approved": "approve", "rejected": "reject"}[data["decision"]]
    if event_type == "case_closed":
        return {"withdrawn": "withdraw", "terminated": "terminate"}[data["outcome"]]
    if event_type == "case_step_changed":
        return None
    raise ValueError(f"unknown review event {event_type!r}")


def apply_review_event(state: str, event_type: str, data: Mapping[str, Any]) -> str:
    """The state after a review event; an event that restates the current state (e.g. the
    ``case_closed`` that follows the enterprise's own withdrawal) leaves it unchanged."""
    action = action_for_review_event(event_type, data)
    if action is None:
        return state
    target = next((t.target for t in TRANSITIONS if t.action == action), None)
    if state == target:
        return state
    return transition(state, action, {"precheck_passed": True})


_UNACCEPTED = ("submitted", "resubmitted")


def review_steps(event_type: str, data: Mapping[str, Any], state: str) -> list[tuple[str, str | None]]:
    """Review's answer (docs/contracts.md) as the ``(action, level)`` steps of this table
    (services/common/review_cases.follow applies them; permits keeps no level).

    ``case_accepted`` / ``case_step_changed`` → accept while not yet accepted (else nothing: the
    step is history only); ``correction_requested`` → request_correction; ``case_decided`` →
    approve (accepting first when it was never accepted) or reject; ``case_closed`` → nothing
    (withdraw / terminate already moved the application)."""
    if event_type in ("case_accepted", "case_step_changed"):
        return [("accept", None)] if state in _UNACCEPTED else []
    if event_type == "correction_requested":
        return [("request_correction", None)]
    if event_type == "case_decided":
        if data.get("decision") != "approved":
            return [("reject", None)]
        return [*([("accept", None)] if state in _UNACCEPTED else []), ("approve", None)]
    if event_type == "case_closed":
        return []
    raise ValueError(f"unknown review event {event_type}")
