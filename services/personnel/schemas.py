"""Marshmallow schemas for personnel's RPC payloads, the events it emits and those it consumes."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from services.common import claims
from services.common.schema_errors import REQUIRED_MESSAGE

_required = {"required": REQUIRED_MESSAGE, "null": REQUIRED_MESSAGE}


class _Strict(Schema):
    class Meta:
        unknown = EXCLUDE


# ---- RPC payloads ------------------------------------------------------------------------------
class UploadSchema(claims.UploadSchema):
    """A claim-checked upload, or the inline form (services/common/claims.py)."""


class NewDeclarationSchema(_Strict):
    type_code = fields.String(required=True, error_messages=_required)
    kind = fields.String(required=True, error_messages=_required)
    person_id = fields.String(load_default=None, allow_none=True)
    person = fields.Dict(load_default=None, allow_none=True)
    certificate_id = fields.String(load_default=None, allow_none=True)
    form = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), load_default=dict)


class UpdateDeclarationSchema(_Strict):
    form = fields.Dict(
        keys=fields.String(), values=fields.Raw(allow_none=True), required=True, error_messages=_required
    )
    expected_version = fields.Integer(load_default=None, allow_none=True)


class IdsSchema(_Strict):
    ids = fields.List(
        fields.String(),
        required=True,
        error_messages=_required,
        validate=validate.Length(min=1, max=200, error="请选择1-200条申报"),
    )
    reason = fields.String(load_default="")


class ListDeclarationsSchema(_Strict):
    reported = fields.Boolean(load_default=None, allow_none=True)
    batch = fields.Boolean(load_default=None, allow_none=True)
    batch_id = fields.String(load_default=None, allow_none=True)
    type_code = fields.String(load_default=None, allow_none=True)
    kind = fields.String(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True)
    q = fields.String(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True)


class BatchSchema(_Strict):
    title = fields.String(
        required=True,
        error_messages=_required,
        validate=validate.Length(min=1, max=100, error="批次名称为1-100个字"),
    )
    declaration_ids = fields.List(fields.String(), load_default=list)


class ScopeSchema(_Strict):
    """Which declarations a commitment letter / a report is about: ids or a batch."""

    declaration_ids = fields.List(fields.String(), load_default=None, allow_none=True)
    batch_id = fields.String(load_default=None, allow_none=True)


class ReportSchema(ScopeSchema):
    commitment_token = fields.String(load_default=None, allow_none=True)
    confirmed = fields.Boolean(load_default=False)
    form_key = fields.String(required=True, error_messages=_required, validate=validate.Length(min=1, max=64))


class CertificateRecordSchema(_Strict):
    type_code = fields.String(required=True, error_messages=_required)
    class_code = fields.String(load_default=None, allow_none=True)
    registration_number = fields.String(load_default=None, allow_none=True)
    qualification_number = fields.String(load_default=None, allow_none=True)
    certificate_number = fields.String(load_default=None, allow_none=True)
    specialties = fields.List(fields.String(), load_default=list)
    issued_on = fields.Date(load_default=None, allow_none=True)
    valid_until = fields.Date(required=True, error_messages=_required)
    expected_version = fields.Integer(load_default=None, allow_none=True)


class ExamPassSchema(_Strict):
    id_number = fields.String(required=True, error_messages=_required)
    specialty = fields.String(required=True, error_messages=_required)
    certificate_number = fields.String(required=True, error_messages=_required)
    name = fields.String(load_default=None, allow_none=True)
    passed_on = fields.Date(load_default=None, allow_none=True)


class ExamPassesSchema(_Strict):
    passes = fields.List(fields.Nested(ExamPassSchema), required=True, error_messages=_required)


class PeopleQuerySchema(_Strict):
    q = fields.String(load_default=None, allow_none=True)
    type_code = fields.String(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=50, allow_none=True, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True)


class ExpiringSchema(_Strict):
    within_days = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=3660))
    today = fields.Date(load_default=None, allow_none=True)
    type_code = fields.String(load_default=None, allow_none=True)


class AnomalySchema(_Strict):
    enterprise_id = fields.String(required=True, error_messages=_required)
    person_id = fields.String(required=True, error_messages=_required)
    kind = fields.String(required=True, error_messages=_required)
    detail = fields.String(load_default=None, allow_none=True)  # required by the domain rule
    deadline = fields.Date(load_default=None, allow_none=True)


class SearchSchema(_Strict):
    name = fields.String(load_default=None, allow_none=True)
    id_number = fields.String(load_default=None, allow_none=True)
    type_code = fields.String(load_default=None, allow_none=True)
    certificate_kind = fields.String(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True)
    enterprise_name = fields.String(load_default=None, allow_none=True)
    specialty = fields.String(load_default=None, allow_none=True)
    valid_until_before = fields.Date(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=5000))
    cursor = fields.String(load_default=None, allow_none=True)


# ---- events personnel emits -----------------------------------------------------------------------
class DeclarationStatusChangedData(_Strict):
    """Data of personnel.declaration_status_changed v1."""

    declaration_id = fields.UUID(required=True)
    enterprise_id = fields.UUID(required=True)
    person_id = fields.UUID(required=True)
    type_code = fields.String(required=True)
    kind = fields.String(required=True)
    from_status = fields.String(required=True)
    to_status = fields.String(required=True)
    at = fields.AwareDateTime(required=True)


class CertificateIssuedData(_Strict):
    """Data of personnel.certificate_issued v1 (notify: expiry reminders, agency)."""

    certificate_id = fields.UUID(required=True)
    enterprise_id = fields.UUID(required=True)
    person_id = fields.UUID(required=True)
    holder_name = fields.String(required=True)
    kind = fields.String(required=True)
    type_code = fields.String(required=True)
    number = fields.String(required=True)
    valid_until = fields.Date(required=True, allow_none=True)
    status = fields.String(required=True)


class CertificateRecordedData(CertificateIssuedData):
    """Data of personnel.certificate_recorded v1: a certificate the enterprise already held was
    recorded (信息补录) or its record corrected; notify keeps its expiry reminders from it."""


class CertificateTransferredData(_Strict):
    """Data of personnel.certificate_transferred v1."""

    certificate_id = fields.UUID(required=True)
    from_enterprise_id = fields.UUID(required=True)
    to_enterprise_id = fields.UUID(required=True)
    person_id = fields.UUID(required=True)
    holder_name = fields.String(required=True)
    kind = fields.String(required=True)
    number = fields.String(required=True)
    valid_until = fields.Date(required=True, allow_none=True)


class CertificateCancelledData(_Strict):
    """Data of personnel.certificate_cancelled v1 (cancelled, or lapsed by the expiry sweep)."""

    certificate_id = fields.UUID(required=True)
    enterprise_id = fields.UUID(required=True)
    person_id = fields.UUID(required=True)
    kind = fields.String(required=True)
    number = fields.String(required=True)
    reason = fields.String(required=True)


class TransferRequestedData(_Strict):
    """Data of personnel.transfer_requested v1 (notify: to-do for the enterprise that decides)."""

    transfer_id = fields.UUID(required=True)
    certificate_id = fields.UUID(required=True)
    holder_name = fields.String(required=True)
    from_enterprise_id = fields.UUID(required=True)
    to_enterprise_id = fields.UUID(required=True)
    awaiting_enterprise_id = fields.UUID(required=True)  # the enterprise whose decision is due


class KeyPersonChangedData(_Strict):
    """Data of personnel.key_person_changed v1 (permits re-runs its pre-checks)."""

    enterprise_id = fields.UUID(required=True)
    person_id = fields.UUID(required=True)
    certificate_kind = fields.String(required=True)
    certificate_id = fields.UUID(required=True)
    change = fields.String(required=True, validate=validate.OneOf(["lapsed", "cancelled", "transferred_out"]))
    at = fields.AwareDateTime(required=True)


class ReviewWithdrawnData(_Strict):
    """Data of personnel.review_withdrawn v1."""

    case_ref = fields.String(required=True)
    reason = fields.String(required=True)
    by = fields.String(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(["withdrawn", "terminated"]))


# ---- write RPCs that took the payload as it came (issue 14 item 4) --------------------------------
class _Text(fields.Field):
    """A short text: a string, or a number written as one (a mobile number sent as 13800000000);
    a list, object or boolean is a field error, not a crash further down."""

    default_error_messages = {"invalid": "应为文字"}

    def _deserialize(self, value: object, attr: str | None, data: object, **kwargs: object) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.make_error("invalid")
        return str(value)


def _text(**kwargs: object) -> _Text:
    return _Text(allow_none=True, **kwargs)  # type: ignore[arg-type]


class UpdatePersonSchema(_Strict):
    """update_person: only the fields sent change (absent ones keep the person's value)."""

    name = _text()
    gender = _text()
    id_type = _text()
    id_number = _text()
    birth_date = _text()
    education = _text()
    title = _text()
    title_level = _text()
    mobile = _text()
    email = _text()
    ethnicity = _text()


class TransferOutSchema(_Strict):
    certificate_id = _text(load_default=None)
    to_uscc = _text(load_default=None)


class RequestTransferSchema(TransferOutSchema):
    direction = _text(load_default="")


class CorrectQualificationSchema(_Strict):
    qualification_number = _text(load_default=None)
    copy = fields.Dict(load_default=None, allow_none=True, error_messages={"invalid": "应为上传的文件"})


class WithdrawalDecisionSchema(_Strict):
    agree = fields.Boolean(load_default=False, allow_none=True, error_messages={"invalid": "应为是或否"})
    reason = _text(load_default="")


class AppealAnswerSchema(_Strict):
    explanation = _text(load_default=None)
    evidence = fields.List(
        fields.Dict(error_messages={"invalid": "应为上传的文件"}),
        load_default=list,
        allow_none=True,
        error_messages={"invalid": "应为文件列表"},
    )


class AppealCloseSchema(_Strict):
    outcome = _text(load_default="")
    opinion = _text(load_default=None)


class ReRegistrationLookupSchema(_Strict):
    id_number = _text(load_default=None)
    name = _text(load_default=None)
    type_code = _text(load_default=None)
