"""Application drafts: create (with the eligibility rule of the transaction and the first
pre-check) and edit."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from services.common.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    field_error,
    uuid_or_not_found,
)
from services.common.schema_errors import load_or_fail
from services.permits import lane_access, lifecycle, prefill, transactions
from services.permits.catalogue import LANES, TRANSACTION_KINDS
from services.permits.models import Application
from services.permits.schemas import CreateDraftSchema, UpdateDraftSchema
from services.permits.usecases import safety, views
from services.permits.usecases._support import (
    DEFAULT_REGION,
    LICENCE_NOT_FOUND,
    Deps,
    _now,
    _today,
    domain_licence,
    enterprise_for,
    load,
    type_of,
)
from services.permits.usecases.batches import batch
from services.permits.usecases.prechecks import apply_precheck


def create_draft(deps: Deps, actor: dict, payload: dict) -> dict:
    eid = enterprise_for(deps, actor, write=True)
    data = load_or_fail(CreateDraftSchema(), payload)
    bt = check_selection(deps, data)
    key = data.get("request_key")
    if key:  # a repeated request: its draft, before any RPC or number is drawn
        with deps.begin() as uow:
            if (existing := uow.apps.by_request_key(key)) is not None:
                if existing.enterprise_id != eid:
                    raise Conflict("该请求编号已被使用", code="key_reused")
                return views.application_view(deps, uow, existing, actor)
    records = deps.records(eid)  # asked with no transaction open
    with deps.begin() as uow:  # the day's counter row is locked only this long
        number = uow.apps.next_number(_today())
        uow.commit()
    try:
        with deps.begin() as uow:
            if key and (existing := uow.apps.by_request_key(key)) is not None:
                if existing.enterprise_id != eid:
                    raise Conflict("该请求编号已被使用", code="key_reused")
                return views.application_view(deps, uow, existing, actor)
            original = None
            if data.get("original_licence_id"):
                original = uow.licences.get(uuid_or_not_found(data["original_licence_id"], LICENCE_NOT_FOUND))
                if original is None or original.enterprise_id != eid:
                    raise NotFound(LICENCE_NOT_FOUND)
            today = _today()
            held = original or uow.licences.live_of(eid, bt.code)
            transactions.check_eligibility(
                data["transaction_kind"],
                domain_licence(held) if held else None,
                today,
                business_type=bt,
                selections=[(i["category"], i["grade"]) for i in data["items"]],
                lane=data["lane"],
                nature=data.get("nature"),
                submitter=data.get("submitter"),
            ).require()
            safety.require_no_review_condition(uow, data["transaction_kind"], held, today)
            lane_access.require(bt, data["transaction_kind"], data["lane"],
                                lane_access.record_from(uow.credit, eid, today), today)
            app = Application(
                number=number,
                enterprise_id=eid,
                enterprise_name=records.get("name") or "",
                enterprise_uscc=records.get("uscc") or "",
                region_code=records.get("region_code") or DEFAULT_REGION,
                type_code=bt.code,
                catalogue_version_id=deps.catalogue.versions.get(bt.code),  # kept for good
                transaction_kind=data["transaction_kind"],
                items=[{"category": i["category"], "grade": i["grade"]} for i in data["items"]],
                lane=data["lane"],
                nature=data.get("nature"),
                submitter=data.get("submitter"),
                original_licence_id=original.id if original else None,
                values=prefill.prefilled(bt, data["transaction_kind"], data["values"] or {}, records),
                state="draft",
                request_key=key,
                owed_standards=[],
                revision=0,
                correction_items=[],
                created_by=actor.get("id"),
            )
            if data.get("batch_id"):
                app.batch_id = batch(deps, uow, actor, data["batch_id"], write=True).id
            uow.apps.add(app)
            uow.apps.add_history(app, "create", None, "draft", actor, "创建申请草稿")
            uow.audit(
                "permits.application.create",
                actor_id=actor.get("id"),
                subject_id=str(app.id),
                type_code=bt.code,
                kind=app.transaction_kind,
                catalogue_version_id=app.catalogue_version_id,
            )
            apply_precheck(deps, uow, app, records, actor, initial=True)
            uow.commit()
            return views.application_view(deps, uow, app, actor)
    except IntegrityError:
        if key:
            with deps.begin() as uow:
                existing = uow.apps.by_request_key(key)
                if existing is not None and existing.enterprise_id == eid:
                    return views.application_view(deps, uow, existing, actor)
        raise Conflict("申请同时被提交了两次，请刷新后查看") from None


def check_selection(deps: Deps, data: dict) -> Any:
    """The business type of a new draft, if its transaction, lane, items, nature and
    submitter are ones the catalogue offers; else every field's error at once."""
    errors: dict[str, list[dict[str, str]]] = {}
    try:
        bt = deps.catalogue.type(data["type_code"])
    except KeyError as exc:
        raise ValidationFailed.from_fields(
            {"type_code": [field_error("unknown", str(exc.args[0]))]}
        ) from None
    kind = data["transaction_kind"]
    if kind not in bt.transactions:
        errors["transaction_kind"] = [
            field_error("unknown", f"{bt.name}不办理“{TRANSACTION_KINDS.get(kind, kind)}”")
        ]
    elif data["lane"] not in bt.lanes_for(kind):
        errors["lane"] = [
            field_error("unknown", f"该业务不提供“{LANES.get(data['lane'], data['lane'])}”通道")
        ]
    if len(data["items"]) > 1 and not bt.multi_category:
        errors["items"] = [field_error("single", f"{bt.name}一次只能申请一个类别")]
    seen = set()
    for item in data["items"]:
        try:
            bt.category(item["category"]).grade(item["grade"])
        except KeyError as exc:
            errors["items"] = [field_error("unknown", str(exc.args[0]))]
        if item["category"] in seen:
            errors["items"] = [field_error("duplicate", "同一类别只能选择一个等级")]
        seen.add(item["category"])
    if bt.natures and data.get("nature") not in bt.natures:
        errors["nature"] = [field_error("required", "请选择申请性质")]
    if bt.submitters and data.get("submitter") not in bt.submitters:
        errors["submitter"] = [field_error("required", "请选择申请人类型（法定代表人或受托人）")]
    if errors:
        raise ValidationFailed.from_fields(errors)
    return bt


def update_draft(deps: Deps, actor: dict, application_id: str, payload: dict) -> dict:
    data = load_or_fail(UpdateDraftSchema(), payload)
    with deps.begin() as uow:
        app = load(deps, uow, actor, application_id, write=True, version=data["version"])
        if app.state not in lifecycle.DRAFT_STATES:
            raise InvalidTransition("已提交的申请不能修改；补正时只能修改审核人员指出的事项。")
        bt = type_of(deps, app)
        if data.get("values") is not None:
            app.values = {**(app.values or {}), **{k: v for k, v in data["values"].items()}}
        if data.get("lane"):
            if data["lane"] not in bt.lanes_for(app.transaction_kind):
                raise ValidationFailed.from_fields({"lane": [field_error("unknown", "该业务不提供该通道")]})
            today = _today()
            lane_access.require(bt, app.transaction_kind, data["lane"],
                                lane_access.record_from(uow.credit, app.enterprise_id, today), today)
            app.lane = data["lane"]
        if data.get("owed_standards") is not None:
            if app.lane != "fast_track" and data["owed_standards"]:
                raise InvalidTransition("只有容缺受理通道的申请可以容缺后补")
            app.owed_standards = list(data["owed_standards"])
        app.updated_at = _now()
        uow.apps.add_history(app, "update", app.state, app.state, actor, "修改申请信息")
        uow.flush()
        uow.commit()
        return views.application_view(deps, uow, app, actor)
