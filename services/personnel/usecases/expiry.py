"""Expiry warnings and the daily sweep that marks lapsed certificates."""

from __future__ import annotations

from datetime import date, timedelta

from services.common.errors import ValidationFailed, field_error
from services.common.schema_errors import load_or_fail
from services.personnel import records, views, windows
from services.personnel.events import CERTIFICATE_CANCELLED
from services.personnel.schemas import ExpiringSchema
from services.personnel.usecases import _support as s
from services.personnel.usecases._support import Deps, _now, _today


def expiring(deps: Deps, actor: dict, query: dict | None = None) -> dict:
    q = load_or_fail(ExpiringSchema(), query or {})
    within = int(q["within_days"] or deps.settings.get("expiry_warning_days", 90))
    today = q["today"] or _today()
    eid, region = s.search_scope(deps, actor)
    with deps.begin() as uow:
        repo = uow.repo
        rows = repo.expiring(eid, region, today, today + timedelta(days=within), q.get("type_code"))
        items = []
        for found in windows.expiring(rows, today, within):
            cert = found["certificate"]
            items.append(
                {
                    **views.certificate_view(deps.types, cert, repo.person(cert.person_id), today),
                    "days_left": found["days_left"],
                }
            )
        return {"items": items, "today": today.isoformat(), "within_days": within}


def run_expiry_sweep(deps: Deps, today: str | None = None) -> dict:
    """Mark lapsed certificates as on ``today`` (YYYY-MM-DD; default: the Beijing date)."""
    try:
        day = date.fromisoformat(today) if today else _today()
    except ValueError as exc:
        raise ValidationFailed.from_fields(
            {"today": [field_error("invalid", "日期格式应为 YYYY-MM-DD")]}
        ) from exc
    return sweep(deps, day)


def sweep(deps: Deps, today: date) -> dict:
    lapsed = 0
    with deps.begin() as uow:
        repo = uow.repo
        for cert in repo.live_until(today):
            t = deps.types.types.get(cert.type_code)
            if t is None or windows.validity_status(cert.valid_until, today, t.renewal_rule()) != "lapsed":
                continue
            cert.status = "lapsed"
            cert.updated_at = _now()
            cert.history = [
                *(cert.history or []),
                {"at": _now().isoformat(), "action": "lapse", "note": "超过延续期限，证书失效"},
            ]
            if cert.enterprise_id:
                uow.add_event(
                    CERTIFICATE_CANCELLED,
                    {
                        "certificate_id": cert.id,
                        "enterprise_id": cert.enterprise_id,
                        "person_id": cert.person_id,
                        "kind": cert.certificate_kind,
                        "number": records.number_of(cert),
                        "reason": "lapsed",
                    },
                )
                s.key_person(uow, cert.enterprise_id, cert.person_id, cert, "lapsed")
            uow.audit("personnel.certificate.lapse", subject_id=str(cert.id))
            lapsed += 1
        uow.commit()
    return {"lapsed": lapsed, "today": today.isoformat()}
