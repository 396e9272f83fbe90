"""Marshmallow schemas for permits' RPC payloads, its events and the events it consumes."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from services.common import claims
from services.common.schema_errors import REQUIRED_MESSAGE

_required = {"required": REQUIRED_MESSAGE, "null": REQUIRED_MESSAGE}


class _Strict(Schema):
    class Meta:
        unknown = EXCLUDE


# ---- RPC payloads ------------------------------------------------------------------------------
class ItemSchema(_Strict):
    category = fields.String(required=True, error_messages=_required)
    grade = fields.String(required=True, error_messages=_required)


class CreateDraftSchema(_Strict):
    type_code = fields.String(required=True, error_messages=_required)
    transaction_kind = fields.String(load_default="new")
    items = fields.List(
        fields.Nested(ItemSchema),
        required=True,
        error_messages=_required,
        validate=validate.Length(min=1, error="至少选择一个申请类别及等级"),
    )
    lane = fields.String(load_default="normal")
    nature = fields.String(load_default=None, allow_none=True)
    submitter = fields.String(load_default=None, allow_none=True)
    original_licence_id = fields.String(load_default=None, allow_none=True)
    values = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=dict)
    request_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    batch_id = fields.String(load_default=None, allow_none=True)


class UpdateDraftSchema(_Strict):
    version = fields.Integer(required=True, error_messages=_required)
    values = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=None, allow_none=True)
    lane = fields.String(load_default=None, allow_none=True)
    owed_standards = fields.List(fields.String(), load_default=None, allow_none=True)


class CorrectionValuesSchema(_Strict):
    """补正 edits (page form or API): the reopened 申报表 fields and their new text."""

    values = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=120)),
        values=fields.String(validate=validate.Length(max=500)),
        required=True,
        error_messages=_required,
        validate=validate.Length(min=1, error="请填写要补正的内容"),
    )


class UploadSchema(claims.UploadSchema):
    """A claim-checked upload, or the inline form (services/common/claims.py)."""


class CreditSchema(_Strict):
    enterprise_id = fields.UUID(required=True, error_messages=_required)
    rating = fields.String(
        required=True,
        error_messages=_required,
        validate=validate.OneOf(["good", "fair", "poor"], error="信用情况应为良好、一般或较差"),
    )
    note = fields.String(load_default=None, allow_none=True)
    # 自贸区试点 membership (issue 15 item 9); None keeps what is recorded.
    free_trade_zone = fields.Boolean(load_default=None, allow_none=True)


# ---- events permits emits ---------------------------------------------------------------------
class ApplicationSubmittedData(_Strict):
    """Data of permits.application_submitted v1."""

    application_id = fields.UUID(required=True)
    enterprise_id = fields.UUID(required=True)
    number = fields.String(required=True)
    type_code = fields.String(required=True)
    transaction_kind = fields.String(required=True)
    lane = fields.String(required=True)
    case_ref = fields.String(required=True)
    revision = fields.Integer(required=True)
    submitted_at = fields.AwareDateTime(required=True)


class ApplicationStateChangedData(_Strict):
    """Data of permits.application_state_changed v1."""

    application_id = fields.UUID(required=True)
    enterprise_id = fields.UUID(required=True)
    action = fields.String(required=True)
    from_state = fields.String(required=True)
    to_state = fields.String(required=True)
    version = fields.Integer(required=True)
    at = fields.AwareDateTime(required=True)


class ApplicationDecidedData(_Strict):
    """Data of permits.application_decided v1."""

    application_id = fields.UUID(required=True)
    enterprise_id = fields.UUID(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(["approved", "rejected"]))
    reason = fields.String(required=True, allow_none=True)
    at = fields.AwareDateTime(required=True)


class LicenceItemData(_Strict):
    category = fields.String(required=True)
    grade = fields.String(required=True)


class LicenceIssuedData(_Strict):
    """Data of permits.licence_issued v1."""

    licence_id = fields.UUID(required=True)
    enterprise_id = fields.UUID(required=True)
    application_id = fields.UUID(required=True, allow_none=True)
    number = fields.String(required=True)
    type_code = fields.String(required=True)
    items = fields.List(fields.Nested(LicenceItemData), required=True)
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True)
    # the renewal window (renewal_window.event_fields); optional: absent or null, no rule
    renewal_opens = fields.Date(allow_none=True)
    renewal_closes = fields.Date(allow_none=True)


class LicenceStatusChangedData(_Strict):
    """Data of permits.licence_status_changed v1."""

    licence_id = fields.UUID(required=True)
    enterprise_id = fields.UUID(required=True)
    number = fields.String(required=True)
    type_code = fields.String(required=True)
    status = fields.String(required=True)
    valid_until = fields.Date(required=True)
    renewal_opens = fields.Date(allow_none=True)  # as in licence_issued
    renewal_closes = fields.Date(allow_none=True)


class ReviewWithdrawnData(_Strict):
    """Data of permits.review_withdrawn v1."""

    case_ref = fields.String(required=True)
    reason = fields.String(required=True)
    by = fields.String(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(["withdrawn", "terminated"]))


class RecordsChangedData(_Strict):
    enterprise_id = fields.UUID(required=True)
    records_version = fields.Integer(required=True)
    sections = fields.List(fields.String(), load_default=list)


class KeyPersonChangedData(_Strict):
    """What permits reads of personnel.key_person_changed v1 (personnel's event; permits only
    needs to know which enterprise to re-check, and why)."""

    enterprise_id = fields.UUID(required=True)
    person_id = fields.String(required=True)
    certificate_kind = fields.String(required=True)
    certificate_id = fields.String(required=True)
    change = fields.String(required=True,
                           validate=validate.OneOf(("lapsed", "cancelled", "transferred_out")))
    at = fields.AwareDateTime(required=True)


class UnmetStandardData(_Strict):
    key = fields.String(required=True)
    label = fields.String(required=True)
    required = fields.String(required=True)
    actual = fields.String(required=True)


class LicenceAtRiskData(_Strict):
    """Data of permits.licence_at_risk v1."""

    licence_id = fields.UUID(required=True)
    enterprise_id = fields.UUID(required=True)
    number = fields.String(required=True)
    type_code = fields.String(required=True)
    at_risk = fields.Boolean(required=True)
    reason = fields.String(required=True, allow_none=True)
    unmet = fields.List(fields.Nested(UnmetStandardData), required=True)
    cause = fields.String(required=True, validate=validate.OneOf(("key_person_changed",
                                                                  "records_changed")))
    change = fields.String(load_default=None, allow_none=True)
    at = fields.AwareDateTime(required=True)
