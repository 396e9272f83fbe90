"""Transfers: CIP 调出/调入 between enterprises, TSA 调动 asked by the holder and consented by the
enterprise; a transfer follows its declaration through review."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError

from services.common.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    ServiceError,
    ValidationFailed,
    field_error,
)
from services.common.schema_errors import load_or_fail
from services.personnel import declarations as rules
from services.personnel import domain, eligibility, records, views
from services.personnel.events import TRANSFER_REQUESTED
from services.personnel.models import Declaration, Transfer
from services.personnel.schemas import IdsSchema, RequestTransferSchema, TransferOutSchema
from services.personnel.usecases import _support as s
from services.personnel.usecases import declarations
from services.personnel.usecases._support import (
    CERT_NOT_FOUND,
    DRAFTS,
    TRANSFER_NOT_FOUND,
    Deps,
    _now,
    _today,
    _uuid,
)


def release_transfer(deps: Deps, uow: Any, decl: Declaration, outcome: str) -> None:
    """The transfer a declaration carries ends with it (completed / rejected / cancelled)."""
    if decl.transfer_id is None:
        return
    repo = uow.repo
    transfer = repo.transfer(decl.transfer_id, for_update=True)
    if transfer is None or transfer.status in domain.TRANSFER_FINAL:
        return
    action = {"completed": "approve", "rejected": "reject"}.get(outcome)
    if action and transfer.status == "in_review":
        transfer_move(deps, uow, transfer, action, by="review")
    else:
        transfer.status = "cancelled"
        transfer.history = [
            *(transfer.history or []),
            {"at": _now().isoformat(), "action": "cancel", "by": "review", "status": "cancelled"},
        ]
        uow.audit(
            "personnel.transfer.cancel",
            subject_id=str(transfer.id),
            declaration_id=str(decl.id),
            outcome=outcome,
        )
    cert = repo.certificate(transfer.certificate_id, for_update=True)
    if cert is None:
        return
    if transfer.status == "completed":
        # TSA 调出 approved: the certificate goes to the named new employer (domain rule).
        holder = domain.transfer_record_changes(domain_transfer(deps, transfer))["enterprise_id"]
        if holder and str(cert.enterprise_id or "") != holder:
            cert.enterprise_id = uuid.UUID(holder)
            cert.enterprise_name = transfer.to_enterprise_name
        cert.status, cert.transfer_to = "valid", None
    else:
        cert.status, cert.transfer_to = "valid", None


def domain_transfer(deps: Deps, row: Transfer) -> domain.Transfer:
    return domain.Transfer(
        str(row.certificate_id),
        str(row.person_id),
        row.direction,
        str(row.from_enterprise_id) if row.from_enterprise_id else None,
        str(row.to_enterprise_id) if row.to_enterprise_id else None,
        row.status,
    )


def transfer_move(
    deps: Deps,
    uow: Any,
    row: Transfer,
    action: str,
    *,
    actor_enterprise_id: object = None,
    by: str = "review",
    actor: dict | None = None,
    note: str | None = None,
) -> None:
    new = domain.transfer_step(
        domain_transfer(deps, row),
        action,
        actor_enterprise_id=str(actor_enterprise_id) if actor_enterprise_id else None,
        by=by,
    )
    old = row.status
    row.status = new.status
    row.updated_at = _now()
    row.history = [
        *(row.history or []),
        {
            "at": _now().isoformat(),
            "action": action,
            "action_label": domain.TRANSFER_ACTIONS.get(action, action),
            "by": by if actor_enterprise_id is None else str(actor_enterprise_id),
            "status": new.status,
            "note": note,
        },
    ]
    uow.audit(
        f"personnel.transfer.{action}",
        actor_id=(actor or {}).get("id"),
        subject_id=str(row.id),
        old=old,
        new=new.status,
    )


def transfer_out(deps: Deps, actor: dict, payload: dict) -> dict:
    """CIP 人员调出: the old employer names the new one by its USCC; 调转中 until it decides."""
    eid = s.enterprise_for(deps, actor, write=True)
    data = load_or_fail(TransferOutSchema(), payload or {})
    target = s.enterprise_by_uscc(deps, data["to_uscc"])
    with deps.begin() as uow:
        repo = uow.repo
        cert = repo.certificate(_uuid(data["certificate_id"], CERT_NOT_FOUND), for_update=True)
        if cert is None:
            raise NotFound(CERT_NOT_FOUND)
        if cert.enterprise_id != eid:
            raise s.refused(deps, actor, cert.id, "certificate", NotFound(CERT_NOT_FOUND))
        t = deps.types.type(cert.type_code)
        if "transfer_out" not in t.operations or t.operation("transfer_out").consent:
            raise InvalidTransition(f"{t.name}的调转须由本人申请，企业同意后办理", code="not_offered")
        status = eligibility.record_status(records.record_dict(cert), _today(), t)
        if status != "valid":
            raise InvalidTransition(
                f"证书状态为“{views.CERT_STATUS_LABELS.get(status, status)}”，不能调出", code=status
            )
        if any(
            d.certificate_id == cert.id and d.status not in rules.FINAL_STATUSES
            for d in repo.declarations_of_person(cert.person_id)
        ):
            raise Conflict("该证书有未办结的申报，请办结后再调出", code="open_declaration")
        moved = domain.declare_transfer_out(
            str(cert.id), str(cert.person_id), str(eid), target["enterprise_id"]
        )
        row = Transfer(
            certificate_id=cert.id,
            person_id=cert.person_id,
            direction="out",
            mode="two_sided",
            from_enterprise_id=eid,
            from_enterprise_name=cert.enterprise_name,
            to_enterprise_id=uuid.UUID(moved.to_enterprise_id),
            to_enterprise_name=target.get("name"),
            status=moved.status,
            history=[
                {
                    "at": _now().isoformat(),
                    "action": "declare_out",
                    "by": str(eid),
                    "status": moved.status,
                    "note": f"调往“{target.get('name')}”",
                }
            ],
        )
        try:
            with uow.nested():
                repo.add(row)
        except IntegrityError as exc:
            raise Conflict("该证书已在调转中", code="transferring") from exc
        cert.status, cert.transfer_to = "transferring", row.to_enterprise_id
        person = repo.person(cert.person_id)
        uow.add_event(
            TRANSFER_REQUESTED,
            {
                "transfer_id": row.id,
                "certificate_id": cert.id,
                "holder_name": person.name,
                "from_enterprise_id": eid,
                "to_enterprise_id": row.to_enterprise_id,
                "awaiting_enterprise_id": row.to_enterprise_id,  # CIP: the new employer accepts
            },
        )
        uow.audit(
            "personnel.transfer.declare_out",
            actor_id=actor.get("id"),
            subject_id=str(row.id),
            to=str(row.to_enterprise_id),
        )
        uow.flush()
        view = views.transfer_view(deps.types, repo, row)
        uow.commit()
        return view


def own_transfer(deps: Deps, uow: Any, actor: dict, transfer_id: object) -> tuple[uuid.UUID, Transfer]:
    eid = s.enterprise_for(deps, actor, write=True)
    row = uow.repo.transfer(_uuid(transfer_id, TRANSFER_NOT_FOUND), for_update=True)
    if row is None:
        raise NotFound(TRANSFER_NOT_FOUND)
    if eid not in (row.from_enterprise_id, row.to_enterprise_id):
        raise s.refused(deps, actor, row.id, "transfer", NotFound(TRANSFER_NOT_FOUND))
    return eid, row


def accept_transfer(deps: Deps, actor: dict, transfer_id: str) -> dict:
    """CIP 调入: the new employer accepts; its 人员调入 declaration is drafted (then reported)."""
    eid = s.enterprise_for(deps, actor, write=True)
    recs = s.enterprise_records(deps, eid)
    with deps.begin() as uow:
        _, row = own_transfer(deps, uow, actor, transfer_id)
        transfer_move(deps, uow, row, "accept", actor_enterprise_id=eid, actor=actor)
        cert_id = row.certificate_id
        uow.flush()
        t = deps.types.type(uow.repo.certificate(cert_id).type_code)
        uow.commit()
    try:
        return declarations.create_declaration(
            deps,
            actor,
            eid,
            t,
            "transfer_in",
            {"certificate_id": str(cert_id), "form": {}},
            recs,
            transfer=transfer_row(deps, transfer_id),
        )
    except ServiceError:
        with deps.begin() as uow:  # undo the acceptance: the draft could not be made
            row = uow.repo.transfer(uuid.UUID(str(transfer_id)), for_update=True)
            transfer_move(deps, uow, row, "delete_draft", actor_enterprise_id=eid, actor=actor)
            uow.commit()
        raise


def transfer_row(deps: Deps, transfer_id: object) -> Transfer:
    with deps.begin() as uow:
        row = uow.repo.transfer(uuid.UUID(str(transfer_id)))
        uow.expunge(row)
        return row


def return_transfer(deps: Deps, actor: dict, transfer_id: str, reason: str = "") -> dict:
    with deps.begin() as uow:
        eid, row = own_transfer(deps, uow, actor, transfer_id)
        repo = uow.repo
        if row.status == "in_drafted" and row.declaration_id:
            decl = repo.declaration(row.declaration_id, for_update=True)
            if decl is not None and decl.status not in DRAFTS:
                raise InvalidTransition("调入申报已上报，不能再退回", code="in_review")
        transfer_move(deps, uow, row, "return", actor_enterprise_id=eid, actor=actor, note=reason or None)
        row.reason = reason or None
        cert = repo.certificate(row.certificate_id, for_update=True)
        cert.status, cert.transfer_to = "valid", None
        uow.flush()
        view = views.transfer_view(deps.types, repo, row)
        uow.commit()
        return view


def cancel_transfer(deps: Deps, actor: dict, transfer_id: str) -> dict:
    with deps.begin() as uow:
        eid, row = own_transfer(deps, uow, actor, transfer_id)
        repo = uow.repo
        transfer_move(deps, uow, row, "cancel", actor_enterprise_id=eid, actor=actor)
        cert = repo.certificate(row.certificate_id, for_update=True)
        cert.status, cert.transfer_to = "valid", None
        uow.flush()
        view = views.transfer_view(deps.types, repo, row)
        uow.commit()
        return view


def request_transfer(deps: Deps, actor: dict, payload: dict) -> dict:
    """TSA 人员调出/调入申请 by the holder; the consenting enterprise decides next."""
    number = s.person_actor(deps, actor)
    data = load_or_fail(RequestTransferSchema(), payload or {})
    direction = str(data.get("direction") or "")
    if direction not in ("out", "in"):
        raise ValidationFailed(
            "请选择调出或调入", {"direction": [field_error("required", "请选择调出或调入")]}
        )
    target = s.enterprise_by_uscc(deps, data.get("to_uscc"))
    with deps.begin() as uow:
        repo = uow.repo
        cert = repo.certificate(_uuid(data.get("certificate_id"), CERT_NOT_FOUND), for_update=True)
        person = repo.person(cert.person_id) if cert else None
        if cert is None or person is None:
            raise NotFound(CERT_NOT_FOUND)
        if person.id_number != number:
            raise s.refused(deps, actor, cert.id, "certificate", NotFound(CERT_NOT_FOUND))
        t = deps.types.type(cert.type_code)
        if not t.operations.get(f"transfer_{direction}") or not t.operation(f"transfer_{direction}").consent:
            raise InvalidTransition(f"{t.name}不办理本人调动申请", code="not_offered")
        status = eligibility.record_status(records.record_dict(cert), _today(), t)
        if status not in ("valid", "expired"):
            raise InvalidTransition(
                f"证书状态为“{views.CERT_STATUS_LABELS.get(status, status)}”，不能申请调动", code=str(status)
            )
        moved = domain.request_transfer(
            str(cert.id),
            str(person.id),
            direction,
            str(cert.enterprise_id) if cert.enterprise_id else None,
            target["enterprise_id"],
        )
        row = Transfer(
            certificate_id=cert.id,
            person_id=person.id,
            direction=direction,
            mode="consent",
            from_enterprise_id=cert.enterprise_id,
            from_enterprise_name=cert.enterprise_name,
            to_enterprise_id=uuid.UUID(target["enterprise_id"]),
            to_enterprise_name=target["name"],
            status=moved.status,
            history=[{"at": _now().isoformat(), "action": "request", "by": "person", "status": moved.status}],
        )
        try:
            with uow.nested():
                repo.add(row)
        except IntegrityError as exc:
            raise Conflict("该证书已有未办结的调动申请", code="transferring") from exc
        if row.from_enterprise_id:
            uow.add_event(
                TRANSFER_REQUESTED,
                {
                    "transfer_id": row.id,
                    "certificate_id": cert.id,
                    "holder_name": person.name,
                    "from_enterprise_id": row.from_enterprise_id,
                    "to_enterprise_id": row.to_enterprise_id,
                    "awaiting_enterprise_id": moved.consenting_enterprise_id,
                },
            )
        uow.audit(
            "personnel.transfer.request",
            actor_id=actor.get("id"),
            subject_id=str(row.id),
            direction=direction,
        )
        view = views.transfer_view(deps.types, repo, row)
        uow.commit()
        return view


def decide_transfers(deps: Deps, actor: dict, payload: dict) -> dict:
    """TSA 同意/不同意 (one by one or in batch): consent opens the review declaration (draft,
    reported like any other), refusal ends the request."""
    eid = s.enterprise_for(deps, actor, write=True)
    data = load_or_fail(IdsSchema(), payload)
    decision = str((payload or {}).get("decision") or "")
    if decision not in ("consent", "refuse"):
        raise ValidationFailed(
            "请选择同意或不同意", {"decision": [field_error("required", "请选择同意或不同意")]}
        )
    recs = s.enterprise_records(deps, eid) if decision == "consent" else {}
    results = []
    for raw in data["ids"]:
        try:
            with deps.begin() as uow:
                _, row = own_transfer(deps, uow, actor, raw)
                transfer_move(
                    deps,
                    uow,
                    row,
                    decision,
                    actor_enterprise_id=eid,
                    actor=actor,
                    note=data["reason"] or None,
                )
                if decision == "refuse":
                    row.reason = data["reason"] or None
                cert_id, kind, status = row.certificate_id, f"transfer_{row.direction}", row.status
                t = deps.types.type(uow.repo.certificate(cert_id).type_code)
                uow.commit()
            declaration_id = None
            if decision == "consent":
                view = declarations.create_declaration(
                    deps,
                    actor,
                    eid,
                    t,
                    kind,
                    {"certificate_id": str(cert_id), "form": {}},
                    recs,
                    transfer=transfer_row(deps, raw),
                )
                declaration_id = view["id"]
            results.append(
                {
                    "id": str(raw),
                    "ok": True,
                    "status": status,
                    "code": None,
                    "message": None,
                    "declaration_id": declaration_id,
                }
            )
        except ServiceError as exc:
            results.append(
                {"id": str(raw), "ok": False, "status": None, "code": exc.code, "message": exc.message}
            )
    return {"results": results, "summary": s.summary(results)}
