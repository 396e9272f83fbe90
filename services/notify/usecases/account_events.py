"""identity's and enterprise's events: account notices and mails, registration step 2,
records changes and change requests (the agency stream)."""

from __future__ import annotations

from typing import Any

from services.common.contracts.identity import (
    ACCOUNT_STATUS_CHANGED,
    EMAIL_VERIFICATION_REQUESTED,
    ENTERPRISE_ACCOUNT_REGISTERED,
    PASSWORD_RESET_REQUESTED,
)
from services.notify import domain
from services.notify import events as ev
from services.notify.repository import ProjectionRepository
from services.notify.usecases._support import Deps, _handle, _record_notice, log


def on_enterprise_account_registered(deps: Deps, body: dict) -> None:
    envelope = ENTERPRISE_ACCOUNT_REGISTERED.parse(body)
    data = ENTERPRISE_ACCOUNT_REGISTERED.schema().dump(envelope["data"])
    _record_notice(deps, envelope["id"], "notify.on_enterprise_account_registered",
                        domain.notice_for_account_registered(data), data,
                        project=lambda s: ProjectionRepository(s).upsert_enterprise(
                            data["account_id"], uscc=data["uscc"], email=data["email"],
                            contact_name=data["contact_name"]))


def on_email_verification_requested(deps: Deps, body: dict) -> None:
    envelope = EMAIL_VERIFICATION_REQUESTED.parse(body)
    data = EMAIL_VERIFICATION_REQUESTED.schema().dump(envelope["data"])
    _record_notice(deps, envelope["id"], "notify.on_email_verification_requested",
                        domain.notice_for_verification_link(data), data)


def on_password_reset_requested(deps: Deps, body: dict) -> None:
    envelope = PASSWORD_RESET_REQUESTED.parse(body)
    data = PASSWORD_RESET_REQUESTED.schema().dump(envelope["data"])
    _record_notice(deps, envelope["id"], "notify.on_password_reset_requested",
                        domain.notice_for_password_reset(data), data)


def on_account_status_changed(deps: Deps, body: dict) -> None:
    def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
        data = ACCOUNT_STATUS_CHANGED.schema().dump(data)
        effects = domain.Effects()
        notice = domain.notice_for_status_change(data)
        if notice is None:
            return effects
        effects.notes.append(domain.Note(domain.Recipient(account_id=notice.recipient_id),
                                         notice.title, notice.body, notice.link))
        if data["kind"] != "enterprise":
            return effects
        enterprise = ProjectionRepository(session).enterprise(data["account_id"])
        if data["status"] in ("active", "rejected") and enterprise is not None and enterprise.email:
            effects.mails.append(domain.MailOut(
                enterprise.email, notice.title, "registration_decided.txt",
                {"contact_name": enterprise.contact_name, "body": notice.body}))
        if data["status"] == "active" and enterprise is not None and enterprise.registered_at is None:
            if enterprise.uscc:
                enterprise.registered_at = envelope["occurred_at"]
                effects.agency.append(("enterprise.registered", {
                    "enterprise_id": data["account_id"], "uscc": enterprise.uscc,
                    "name": enterprise.name, "region_code": enterprise.region_code}))
            else:
                log.warning("enterprise %s approved but its USCC is unknown to notify: not forwarded",
                            data["account_id"])
        return effects

    _handle(deps, ACCOUNT_STATUS_CHANGED, body, "notify.on_account_status_changed", react)


def on_registration_profile_submitted(deps: Deps, body: dict) -> None:
    def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
        ProjectionRepository(session).upsert_enterprise(
            str(data["enterprise_id"]), uscc=data["uscc"], name=data["name"],
            region_code=data.get("region_code"))
        return domain.effects_of_profile_submitted(data)

    _handle(deps, ev.REGISTRATION_PROFILE_SUBMITTED, body, "notify.on_registration_profile_submitted",
                 react)


def on_records_changed(deps: Deps, body: dict) -> None:
    def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
        enterprise = ProjectionRepository(session).enterprise(str(data["enterprise_id"]))
        return domain.Effects(agency=[("enterprise.changed", {
            **data, "uscc": enterprise.uscc if enterprise else None,
            "name": enterprise.name if enterprise else None})])

    _handle(deps, ev.RECORDS_CHANGED, body, "notify.on_records_changed", react)


def on_change_requested(deps: Deps, body: dict) -> None:
    _handle(deps, ev.CHANGE_REQUESTED, body, "notify.on_change_requested",
                 lambda session, data, envelope: domain.effects_of_change_requested(data))
