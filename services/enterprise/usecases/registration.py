"""Registration step 2 (HMQ 填写注册企业信息): the main account saves a draft of the
enterprise's profile and submits it for identity's registration review."""

from __future__ import annotations

import uuid

from services.common.errors import (
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    field_error,
    uuid_or_not_found,
)
from services.enterprise import domain
from services.enterprise.events import REGISTRATION_PROFILE_SUBMITTED
from services.enterprise.usecases._support import (
    NOT_FOUND,
    Deps,
    _apply_basic,
    _authorise,
    _changed,
    _check_files,
    _ensure,
    _now,
    _profile_view,
)


def _registration_actor(deps: Deps, actor: dict) -> uuid.UUID:
    if not isinstance(actor, dict) or actor.get("kind") != "enterprise":
        deps.audit_alone("enterprise.access_refused", actor, (actor or {}).get("id"),
                         what="registration_profile", reason="not_enterprise_main_account")
        raise Forbidden("只有企业主账号可以填写注册企业信息")
    return uuid_or_not_found(domain.acting_enterprise(actor), NOT_FOUND)


def _registration_open(deps: Deps, eid: uuid.UUID) -> None:
    account = deps.session_account(str(eid))
    if account.get("status") in ("active", "disabled"):
        raise InvalidTransition("注册已审核通过，企业信息请在“企业信息”中维护（关键信息须发起变更申请）")


def save_registration_profile(deps: Deps, actor: dict, payload: dict) -> dict:
    """Save a draft of registration step 2: partial is fine (continued later)."""
    eid = _registration_actor(deps, actor)
    if not isinstance(payload, dict):
        raise ValidationFailed("请求格式不正确", {"_": [field_error("invalid", "请求格式不正确")]})
    _registration_open(deps, eid)
    with deps.begin() as uow:
        row = _ensure(deps, uow, eid)
        cleaned, errors = domain.clean_basic_info(
            {k: v for k, v in payload.items() if k in domain.PROFILE_FIELDS})
        checked = _check_files(payload.get("files"), errors)
        if errors:
            raise ValidationFailed.from_fields(errors)
        _apply_basic(deps, uow, row, cleaned, checked, actor, "registration_saved")
        if row.profile_status != domain.PROFILE_DRAFT:
            row.profile_status = domain.PROFILE_DRAFT  # changed after submitting: submit again
        view = _profile_view(uow, row)
        uow.commit()
        return view


def submit_registration_profile(deps: Deps, actor: dict) -> dict:
    eid = _registration_actor(deps, actor)
    _registration_open(deps, eid)
    with deps.begin() as uow:
        row = _ensure(deps, uow, eid)
        uow.refresh_for_update(row)
        view = _profile_view(uow, row)
        errors = domain.profile_completeness_errors(view, set(view["files"]))
        if errors:
            raise ValidationFailed("注册企业信息不完整，请按提示补充后再提交。", errors)
        row.profile_status = domain.PROFILE_SUBMITTED
        row.profile_submitted_at = _now()
        uow.add_event(REGISTRATION_PROFILE_SUBMITTED, {
            "enterprise_id": row.id, "uscc": row.uscc, "name": row.name, "region_code": row.region_code,
            "submitted_at": row.profile_submitted_at})
        _changed(uow, row, actor, ["basic"], "basic", str(row.id), "submitted",
                 [("profile_status", domain.PROFILE_DRAFT, domain.PROFILE_SUBMITTED)])
        view = _profile_view(uow, row)
        uow.commit()
        return view


def registration_profile(deps: Deps, actor: dict, enterprise_id: str) -> dict:
    eid = _authorise(deps, actor, enterprise_id, domain.READ, "registration_profile")
    with deps.begin() as uow:
        row = _ensure(deps, uow, eid) if domain.acting_enterprise(actor) == str(eid) else \
            uow.repo.get(eid)
        if row is None:
            raise NotFound(NOT_FOUND)
        view = _profile_view(uow, row)
        uow.commit()
        return view
