"""review's answers (the on_case_* handlers) mapped through the declaration state table, and
what an approval changes (certificate issued / changed / cancelled, with its events)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError

from services.common.errors import ServiceError
from services.common.review_cases import CaseDesk, follow, named_attachment
from services.personnel import declarations as rules
from services.personnel import records, views
from services.personnel.events import (
    CASE_REF_PREFIX,
    CERTIFICATE_CANCELLED,
    CERTIFICATE_ISSUED,
    CERTIFICATE_TRANSFERRED,
)
from services.personnel.models import Certificate, Declaration, Person
from services.personnel.usecases import _support as s
from services.personnel.usecases import transfers
from services.personnel.usecases._support import Deps, _now, _today

log = logging.getLogger(__name__)


DESK = CaseDesk("personnel", CASE_REF_PREFIX, lambda uow, case_ref: uow.repo.by_case_ref(case_ref))


def review_table(event_type: str, data: dict, state: rules.DeclarationState) -> list[tuple[str, str | None]]:
    """declarations.action_for_review_event as the kit's table (one step or none)."""
    mapped = rules.action_for_review_event(event_type, data, state)
    return [mapped] if mapped is not None else []


def answer(deps: Deps, uow: Any, decl: Declaration, event_type: str, data: dict, note: str) -> bool:
    """Apply the action review's event maps to; False when nothing is to be done."""

    def step(action: str, level: str | None) -> None:
        s.move(deps, uow, decl, action, "review", None, note=note, level=level)

    def refused(exc: ServiceError) -> None:
        # Review is the authority on the case; a state the declaration cannot follow is
        # recorded (and logged) rather than retried for ever.
        log.warning(
            "declaration %s: review's %s not applicable in %s: %s",
            decl.id,
            event_type,
            decl.status,
            exc.message,
        )
        s.history(decl, f"review_{event_type}", "review", f"未能处理：{exc.message}")

    return follow(review_table, event_type, data, views.state_of(decl), step, refused)


def on_case_accepted(deps: Deps, body: dict) -> None:
    def apply(uow: Any, decl: Declaration, data: dict) -> None:
        decl.case_id = data["case_id"]
        decl.review_step = data.get("step") or decl.review_step
        answer(deps, uow, decl, "case_accepted", data, "审核部门已受理")

    DESK.answer(deps.begin, "case_accepted", body, apply)


def on_case_step_changed(deps: Deps, body: dict) -> None:
    def apply(uow: Any, decl: Declaration, data: dict) -> None:
        decl.case_id = data["case_id"]
        decl.review_step = data.get("step_label") or data.get("step")
        if not answer(deps, uow, decl, "case_step_changed", data, f"进入{decl.review_step}"):
            s.history(decl, "step_changed", "review", f"进入{decl.review_step}")

    DESK.answer(deps.begin, "case_step_changed", body, apply)


def on_correction_requested(deps: Deps, body: dict) -> None:
    def apply(uow: Any, decl: Declaration, data: dict) -> None:
        decl.case_id = data["case_id"]
        items = labelled_items(deps, uow, decl, data["items"])
        reasons = "；".join(f"{i.get('label') or i['name']}：{i['reason']}" for i in items)
        if answer(deps, uow, decl, "correction_requested", data, f"要求补正：{reasons}"):
            decl.correction_items = items
            decl.correction_deadline = data.get("deadline")

    DESK.answer(deps.begin, "correction_requested", body, apply)


def labelled_items(deps: Deps, uow: Any, decl: Declaration, items: list[dict]) -> list[dict]:
    """Review names fields by their key and attachments by the id it was sent: each item gets
    the label the enterprise knows, and attachments their catalogue code (to re-upload)."""
    repo = uow.repo
    t = deps.types.type(decl.type_code)
    person = repo.person(decl.person_id)
    cert = repo.certificate(decl.certificate_id) if decl.certificate_id else None
    fields = records.review_fields(
        t, decl.kind, person=person, cert=cert, form=decl.form or {}, enterprise=views.enterprise_fields(decl)
    )["fields"]
    out = []
    for item in items:
        item = dict(item)
        if item.get("target") == "attachment":
            found = named_attachment(item, repo.attachment, lambda row: row.declaration_id == decl.id)
            if found is not None:
                item["code"], item["label"] = found.code, found.label
            else:
                spec = next(
                    (a for a in t.operation(decl.kind).attachments if a["code"] == item["name"]), None
                )
                item["code"], item["label"] = item["name"], spec["name"] if spec else item["name"]
        else:
            item["label"] = (fields.get(item["name"]) or {}).get("label") or records.FORM_LABELS.get(
                item["name"].removeprefix("form."), item["name"]
            )
        out.append(item)
    return out


def on_case_decided(deps: Deps, body: dict) -> None:
    def apply(uow: Any, decl: Declaration, data: dict) -> None:
        decl.case_id = data["case_id"]
        approved = data["decision"] == "approved"
        note = data.get("reason") or ("审核通过" if approved else "审核不通过")
        if answer(deps, uow, decl, "case_decided", data, note):
            decl.decided_at = _now()
            decl.decision_reason = data.get("reason")
            if approved:
                apply_approval(deps, uow, decl)
            else:
                transfers.release_transfer(deps, uow, decl, "rejected")

    DESK.answer(deps.begin, "case_decided", body, apply)


def on_case_closed(deps: Deps, body: dict) -> None:
    def apply(uow: Any, decl: Declaration, data: dict) -> None:
        outcome = data.get("outcome")
        note = "审核部门已终止办理" if outcome == "terminated" else "审核部门已确认撤回"
        if answer(deps, uow, decl, "case_closed", data, note):
            transfers.release_transfer(deps, uow, decl, "cancelled")
        else:
            s.history(decl, "case_closed", "review", "审核部门已确认撤回")

    DESK.answer(deps.begin, "case_closed", body, apply)


def apply_approval(deps: Deps, uow: Any, decl: Declaration) -> None:
    """What an approved declaration changes (declarations.approval_effects), with its events."""
    repo = uow.repo
    t = deps.types.type(decl.type_code)
    person = repo.person(decl.person_id, for_update=True)
    cert = repo.certificate(decl.certificate_id, for_update=True) if decl.certificate_id else None
    today = _today()
    before = records.record_dict(cert, person) if cert is not None else None
    effects = rules.approval_effects(
        t,
        decl.kind,
        before,
        decl.form or {},
        today,
        {"id": str(decl.enterprise_id), "name": decl.enterprise_name},
    )
    person_changes, changes = records.split_changes(effects["record"])
    for key, value in person_changes.items():
        setattr(person, key, value)
    if "enterprise_id" in changes:
        changes["enterprise_id"] = uuid.UUID(changes["enterprise_id"]) if changes["enterprise_id"] else None
    if cert is None:
        class_code = (decl.form or {}).get("class_code")
        serial = int(decl.id.int % 10**7)
        numbers = {
            k: v for k, v in records.new_number(t, class_code, today, serial).items() if not changes.get(k)
        }
        cert = Certificate(
            person_id=person.id,
            type_code=t.code,
            certificate_kind=t.kind_for_class(class_code),
            region_code=decl.region_code,
            imported=False,
            history=[],
            **numbers,
            **changes,
        )
        try:
            with uow.nested():
                repo.add(cert)
        except IntegrityError:
            log.warning("declaration %s approved but the person already holds a live %s", decl.id, t.code)
            s.history(decl, "issue_failed", "review", "该人员已持有同类有效证书，未重复发证")
            return
        decl.certificate_id = cert.id
    else:
        for key, value in changes.items():
            setattr(cert, key, value)
        if "enterprise_id" in changes:
            cert.region_code = decl.region_code
    cert.updated_at = _now()
    cert.history = [
        *(cert.history or []),
        {
            "at": _now().isoformat(),
            "action": decl.kind,
            "note": f"{t.operation(decl.kind).label}审核通过",
            "declaration_id": str(decl.id),
        },
    ]
    uow.flush()
    transfers.release_transfer(deps, uow, decl, "completed")
    uow.flush()
    certificate_events(deps, uow, decl, cert, person, before, effects["key_person_change"])
    uow.audit(
        "personnel.certificate.apply", subject_id=str(cert.id), declaration_id=str(decl.id), kind=decl.kind
    )


def certificate_events(
    deps: Deps,
    uow: Any,
    decl: Declaration,
    cert: Certificate,
    person: Person,
    before: dict | None,
    key_change: str | None,
) -> None:
    number = records.number_of(cert)
    old_holder = (before or {}).get("enterprise_id")
    if key_change == "cancelled":
        uow.add_event(
            CERTIFICATE_CANCELLED,
            {
                "certificate_id": cert.id,
                "enterprise_id": cert.enterprise_id,
                "person_id": person.id,
                "kind": cert.certificate_kind,
                "number": number,
                "reason": "cancelled",
            },
        )
        s.key_person(uow, cert.enterprise_id, person.id, cert, "cancelled")
    elif key_change == "transferred_out":
        if old_holder and cert.enterprise_id:
            uow.add_event(
                CERTIFICATE_TRANSFERRED,
                {
                    "certificate_id": cert.id,
                    "from_enterprise_id": old_holder,
                    "to_enterprise_id": cert.enterprise_id,
                    "person_id": person.id,
                    "holder_name": person.name,
                    "kind": cert.certificate_kind,
                    "number": number,
                    "valid_until": cert.valid_until,
                },
            )
        if old_holder:
            s.key_person(uow, old_holder, person.id, cert, "transferred_out")
    elif (
        decl.kind in (*rules.NEEDS_NO_RECORD, "re_registration", "reissue")
        or deps.types.type(decl.type_code).operation(decl.kind).window
    ):
        uow.add_event(
            CERTIFICATE_ISSUED,
            {
                "certificate_id": cert.id,
                "enterprise_id": cert.enterprise_id,
                "person_id": person.id,
                "holder_name": person.name,
                "kind": cert.certificate_kind,
                "type_code": cert.type_code,
                "number": number,
                "valid_until": cert.valid_until,
                "status": cert.status,
            },
        )
