"""变更申请: a change of a locked field asks review for a case
(``enterprise:change:<id>``, through the review kit); review's decision applies it."""

from __future__ import annotations

from typing import Any

from services.common import review_cases
from services.common.attachments import check_upload
from services.common.errors import (
    Conflict,
    InvalidTransition,
    ValidationFailed,
    field_error,
    uuid_or_not_found,
)
from services.common.review_cases import CaseDesk
from services.common.schema_errors import load_or_fail
from services.enterprise import changes as change_rules
from services.enterprise import domain
from services.enterprise import history as history_rules
from services.enterprise.events import CHANGE_REQUESTED, REVIEW_REQUESTED
from services.enterprise.models import ChangeRequest
from services.enterprise.schemas import ChangeRequestSchema
from services.enterprise.usecases._support import (
    Deps,
    _apply_basic,
    _authorise,
    _basic_view,
    _changed,
    _ensure,
    _now,
    _open_cases,
    _store,
)
from services.enterprise.usecases.views import _change_request_view, _iso, enterprise_view

CHANGE_CASE_PREFIX = "enterprise:change:"


def request_change(deps: Deps, actor: dict, enterprise_id: str, payload: dict) -> dict:
    eid = _authorise(deps, actor, enterprise_id, domain.WRITE, "change_request")
    data = load_or_fail(ChangeRequestSchema(), payload)
    with deps.begin() as uow:
        row = _ensure(deps, uow, eid)
        repo = uow.repo
        current = enterprise_view(row)
        cleaned, errors = domain.clean_basic_info(
            {k: v for k, v in data["changes"].items() if k in domain.LOCKED_FIELDS})
        changes = {k: cleaned.get(k, v) for k, v in data["changes"].items()}
        errors.update(domain.change_request_errors(current, changes))
        files = {k: v for k, v in data["files"].items() if v}
        errors.update(change_rules.file_errors(changes, files))
        checked = {}
        for purpose, upload in files.items():
            if purpose in errors:
                continue
            try:
                checked[purpose] = check_upload(upload, purpose, domain.ATTACHMENT_PURPOSES[purpose][0])
            except ValidationFailed as exc:
                errors.update(exc.fields)
        if errors:
            raise ValidationFailed.from_fields(errors)
        if repo.pending_change_request(eid) is not None:
            raise Conflict("已有待审核的变更申请，审核完成后才能再次申请")
        if "name" in changes:
            cases = _open_cases(deps, eid)
            if cases:
                raise InvalidTransition(domain.open_cases_message(cases), {
                    "name": [field_error("open_cases", domain.open_cases_message(cases))]},
                    code="open_cases")
        request = ChangeRequest(enterprise_id=eid, status=domain.CHANGE_PENDING,
                                changes={k: {"old": current.get(k), "new": v}
                                         for k, v in changes.items()},
                                reason=data["reason"], requested_by=str(actor["id"]))
        repo.add(request)
        carried = []
        for purpose, upload in checked.items():
            attachment = _store(deps, uow, row, purpose, None, None, upload, actor)
            request.licence_attachment_id = attachment.id
            carried.append({"id": str(attachment.id), "label": change_rules.FILE_LABELS[purpose],
                            "filename": attachment.filename, "sha256": attachment.sha256})
        labels = {k: domain.FIELD_LABELS.get(k, k) for k in request.changes}
        uow.add_event(CHANGE_REQUESTED, {
            "change_request_id": request.id, "enterprise_id": eid, "uscc": row.uscc,
            "enterprise_name": row.name, "region_code": row.region_code, "changes": request.changes,
            "labels": labels, "reason": request.reason, "requested_by": str(actor["id"]),
            "requested_at": _now()})
        uow.flush()  # the request's id names the review case
        # The reviewer checks the change against the enterprise's scans as they stand (an
        # enterprise replaces its 营业执照 scan directly, then asks for the change).
        scans = [{"id": f["id"], "label": domain.FIELD_LABELS.get(purpose, purpose),
                  "filename": f["filename"], "sha256": f["sha256"]}
                 for purpose, f in _basic_view(uow, row)["files"].items()]
        review_cases.request(
            uow, REVIEW_REQUESTED, case_ref=f"{CHANGE_CASE_PREFIX}{request.id}",
            case_type="enterprise.change",
            lane="normal", enterprise_id=eid, enterprise_name=row.name or row.uscc,
            region_code=row.region_code, title=f"企业登记事项变更：{'、'.join(labels.values())}",
            revision=1, attachments=carried + scans, submitted_at=_now(),
            fields={k: {"label": labels[k], "value": f"{v['old'] or '（空）'} → {v['new']}"}
                    for k, v in request.changes.items()})
        repo.add_history(eid, str(actor["id"]), "basic", str(request.id), "change_requested",
                         [(k, v["old"], v["new"]) for k, v in request.changes.items()])
        uow.audit("enterprise.change_requested", actor_id=actor["id"], subject_id=eid,
                  change_request_id=request.id, fields=",".join(changes))
        view = _change_request_view(request)
        view["created_at"] = view["created_at"] or _iso(_now())
        uow.commit()
        return view


def _change_request(uow: Any, case_ref: str) -> ChangeRequest | None:
    """The change request a case is about (locked)."""
    request_id = uuid_or_not_found(case_ref[len(CHANGE_CASE_PREFIX):], "变更申请不存在")
    return uow.repo.change_request(request_id, for_update=True)


# enterprise's side of its review cases (services/common/review_cases.py)
DESK = CaseDesk("enterprise", CHANGE_CASE_PREFIX, _change_request)


def on_case_decided(deps: Deps, body: dict) -> None:
    DESK.answer(deps.begin, "case_decided", body,
                lambda uow, request, data: _settle_change(deps, uow, request, data, data.get("decision")))


def on_case_closed(deps: Deps, body: dict) -> None:
    DESK.answer(deps.begin, "case_closed", body,
                lambda uow, request, data: _settle_change(deps, uow, request, data, "withdrawn"))


def _settle_change(deps: Deps, uow: Any, request: ChangeRequest, data: dict, outcome: str | None) -> None:
    """Review's answer about a change request: approved changes apply the locked fields."""
    if request.status != domain.CHANGE_PENDING:
        return
    row = _ensure(deps, uow, request.enterprise_id)
    status = domain.change_request_outcome(outcome)
    request.status = status
    request.decision_reason = data.get("reason")
    reviewer = history_rules.decider_actor(data)
    if status == domain.CHANGE_APPROVED:
        cleaned = {k: v["new"] for k, v in request.changes.items() if k in domain.LOCKED_FIELDS}
        _apply_basic(deps, uow, row, cleaned, {}, reviewer, "change_approved")
        if request.licence_attachment_id is not None:  # the new 营业执照 becomes the record's
            licence = uow.repo.attachment(request.licence_attachment_id)
            old_id, row.business_licence_id = row.business_licence_id, request.licence_attachment_id
            _changed(uow, row, reviewer, ["basic"], "basic", str(row.id), "change_approved",
                     [("business_licence", str(old_id) if old_id else None,
                       licence.filename if licence else None)])
    uow.audit(f"enterprise.change_{status}", actor_id=None, subject_id=str(row.id),
              change_request_id=str(request.id), reason=data.get("reason"))
