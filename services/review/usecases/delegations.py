"""Delegations: a reviewer's cases held by another reviewer of the same desk for a period."""

from __future__ import annotations

from services.common.errors import Forbidden, NotFound, ValidationFailed, field_error
from services.common.schema_errors import load_or_fail
from services.review import domain
from services.review.models import Delegation
from services.review.schemas import DelegationSchema
from services.review.usecases._support import Deps, _now, _staff
from services.review.usecases.views import _delegation_view


def delegate(deps: Deps, actor: dict, payload: dict) -> dict:
    data = load_or_fail(DelegationSchema(), payload)
    from_reviewer = str(actor["id"])
    if data["from_reviewer"] and data["from_reviewer"] != from_reviewer:
        if actor.get("kind") != "admin":
            raise Forbidden("只有管理员可以为其他审核人员设置委托")
        from_reviewer = data["from_reviewer"]
    source = _staff(deps, from_reviewer) if from_reviewer != str(actor["id"]) else actor
    target = _staff(deps, data["to_reviewer"])
    desk = domain.desk_of(source)
    if desk is None or domain.desk_of(target) != desk:
        raise ValidationFailed.from_fields({"to_reviewer": [field_error(
            "other_desk", "只能委托给同一层级、同一地区的审核人员")]})
    if str(target["id"]) == from_reviewer:
        raise ValidationFailed.from_fields({"to_reviewer": [field_error("self", "不能委托给自己")]})
    if data["ends_on"] < data["starts_on"]:
        raise ValidationFailed.from_fields(
            {"ends_on": [field_error("before_start", "结束日期不能早于开始日期")]})
    with deps.begin() as uow:
        delegation = Delegation(from_reviewer=from_reviewer, to_reviewer=str(target["id"]),
                                to_name=target.get("contact_name") or target.get("login") or "",
                                level=desk[0], desk_region=desk[1], starts_on=data["starts_on"],
                                ends_on=data["ends_on"], reason=data["reason"],
                                created_by=str(actor["id"]))
        uow.delegations.add(delegation)
        uow.audit("delegation.created", actor_id=actor["id"],
                  subject_id=delegation.id, from_reviewer=from_reviewer, to=target["id"],
                  starts_on=data["starts_on"].isoformat(), ends_on=data["ends_on"].isoformat())
        uow.commit()
        return _delegation_view(delegation)


def revoke_delegation(deps: Deps, actor: dict, delegation_id: int) -> dict:
    with deps.begin() as uow:
        delegation = uow.delegations.get(int(delegation_id))
        if delegation is None:
            raise NotFound("委托不存在")
        if actor.get("kind") != "admin" and delegation.from_reviewer != str(actor["id"]):
            raise Forbidden("只能撤销自己设置的委托")
        delegation.revoked_at = _now()
        uow.audit("delegation.revoked", actor_id=actor["id"], subject_id=delegation.id)
        uow.commit()
        return _delegation_view(delegation)
