"""不再审查延期's condition (issue 15 item 10): the safety records admins keep for 安全生产许可证
holders (accidents, work-safety penalties; audited) and the check that refuses the
no-re-review extension while one falls in the licence's period (services/permits/safety_records.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import select

from services.common.errors import Conflict, ValidationFailed, field_error
from services.common.schema_errors import load_or_fail
from services.permits import safety_records as rules
from services.permits.models import Licence, SafetyRecord
from services.permits.usecases._support import Deps, _iso, _now, _today, require_staff

LICENCE_TYPE = "cip_safety"


class SafetyRecordSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    licence_number = fields.String(required=True, validate=validate.Length(min=1, max=60),
                                   error_messages={"required": "请填写安全生产许可证号"})
    kind = fields.String(required=True, validate=validate.OneOf(list(rules.RECORD_KINDS),
                                                                error="请选择记录类型"))
    occurred_on = fields.Date(required=True, error_messages={"required": "请填写发生日期",
                                                            "invalid": "日期格式不正确"})
    deaths = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10000, error="死亡人数无效"))
    summary = fields.String(required=True,
                            validate=validate.Length(min=1, max=1000, error="请填写事故或处罚情况"))


def _session(uow: Any) -> Any:
    return uow.licences.session


def _view(row: SafetyRecord) -> dict[str, Any]:
    return {"id": row.id, "holder_name": row.holder_name, "licence_number": row.licence_number,
            "kind": row.kind, "kind_label": rules.RECORD_KINDS.get(row.kind, row.kind),
            "occurred_on": _iso(row.occurred_on), "deaths": row.deaths, "summary": row.summary,
            "recorded_at": _iso(row.recorded_at)}


def record(deps: Deps, actor: dict, payload: dict) -> dict:
    """An admin records an accident or a penalty against a holder's 安全生产许可证 (audited)."""
    require_staff(actor, admin=True)
    data = load_or_fail(SafetyRecordSchema(), payload)
    errors = rules.record_errors(data, _today())
    if errors:
        raise ValidationFailed.from_fields({k: [field_error("invalid", m)] for k, m in errors.items()})
    with deps.begin() as uow:
        session = _session(uow)
        licence = session.scalars(
            select(Licence).where(Licence.number == data["licence_number"].strip(),
                                  Licence.type_code == LICENCE_TYPE)
            .order_by(Licence.edition.desc()).limit(1)).first()
        if licence is None:
            raise ValidationFailed.from_fields(
                {"licence_number": [field_error("not_found", "未找到该安全生产许可证，请核对证书编号")]})
        row = SafetyRecord(enterprise_id=licence.enterprise_id, holder_name=licence.holder_name,
                           licence_number=licence.number, kind=data["kind"], occurred_on=data["occurred_on"],
                           deaths=data["deaths"] if data["kind"] == "accident" else 0,
                           summary=data["summary"].strip(), recorded_by=actor.get("id"), recorded_at=_now())
        session.add(row)
        session.flush()
        uow.audit("permits.safety_record.add", actor_id=actor.get("id"),
                  subject_id=str(licence.enterprise_id), record_id=row.id, kind=row.kind,
                  occurred_on=row.occurred_on.isoformat(), deaths=row.deaths,
                  licence_number=row.licence_number)
        uow.commit()
        return _view(row)


def listing(deps: Deps, actor: dict) -> list[dict]:
    """Every record, the latest event first (reviewers and admins)."""
    require_staff(actor)
    with deps.begin() as uow:
        rows = _session(uow).scalars(select(SafetyRecord).order_by(
            SafetyRecord.occurred_on.desc(), SafetyRecord.id.desc()).limit(500))
        return [_view(r) for r in rows]


def require_no_review_condition(uow: Any, kind: str, licence: Licence | None, today: date) -> None:
    """不再审查延期 only without a fatal accident or a work-safety penalty in the licence's period:
    a Conflict with the record's stable code and a Chinese message naming the days otherwise."""
    if kind not in rules.NO_REVIEW_KINDS or licence is None:
        return
    rows = _session(uow).scalars(
        select(SafetyRecord).where(SafetyRecord.enterprise_id == licence.enterprise_id))
    records = [rules.SafetyRecord(r.kind, r.occurred_on, r.deaths, r.summary) for r in rows]
    refusal = rules.no_review_refusal(records, licence.valid_from, today)
    if refusal is not None:
        raise Conflict(refusal.message, code=refusal.code)


def require_for_application(uow: Any, app: Any, today: date) -> None:
    """The same check at submission (a record may have been added since the draft was made)."""
    if app.transaction_kind not in rules.NO_REVIEW_KINDS:
        return
    held = (uow.licences.get(app.original_licence_id) if app.original_licence_id
            else uow.licences.live_of(app.enterprise_id, app.type_code))
    require_no_review_condition(uow, app.transaction_kind, held, today)
