"""Batches, the commitment letter and 上报 (single or batch, idempotent per form key)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError

from services.common.errors import InvalidTransition, NotFound, ServiceError, ValidationFailed, field_error
from services.common.schema_errors import load_or_fail
from services.personnel import declarations as rules
from services.personnel.models import Batch, Commitment, ReportKey
from services.personnel.schemas import BatchSchema, ReportSchema, ScopeSchema
from services.personnel.usecases import _support as s
from services.personnel.usecases import lifecycle
from services.personnel.usecases._support import (
    BATCH_NOT_FOUND,
    COMMITMENT_TEXT,
    DRAFTS,
    NOT_FOUND,
    Deps,
    _iso,
    _now,
    _uuid,
)


def load_batch(deps: Deps, uow: Any, actor: dict, batch_id: object, write: bool) -> Batch:
    eid = s.enterprise_for(deps, actor, write=write)
    batch = uow.repo.batch(_uuid(batch_id, BATCH_NOT_FOUND))
    if batch is None:
        raise NotFound(BATCH_NOT_FOUND)
    if batch.enterprise_id != eid:
        raise s.refused(deps, actor, batch.id, "batch", NotFound(BATCH_NOT_FOUND))
    return batch


def batch_view(deps: Deps, uow: Any, batch: Batch, actor: dict) -> dict:
    items = uow.repo.in_batch(batch.id)
    return {
        "id": str(batch.id),
        "title": batch.title,
        "reported": batch.reported_at is not None,
        "reported_at": _iso(batch.reported_at),
        "created_at": _iso(batch.created_at),
        "count": len(items),
        "declarations": [s.declaration_view(deps, uow, d, actor, detail=False) for d in items],
    }


def put_in_batch(deps: Deps, uow: Any, actor: dict, batch: Batch, ids: list[str]) -> None:
    for raw in ids:
        decl = s.load(deps, uow, actor, raw, write=True, lock=True)
        if decl.status not in DRAFTS:
            raise InvalidTransition("只有未上报的申报可以加入批次", code="already_reported")
        decl.batch_id = batch.id
        s.history(decl, "batch", "enterprise", f"加入批次“{batch.title}”")


def create_batch(deps: Deps, actor: dict, payload: dict) -> dict:
    eid = s.enterprise_for(deps, actor, write=True)
    data = load_or_fail(BatchSchema(), payload)
    with deps.begin() as uow:
        batch = Batch(enterprise_id=eid, title=data["title"].strip(), created_by=actor.get("id"))
        uow.repo.add(batch)
        put_in_batch(deps, uow, actor, batch, data["declaration_ids"])
        uow.audit("personnel.batch.create", actor_id=actor.get("id"), subject_id=str(batch.id))
        uow.flush()
        view = batch_view(deps, uow, batch, actor)
        uow.commit()
        return view


def add_to_batch(deps: Deps, actor: dict, batch_id: str, payload: dict) -> dict:
    with deps.begin() as uow:
        batch = load_batch(deps, uow, actor, batch_id, write=True)
        if batch.reported_at is not None:
            raise InvalidTransition("已上报的批次不能再加入申报", code="already_reported")
        ids = load_or_fail(ScopeSchema(), payload or {})["declaration_ids"] or []
        put_in_batch(deps, uow, actor, batch, ids)
        uow.audit("personnel.batch.add", actor_id=actor.get("id"), subject_id=str(batch.id))
        uow.flush()
        view = batch_view(deps, uow, batch, actor)
        uow.commit()
        return view


def remove_from_batch(deps: Deps, actor: dict, batch_id: str, payload: dict) -> dict:
    with deps.begin() as uow:
        batch = load_batch(deps, uow, actor, batch_id, write=True)
        for raw in load_or_fail(ScopeSchema(), payload or {})["declaration_ids"] or []:
            decl = s.load(deps, uow, actor, raw, write=True, lock=True)
            if decl.batch_id == batch.id and decl.status in DRAFTS:
                decl.batch_id = None
        uow.audit("personnel.batch.remove", actor_id=actor.get("id"), subject_id=str(batch.id))
        uow.flush()
        view = batch_view(deps, uow, batch, actor)
        uow.commit()
        return view


def scope_ids(deps: Deps, uow: Any, actor: dict, scope: dict) -> tuple[list[str], Batch | None]:
    if scope.get("batch_id"):
        batch = load_batch(deps, uow, actor, scope["batch_id"], write=True)
        ids = [str(d.id) for d in uow.repo.in_batch(batch.id) if d.status in DRAFTS]
        if not ids:
            raise InvalidTransition("该批次没有待上报的申报", code="nothing_to_report")
        return ids, batch
    ids = [str(_uuid(i, NOT_FOUND)) for i in scope.get("declaration_ids") or []]
    if not ids:
        raise ValidationFailed(
            "请选择要上报的申报", {"declaration_ids": [field_error("required", "请选择要上报的申报")]}
        )
    return ids, None


def open_commitment(deps: Deps, actor: dict, payload: dict) -> dict:
    eid = s.enterprise_for(deps, actor, write=True)
    scope = load_or_fail(ScopeSchema(), payload)
    with deps.begin() as uow:
        ids, batch = scope_ids(deps, uow, actor, scope)
        for raw in ids:
            s.load(deps, uow, actor, raw, write=True)
        row = Commitment(
            enterprise_id=eid, declaration_ids=ids, batch_id=batch.id if batch else None, opened_at=_now()
        )
        uow.repo.add(row)
        uow.audit(
            "personnel.commitment.open", actor_id=actor.get("id"), subject_id=str(row.id), count=len(ids)
        )
        uow.commit()
        return {
            "token": str(row.id),
            "opened_at": _iso(row.opened_at),
            "seconds_required": s.commitment_seconds(deps),
            "text": COMMITMENT_TEXT,
            "declaration_ids": ids,
        }


def report(deps: Deps, actor: dict, payload: dict) -> dict:
    """上报 (single or batch): one commitment letter, then a result per declaration."""
    eid = s.enterprise_for(deps, actor, write=True)
    data = load_or_fail(ReportSchema(), payload)
    with deps.begin() as uow:
        repo = uow.repo
        done = repo.report_key(eid, data["form_key"])
        if done is not None:
            return dict(done.results)
        ids, batch = scope_ids(deps, uow, actor, data)
        commitment = None
        try:
            commitment = repo.commitment(uuid.UUID(str(data.get("commitment_token"))))
        except ValueError:
            commitment = None
        if commitment is not None and (
            commitment.enterprise_id != eid
            or commitment.used_at is not None
            or not set(ids) <= set(commitment.declaration_ids or [])
        ):
            commitment = None
        rules.check_commitment(
            commitment.opened_at if commitment else None,
            _now(),
            data["confirmed"],
            s.commitment_seconds(deps),
        )
        # Plain values: the rows do not outlive this transaction.
        commitment_id = commitment.id if commitment is not None else None
        batch_id = batch.id if batch is not None else None
    recs = s.enterprise_records(deps, eid)
    results = []
    for raw in ids:
        try:
            with deps.begin() as uow:
                decl = s.load(deps, uow, actor, raw, write=True, lock=True)
                lifecycle.report_one(deps, uow, decl, recs, actor)
                status = decl.status
                uow.commit()
            results.append({"id": raw, "ok": True, "status": status, "code": None, "message": None})
        except ServiceError as exc:
            results.append({"id": raw, "ok": False, "status": None, "code": exc.code, "message": exc.message})
    answer = {"results": results, "summary": s.summary(results)}
    with deps.begin() as uow:
        repo = uow.repo
        try:
            with uow.nested():
                repo.add(ReportKey(enterprise_id=eid, form_key=data["form_key"], results=answer))
        except IntegrityError:
            return dict(repo.report_key(eid, data["form_key"]).results)
        if commitment_id is not None:
            repo.commitment(commitment_id).used_at = _now()
        if batch_id is not None and all(d.status not in DRAFTS for d in repo.in_batch(batch_id)):
            repo.batch(batch_id).reported_at = _now()
        uow.audit(
            "personnel.report",
            actor_id=actor.get("id"),
            subject_id=str(batch_id) if batch_id else None,
            ok=sum(r["ok"] for r in results),
            failed=sum(not r["ok"] for r in results),
        )
        uow.commit()
    return answer
