"""What an enterprise sends review directly: 整改 evidence and 自查 (self-inspection)
submissions; an admin starts a self-inspection campaign."""

from __future__ import annotations

import uuid

from services.common.access import enterprise_of
from services.common.errors import (
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    field_error,
    uuid_or_not_found,
)
from services.common.schema_errors import load_or_fail
from services.review import domain
from services.review.events import SELF_INSPECTION_STARTED
from services.review.models import Campaign, CampaignTarget
from services.review.schemas import CampaignSchema, RectificationEvidenceSchema, SelfInspectionSubmitSchema
from services.review.usecases._support import Deps, _case_for_enterprise, _checked, _keep_files, _now
from services.review.usecases.intake import _intake
from services.review.usecases.views import _attachment_ref, _campaign_view, _rectification_view


def submit_rectification(deps: Deps, actor: dict, rectification_id: int, payload: dict) -> dict:
    """整改 evidence: the enterprise's statement and uploaded files (PDF or jpg/png)."""
    data = load_or_fail(RectificationEvidenceSchema(), payload)
    checked = [(item["label"].strip() or f"整改材料{index + 1}", _checked(item, f"evidence.{index}"))
               for index, item in enumerate(data["evidence"])]
    with deps.begin() as uow:
        rect = uow.cases.rectification(int(rectification_id), for_update=True)
        if rect is None:
            raise NotFound("整改事项不存在")
        case = _case_for_enterprise(deps, uow, actor, str(rect.case_id))
        if enterprise_of(actor) != case.enterprise_id:
            raise Forbidden("只有企业可以提交整改材料")
        if rect.status != "open":
            raise InvalidTransition("该整改已提交或已处理")
        rows = _keep_files(deps, uow, checked, actor, case.enterprise_id, "rectification", str(rect.id),
                           case.id)
        rect.evidence = [_attachment_ref(row) for row in rows]
        rect.statement = data["statement"]
        rect.status = "submitted"
        rect.submitted_at = _now()
        case.updated_at = _now()
        case.version += 1
        uow.audit("rectification.submitted", actor_id=actor["id"], subject_id=case.id,
                  rectification_id=rect.id, attachments=[str(r.id) for r in rows])
        uow.commit()
        return _rectification_view(rect)


def start_campaign(deps: Deps, actor: dict, payload: dict) -> dict:
    if (actor or {}).get("kind") != "admin":
        raise Forbidden("只有管理员可以发起自查")
    data = load_or_fail(CampaignSchema(), payload)
    if domain.registry().resolve(f"{data['business_type']}.self_inspection") is None:
        raise ValidationFailed.from_fields({"business_type": [field_error(
            "unknown", "该业务类型没有配置自查审核流程")]})
    names = [item["name"] for item in data["form"]]
    if len(set(names)) != len(names):
        raise ValidationFailed.from_fields({"form": [field_error("duplicate", "表单项名称重复")]})
    with deps.begin() as uow:
        repo = uow.campaigns
        campaign = Campaign(id=uuid.uuid4(), business_type=data["business_type"], title=data["title"],
                            form=data["form"], deadline=data["deadline"],
                            region_code=str(actor.get("region_code") or "150000"),
                            created_by=str(actor["id"]), created_at=_now())
        repo.add(campaign)
        for target_in in {t["enterprise_id"]: t for t in data["targets"]}.values():
            target = CampaignTarget(id=uuid.uuid4(), campaign_id=campaign.id,
                                    enterprise_id=target_in["enterprise_id"],
                                    enterprise_name=target_in["enterprise_name"],
                                    region_code=target_in["region_code"], status="todo",
                                    answers={}, attachments=[])
            repo.add(target)
            uow.add_event(SELF_INSPECTION_STARTED, {
                "campaign_id": campaign.id, "target_id": target.id,
                "enterprise_id": target.enterprise_id, "business_type": campaign.business_type,
                "title": campaign.title, "deadline": campaign.deadline, "at": _now()})
        uow.audit("campaign.started", actor_id=actor["id"], subject_id=campaign.id,
                  targets=len(data["targets"]))
        uow.commit()
        return _campaign_view(campaign) | {"targets": len(repo.targets(campaign.id))}


def submit_self_inspection(deps: Deps, actor: dict, target_id: str, payload: dict) -> dict:
    """Send a 自查: every required item answered and every required material uploaded, or
    nothing is sent; the materials go to S3 and the submission becomes a review case."""
    data = load_or_fail(SelfInspectionSubmitSchema(), payload)
    with deps.begin() as uow:
        repo = uow.campaigns
        target = repo.target(uuid_or_not_found(target_id, "自查事项不存在"), for_update=True)
        if target is None or target.enterprise_id != enterprise_of(actor or {}):
            raise NotFound("自查事项不存在")
        if target.status != "todo":
            raise InvalidTransition("该自查已提交")
        campaign = repo.get(target.campaign_id)
        assert campaign is not None
        errors = domain.missing_answers(campaign.form, data["answers"], set(data["files"]))
        if errors:
            raise ValidationFailed("自查材料不完整，请补充后再提交", errors)
        labels = {item["name"]: item["label"] for item in campaign.form}
        checked = [(labels[name], _checked(upload, name)) for name, upload in data["files"].items()]
        rows = _keep_files(deps, uow, checked, actor, target.enterprise_id, "self_inspection",
                           str(target.id), None)
        attachments = [_attachment_ref(row) for row in rows]
        case_type = f"{campaign.business_type}.self_inspection"
        spec = domain.registry().resolve(case_type)
        assert spec is not None
        case = _intake(uow, "review", spec, {
            "case_ref": f"review:self_inspection:{target.id}", "case_type": case_type,
            "lane": "standard", "enterprise_id": target.enterprise_id,
            "enterprise_name": target.enterprise_name or target.enterprise_id,
            "region_code": target.region_code, "title": campaign.title, "revision": 1,
            "fields": {k: {"label": labels.get(k, k), "value": v} for k, v in data["answers"].items()},
            "attachments": attachments, "submitted_at": _now()})
        for row in rows:  # the case's reviewers may now read them
            row.case_id = case.id if case else None
        target.status = "submitted"
        target.answers = data["answers"]
        target.attachments = attachments
        target.submitted_at = _now()
        target.case_id = case.id if case else None
        uow.audit("self_inspection.submitted", actor_id=actor["id"],
                  subject_id=target.id, case_id=target.case_id,
                  attachments=[str(r.id) for r in rows])
        uow.commit()
        return {"target_id": str(target.id), "status": target.status,
                "case_id": str(target.case_id) if target.case_id else None,
                "attachments": attachments}
