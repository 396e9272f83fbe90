"""permits' and personnel's events: licences and certificates for the agency stream and
the expiry reminders, risks, owed materials, transfers."""

from __future__ import annotations

from typing import Any

from services.notify import domain
from services.notify import events as ev
from services.notify.usecases._support import Deps, _email_of, _handle, _project_certificate, _project_licence


def on_application_submitted(deps: Deps, body: dict) -> None:
    _handle(deps, ev.APPLICATION_SUBMITTED, body, "notify.on_application_submitted",
                 lambda session, data, envelope: domain.Effects(
                     agency=[("application.submitted", data)]))


def on_application_decided(deps: Deps, body: dict) -> None:
    _handle(deps, ev.APPLICATION_DECIDED, body, "notify.on_application_decided",
                 lambda session, data, envelope: domain.Effects(
                     agency=[("application.decided", {**data, "decided_at": data["at"]})]))


def on_licence_issued(deps: Deps, body: dict) -> None:
    def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
        _project_licence(session, data)
        return domain.effects_of_licence_issued(data, _email_of(session, data["enterprise_id"]))

    _handle(deps, ev.LICENCE_ISSUED, body, "notify.on_licence_issued", react)


def on_licence_status_changed(deps: Deps, body: dict) -> None:
    def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
        _project_licence(session, data)
        return domain.effects_of_licence_status(data)

    _handle(deps, ev.LICENCE_STATUS_CHANGED, body, "notify.on_licence_status_changed", react)


def on_licence_at_risk(deps: Deps, body: dict) -> None:
    _handle(deps, ev.LICENCE_AT_RISK, body, "notify.on_licence_at_risk",
                 lambda session, data, envelope: domain.effects_of_licence_at_risk(data))


def on_materials_owed(deps: Deps, body: dict) -> None:
    _handle(deps, ev.MATERIALS_OWED, body, "notify.on_materials_owed",
                 lambda session, data, envelope: domain.effects_of_materials_owed(data))


def on_certificate_issued(deps: Deps, body: dict) -> None:
    def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
        _project_certificate(session, data, data["enterprise_id"], "active")
        return domain.Effects(agency=[("certificate.issued", data)])

    _handle(deps, ev.CERTIFICATE_ISSUED, body, "notify.on_certificate_issued", react)


def on_certificate_recorded(deps: Deps, body: dict) -> None:
    """信息补录: a certificate held before the platform gets the same expiry reminders (no agency
    event: nothing was issued)."""
    def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
        _project_certificate(session, data, data["enterprise_id"],
                                  domain.expiry_status(data.get("status") or "valid"))
        return domain.Effects()

    _handle(deps, ev.CERTIFICATE_RECORDED, body, "notify.on_certificate_recorded", react)


def on_certificate_transferred(deps: Deps, body: dict) -> None:
    def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
        _project_certificate(session, data, data["to_enterprise_id"], "active")
        return domain.Effects(agency=[("certificate.transferred", data)])

    _handle(deps, ev.CERTIFICATE_TRANSFERRED, body, "notify.on_certificate_transferred", react)


def on_certificate_cancelled(deps: Deps, body: dict) -> None:
    def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
        _project_certificate(session, data, data["enterprise_id"], "cancelled")
        return domain.Effects(agency=[("certificate.cancelled", data)])

    _handle(deps, ev.CERTIFICATE_CANCELLED, body, "notify.on_certificate_cancelled", react)


def on_transfer_requested(deps: Deps, body: dict) -> None:
    _handle(deps, ev.TRANSFER_REQUESTED, body, "notify.on_transfer_requested",
                 lambda session, data, envelope: domain.effects_of_transfer_requested(data))
