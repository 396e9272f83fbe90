"""The platform's own re-check after an enterprise's records changed or a key person's
certificate lapsed (services/permits/recheck.py argues the rule: never the application's
version, queued per enterprise, coalesced, monotonic by records version)."""

from __future__ import annotations

import logging
from typing import Any

from services.common.errors import uuid_or_not_found
from services.permits import lifecycle, recheck, risk
from services.permits.events import (
    APPLICATION_STATE_CHANGED,
    KEY_PERSON_CHANGED,
    LICENCE_AT_RISK,
    RECORDS_CHANGED,
)
from services.permits.models import Application, Licence
from services.permits.usecases._support import Deps, _now, _today
from services.permits.usecases.prechecks import evaluate

log = logging.getLogger(__name__)


def on_records_changed(deps: Deps, body: dict) -> None:
    """Re-check the enterprise's draft-phase applications and valid licences against its
    fresh records, without ever bumping an application's version."""
    envelope = RECORDS_CHANGED.parse(body)
    data = envelope["data"]
    recheck_enterprise(
        deps,
        (envelope["id"], "permits.on_records_changed"),
        data["enterprise_id"],
        "records_changed",
        event_version=data.get("records_version"),
    )


def on_key_person_changed(deps: Deps, body: dict) -> None:
    """A key person's certificate lapsed, was cancelled or moved away (personnel): re-check
    the enterprise's valid licences against fresh records and flag those now at risk."""
    envelope = KEY_PERSON_CHANGED.parse(body)
    data = envelope["data"]
    recheck_enterprise(
        deps,
        (envelope["id"], "permits.on_key_person_changed"),
        data["enterprise_id"],
        "key_person_changed",
        change=data["change"],
        applications=False,
    )


def recheck_enterprise(
    deps: Deps,
    claim: tuple[str, str],
    enterprise_id: object,
    cause: str,
    *,
    event_version: int | None = None,
    change: str | None = None,
    applications: bool = True,
) -> None:
    """One re-check of an enterprise, its records fetched before anything is locked (never
    an RPC under a row lock): a look without locks skips an enterprise with nothing to
    re-check and a records change an earlier re-check already covered; then the records are
    fetched; then the enterprise's re-check row is locked (re-checks of one enterprise queue
    up there) and compared: records older than those a re-check already judged are dropped;
    then the licences and applications are locked and written (applications through
    recheck.plan, never their version)."""
    eid = uuid_or_not_found(enterprise_id, "企业不存在")
    with deps.begin() as uow:
        idle = not uow.licences.valid_of(eid, lock=False) and not (
            applications and uow.apps.of_enterprise(eid, lifecycle.DRAFT_STATES, limit=1)
        )
        covered = not idle and recheck.event_covered(uow.apps.recheck_version(eid), event_version)
        if idle or covered:  # no records RPC, no marker row
            if covered:
                log.debug("records_changed %s of %s already covered", event_version, eid)
            if uow.claim_event(*claim):
                uow.commit()
            return
    records = deps.records(eid)
    fresh = records.get("records_version")
    with deps.begin() as uow:
        if not uow.claim_event(*claim):
            return
        marker = uow.apps.lock_recheck(eid)
        judged = marker.records_version
        older = applications and fresh is not None and judged is not None and fresh < judged
        if recheck.event_covered(judged, event_version) or older:
            # another re-check judged these records (or newer ones) while these were fetched
            log.debug("re-check of %s on records %s: records %s already judged", eid, fresh, judged)
            uow.commit()
            return
        valid = uow.licences.valid_of(eid)
        if valid:
            recheck_licences(deps, uow, valid, records, cause, change)
        if applications:  # licences only: the marker speaks for applications too
            for app in uow.apps.of_enterprise(eid, lifecycle.DRAFT_STATES, lock=True):
                recheck_application(deps, uow, app, records)
            if fresh is not None and fresh > (marker.records_version or 0):
                marker.records_version = fresh
            marker.rechecked_at = _now()
        uow.commit()


def recheck_application(deps: Deps, uow: Any, app: Application, records: dict) -> None:
    """Store the pre-check on newer records and move the application back when
    lifecycle.after_records_changed says so; history, event and audit as before."""
    now = _now()
    write = recheck.plan(
        app.state,
        app.precheck_records_version,
        records.get("records_version"),
        evaluate(deps, app, records),
        now,
    )
    if write is None:
        return
    uow.apps.write_recheck(app, write.columns)
    if not write.moved:
        return
    summary = write.columns["precheck"].get("summary") or ""
    uow.apps.add_history(
        app, "records_changed", write.from_state, write.to_state, None, f"企业信息已变更，重新预审：{summary}"
    )
    uow.add_event(
        APPLICATION_STATE_CHANGED,
        {
            "application_id": app.id,
            "enterprise_id": app.enterprise_id,
            "action": "records_changed",
            "from_state": write.from_state,
            "to_state": write.to_state,
            "version": app.version,
            "at": now,
        },
    )
    uow.audit(
        "permits.application.records_changed",
        subject_id=str(app.id),
        old=write.from_state,
        new=write.to_state,
    )


def recheck_licences(
    deps: Deps, uow: Any, valid: list[Licence], records: dict, cause: str, change: str | None = None
) -> None:
    """Set (or clear) ``at_risk`` of each licence whose outcome changed; one
    licence_at_risk event per change, none when the outcome is what is stored."""
    today = _today()
    for lic in valid:
        outcome = risk.licence_risk(deps.catalogue.type(lic.type_code), lic.items or [], records, today)
        if not risk.changed(lic.at_risk, outcome):
            continue
        old, lic.at_risk = lic.at_risk, outcome.reason
        uow.add_event(
            LICENCE_AT_RISK,
            {
                "licence_id": lic.id,
                "enterprise_id": lic.enterprise_id,
                "number": lic.number,
                "type_code": lic.type_code,
                "at_risk": outcome.at_risk,
                "reason": outcome.reason,
                "unmet": list(outcome.unmet),
                "cause": cause,
                "change": change,
                "at": _now(),
            },
        )
        uow.audit(
            "permits.licence.at_risk" if outcome.at_risk else "permits.licence.at_risk_cleared",
            subject_id=str(lic.id),
            cause=cause,
            change=change,
            old=old,
            new=outcome.reason,
        )
        log.info(
            "licence %s %s after %s", lic.number, "at risk" if outcome.at_risk else "no longer at risk", cause
        )
