"""A declaration's life after filing: report one, resubmit, cancel, withdraw (个人申请撤回),
delete and return in bulk; asking review for the case and withdrawing it."""

from __future__ import annotations

from typing import Any

from services.common import review_cases
from services.common.errors import Forbidden, ValidationFailed, field_error
from services.common.schema_errors import load_or_fail
from services.personnel import declarations as rules
from services.personnel import eligibility, records, views
from services.personnel.events import REVIEW_REQUESTED, REVIEW_WITHDRAWN
from services.personnel.models import Declaration
from services.personnel.schemas import IdsSchema, WithdrawalDecisionSchema
from services.personnel.usecases import _support as s
from services.personnel.usecases import declarations, transfers
from services.personnel.usecases._support import DEFAULT_REGION, DRAFTS, Deps, _now


def redeclare_declaration(deps: Deps, actor: dict, declaration_id: str) -> dict:
    """A returned personal declaration back to draft (修改后重新申报)."""
    s.person_actor(deps, actor)
    with deps.begin() as uow:
        decl = s.load(deps, uow, actor, declaration_id, write=True, lock=True, person_may=True)
        s.move(deps, uow, decl, "redeclare", "person", actor, note="本人修改后重新申报")
        view = s.declaration_view(deps, uow, decl, actor)
        uow.commit()
        return view


def delete_declarations(deps: Deps, actor: dict, payload: dict) -> dict:
    data = load_or_fail(IdsSchema(), payload)

    def delete(uow: Any, decl: Declaration) -> None:
        s.move(deps, uow, decl, "delete", "enterprise", actor, note="删除申报")
        decl.batch_id = None
        transfer_follows(deps, uow, decl, "in_drafted", "delete_draft", actor)
        decl.transfer_id = None

    results = s.each(deps, actor, data["ids"], delete)
    return {"results": results, "summary": s.summary(results)}


def return_declarations(deps: Deps, actor: dict, payload: dict) -> dict:
    """REG 退回: a person's declaration goes back to the person (before it is reported)."""
    data = load_or_fail(IdsSchema(), payload)
    reason = data["reason"].strip() or "企业退回"
    results = s.each(
        deps,
        actor,
        data["ids"],
        lambda uow, decl: s.move(deps, uow, decl, "return", "enterprise", actor, note=reason),
    )
    return {"results": results, "summary": s.summary(results)}


def report_one(deps: Deps, uow: Any, decl: Declaration, recs: dict, actor: dict) -> None:
    repo = uow.repo
    t = deps.types.type(decl.type_code)
    if decl.status not in DRAFTS:
        raise rules._refuse(views.state_of(decl), "report")
    rules.attachments_check(t, decl.kind, [a.code for a in repo.attachments_of(decl.id)])
    person = repo.person(decl.person_id, for_update=True)
    cert = repo.certificate(decl.certificate_id) if decl.certificate_id else None
    ctx = declarations.context(
        deps, repo, t, decl.kind, decl.enterprise_id, person, cert, decl.form or {}, recs.get("name")
    )
    others = [d for d in ctx.declarations if d["id"] != str(decl.id)]
    eligibility.check_eligibility(eligibility.DeclarationContext(**{**ctx.__dict__, "declarations": others}))
    decl.enterprise_name = recs.get("name") or decl.enterprise_name
    decl.region_code = recs.get("region_code") or decl.region_code or DEFAULT_REGION
    s.move(deps, uow, decl, "report", "enterprise", actor, note="确认承诺书后上报")
    decl.reported_at = _now()
    decl.revision += 1
    transfer_follows(deps, uow, decl, "in_drafted", "submit", actor)
    request_review(deps, uow, decl)


def transfer_follows(deps: Deps, uow: Any, decl: Declaration, when: str, action: str, actor: dict) -> None:
    """CIP 调入: the transfer follows its declaration (reported: in review; deleted: back)."""
    if decl.transfer_id is None:
        return
    transfer = uow.repo.transfer(decl.transfer_id, for_update=True)
    if transfer is not None and transfer.status == when:
        transfers.transfer_move(
            deps, uow, transfer, action, actor_enterprise_id=decl.enterprise_id, actor=actor
        )
        if action == "delete_draft":
            transfer.declaration_id = None


def request_review(deps: Deps, uow: Any, decl: Declaration) -> None:
    repo = uow.repo
    t = deps.types.type(decl.type_code)
    person = repo.person(decl.person_id)
    cert = repo.certificate(decl.certificate_id) if decl.certificate_id else None
    filled = records.review_fields(
        t, decl.kind, person=person, cert=cert, form=decl.form or {}, enterprise=views.enterprise_fields(decl)
    )
    label = t.operation(decl.kind).label
    review_cases.request(
        uow,
        REVIEW_REQUESTED,
        case_ref=decl.case_ref,
        case_type=decl.case_type,
        enterprise_id=decl.enterprise_id,
        enterprise_name=decl.enterprise_name or "未命名企业",
        region_code=decl.region_code or DEFAULT_REGION,
        title=f"{decl.enterprise_name} {person.name} {t.name}{label}",
        revision=decl.revision,
        fields=filled["fields"],
        attachments=review_cases.attachment_refs(repo.attachments_of(decl.id)),
        submitted_at=_now(),
    )


def resubmit_declaration(deps: Deps, actor: dict, declaration_id: str) -> dict:
    with deps.begin() as uow:
        decl = s.load(deps, uow, actor, declaration_id, write=True, lock=True)
        s.move(deps, uow, decl, "resubmit", "enterprise", actor, note="补正后重新提交")
        decl.revision += 1
        decl.correction_items = []
        decl.correction_deadline = None
        request_review(deps, uow, decl)
        view = s.declaration_view(deps, uow, decl, actor)
        uow.commit()
        return view


def cancel_declaration(deps: Deps, actor: dict, declaration_id: str, reason: str = "") -> dict:
    with deps.begin() as uow:
        decl = s.load(deps, uow, actor, declaration_id, write=True, lock=True)
        accepted = decl.status not in rules.UNACCEPTED
        s.move(deps, uow, decl, "cancel", "enterprise", actor, note=reason or "企业取消申请")
        withdraw_case(deps, uow, decl, reason or "企业取消申请", "企业", accepted)
        view = s.declaration_view(deps, uow, decl, actor)
        uow.commit()
        return view


def withdraw_case(deps: Deps, uow: Any, decl: Declaration, reason: str, by: str, accepted: bool) -> None:
    outcome = "terminated" if accepted else "withdrawn"
    review_cases.withdraw(uow, REVIEW_WITHDRAWN, decl.case_ref, reason, by, outcome)
    transfers.release_transfer(deps, uow, decl, "cancelled")


def request_withdrawal(deps: Deps, actor: dict, declaration_id: str, reason: str = "") -> dict:
    if (actor or {}).get("kind") != "person":
        message = "只有申报人本人可以申请撤回"
        raise s.refused(deps, actor, declaration_id, "person_only", Forbidden(message, code="wrong_actor"))
    if not str(reason or "").strip():
        raise ValidationFailed("请填写撤回原因", {"reason": [field_error("required", "请填写撤回原因")]})
    with deps.begin() as uow:
        decl = s.load(deps, uow, actor, declaration_id, write=True, lock=True, person_may=True)
        s.move(deps, uow, decl, "request_withdrawal", "person", actor, note=reason)
        decl.withdrawal = {
            "requested_at": _now().isoformat(),
            "reason": str(reason).strip(),
            "by": actor.get("id"),
            "decision": None,
        }
        view = s.declaration_view(deps, uow, decl, actor)
        uow.commit()
        return view


def decide_withdrawal(deps: Deps, actor: dict, declaration_id: str, payload: dict) -> dict:
    data = load_or_fail(WithdrawalDecisionSchema(), payload or {})
    agree = bool(data["agree"])
    reason = str(data["reason"] or "").strip()
    with deps.begin() as uow:
        decl = s.load(deps, uow, actor, declaration_id, write=True, lock=True)
        action = "agree_withdrawal" if agree else "refuse_withdrawal"
        s.move(deps, uow, decl, action, "enterprise", actor, note=reason or None)
        decl.withdrawal = {
            **(decl.withdrawal or {}),
            "decision": "agreed" if agree else "refused",
            "decided_at": _now().isoformat(),
            "decision_reason": reason,
        }
        if agree:
            withdraw_case(deps, uow, decl, reason or "申报人申请撤回，企业同意", "申报人", False)
        view = s.declaration_view(deps, uow, decl, actor)
        uow.commit()
        return view
