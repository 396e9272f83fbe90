"""申报批次: several applications of one enterprise submitted (or discarded) together, one
result per application."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.common.errors import (
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    field_error,
    uuid_or_not_found,
)
from services.permits import lifecycle
from services.permits.models import Batch
from services.permits.usecases import submission, views
from services.permits.usecases._support import (
    BATCH_NOT_FOUND,
    NOT_FOUND,
    Deps,
    _now,
    enterprise_for,
    load,
)


def batch(deps: Deps, uow: Any, actor: dict, batch_id: object, write: bool) -> Batch:
    """The actor's enterprise's batch (locked for a write); anyone else's: 404."""
    eid = enterprise_for(deps, actor, write=write)
    found = uow.batches.get(uuid_or_not_found(batch_id, BATCH_NOT_FOUND), for_update=write)
    if found is None or found.enterprise_id != eid:
        raise NotFound(BATCH_NOT_FOUND)
    return found


def create_batch(deps: Deps, actor: dict, name: str) -> dict:
    eid = enterprise_for(deps, actor, write=True)
    if name is not None and not isinstance(name, str):  # e.g. {"name": [null]} from the API
        raise ValidationFailed.from_fields({"name": [field_error("invalid", "批次名称必须是文字")]})
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise ValidationFailed.from_fields({"name": [field_error("required", "请填写批次名称（100字以内）")]})
    with deps.begin() as uow:
        row = Batch(enterprise_id=eid, name=name, status="pending", created_by=actor.get("id"))
        uow.batches.add(row)
        uow.audit("permits.batch.create", actor_id=actor.get("id"), subject_id=str(row.id))
        uow.commit()
        return views.batch_view(deps, uow, row, actor)


def add_to_batch(deps: Deps, actor: dict, batch_id: str, application_id: str) -> dict:
    with deps.begin() as uow:
        row = batch(deps, uow, actor, batch_id, write=True)
        if row.status != "pending":
            raise InvalidTransition("已上报的批次不能再添加申请")
        app = load(deps, uow, actor, application_id, write=True)
        if app.state not in lifecycle.DRAFT_STATES:
            raise InvalidTransition("只有未提交的申请可以加入批次")
        app.batch_id = row.id
        uow.flush()
        uow.commit()
        return views.batch_view(deps, uow, row, actor)


def remove_from_batch(deps: Deps, actor: dict, batch_id: str, application_id: str) -> dict:
    with deps.begin() as uow:
        row = batch(deps, uow, actor, batch_id, write=True)
        app = load(deps, uow, actor, application_id, write=True)
        if app.batch_id != row.id:
            raise NotFound(NOT_FOUND)
        if app.state not in lifecycle.DRAFT_STATES:
            raise InvalidTransition("已上报的申请不能移出批次")
        app.batch_id = None
        uow.flush()
        uow.commit()
        return views.batch_view(deps, uow, row, actor)


def submit_batch(deps: Deps, actor: dict, batch_id: str, idempotency_key: str | None = None) -> dict:
    """Submit every application of the batch; one result per item (ok, or why not)."""
    with deps.begin() as uow:
        row = batch(deps, uow, actor, batch_id, write=True)
        ids = [str(a.id) for a in uow.apps.in_batch(row.id)]
    results = []
    for app_id in ids:
        key = f"{idempotency_key}:{app_id}"[:64] if idempotency_key else None
        results.append(attempt(lambda a=app_id, k=key: submission.submit(deps, actor, a, k), app_id))
    with deps.begin() as uow:
        row = batch(deps, uow, actor, batch_id, write=True)
        # Locked: a duplicate submit of the batch (same key) finds it submitted and keeps
        # the first submitted_at and audit row.
        if results and all(r["ok"] for r in results) and row.status != "submitted":
            row.status, row.submitted_at = "submitted", _now()
            uow.audit("permits.batch.submit", actor_id=actor.get("id"), subject_id=str(row.id))
        uow.commit()
        return {"batch": views.batch_view(deps, uow, row, actor), "results": results}


def delete_batch(deps: Deps, actor: dict, batch_id: str) -> dict:
    """Discard every unsubmitted application of the batch and delete the batch when empty."""
    with deps.begin() as uow:
        row = batch(deps, uow, actor, batch_id, write=True)
        ids = [str(a.id) for a in uow.apps.in_batch(row.id)]
    results = [attempt(lambda a=app_id: submission.discard(deps, actor, a), app_id) for app_id in ids]
    with deps.begin() as uow:
        row = batch(deps, uow, actor, batch_id, write=True)
        deleted = not uow.apps.in_batch(row.id)
        if deleted:
            uow.delete(row)
            uow.audit("permits.batch.delete", actor_id=actor.get("id"), subject_id=str(batch_id))
        uow.commit()
        return {"deleted": deleted, "results": results}


def attempt(call: Callable[[], dict], app_id: str) -> dict:
    try:
        view = call()
        return {
            "application_id": app_id,
            "ok": True,
            "state": view["state"],
            "message": f"{view['number']}：{view['state_label']}",
        }
    except (InvalidTransition, ValidationFailed, Conflict, NotFound, Forbidden) as exc:
        return {"application_id": app_id, "ok": False, "code": exc.code, "message": exc.message}
