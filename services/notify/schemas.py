"""Marshmallow schemas: notify's RPC payloads and results, and its views of others' events."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate


class MessageSchema(Schema):
    id = fields.UUID()
    title = fields.String()
    body = fields.String()
    link = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)


# ---- consumer-side views of other services' events (tolerant: unknown = EXCLUDE) -------------
# notify reads only what it needs; the producers' own schemas may carry more.
class _Tolerant(Schema):
    class Meta:
        unknown = EXCLUDE


class ProfileSubmittedView(_Tolerant):
    """enterprise.registration_profile_submitted v1"""

    enterprise_id = fields.UUID(required=True)
    uscc = fields.String(required=True)
    name = fields.String(required=True)
    region_code = fields.String(load_default=None, allow_none=True)
    submitted_at = fields.AwareDateTime(required=True)


class RecordsChangedView(_Tolerant):
    """enterprise.records_changed v1"""

    enterprise_id = fields.UUID(required=True)
    records_version = fields.Integer(required=True)
    sections = fields.List(fields.String(), required=True)


class ChangeRequestedView(_Tolerant):
    """enterprise.change_requested v1"""

    change_request_id = fields.UUID(required=True)
    enterprise_id = fields.UUID(required=True)
    uscc = fields.String(required=True)
    enterprise_name = fields.String(load_default=None, allow_none=True)
    region_code = fields.String(load_default=None, allow_none=True)
    changes = fields.Dict(keys=fields.String(), required=True)
    labels = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    requested_at = fields.AwareDateTime(required=True)


class ReviewRequestedView(_Tolerant):
    """<producer>.review_requested v1"""

    case_ref = fields.String(required=True)
    case_type = fields.String(required=True)
    enterprise_id = fields.String(required=True)
    enterprise_name = fields.String(load_default=None, allow_none=True)
    title = fields.String(required=True)
    revision = fields.Integer(load_default=1)
    # Only the labels are read: {name: {label, value}} and [{id, label, …}].
    form_fields = fields.Dict(data_key="fields", keys=fields.String(), values=fields.Raw(),
                              load_default=dict)
    attachments = fields.List(fields.Dict(), load_default=list)


class _CaseView(_Tolerant):
    case_ref = fields.String(required=True)
    case_id = fields.UUID(required=True)
    enterprise_id = fields.String(required=True)
    at = fields.AwareDateTime(required=True)


class CaseStepChangedView(_CaseView):
    """review.case_step_changed v1 (and case_accepted v1: step only)"""

    step = fields.String(required=True)
    step_label = fields.String(load_default=None, allow_none=True)
    level = fields.String(load_default=None, allow_none=True)
    region_code = fields.String(load_default=None, allow_none=True)


class CaseAcceptedView(_CaseView):
    """review.case_accepted v1: by a reviewer, or deemed by law (and from which day)."""

    step = fields.String(required=True)
    deemed = fields.Boolean(load_default=False)
    accepted_from = fields.String(load_default=None, allow_none=True)


class CorrectionItemView(_Tolerant):
    target = fields.String(load_default="field")
    name = fields.String(required=True)
    reason = fields.String(required=True)


class CorrectionRequestedView(_CaseView):
    """review.correction_requested v1"""

    items = fields.List(fields.Nested(CorrectionItemView), required=True)
    deadline = fields.Date(load_default=None, allow_none=True)


class CaseDecidedView(_CaseView):
    """review.case_decided v1"""

    decision = fields.String(required=True, validate=validate.OneOf(["approved", "rejected"]))
    reason = fields.String(load_default=None, allow_none=True)
    decided_by = fields.String(load_default=None, allow_none=True)


class CaseClosedView(_CaseView):
    """review.case_closed v1"""

    outcome = fields.String(required=True)


class CaseOverdueView(_CaseView):
    """review.case_overdue v1"""

    level = fields.String(required=True)
    desk_region = fields.String(required=True)
    due_date = fields.Date(required=True)


class SelfInspectionStartedView(_Tolerant):
    """review.self_inspection_started v1"""

    campaign_id = fields.UUID(required=True)
    target_id = fields.UUID(required=True)
    enterprise_id = fields.String(required=True)
    title = fields.String(required=True)
    deadline = fields.Date(required=True)


# ---- expected from permits and personnel (docs/contracts.md "Notify's expectations") --------
class ApplicationSubmittedView(_Tolerant):
    """permits.application_submitted v1 (expected)"""

    application_id = fields.UUID(required=True)
    enterprise_id = fields.UUID(required=True)
    type_code = fields.String(required=True)
    case_ref = fields.String(load_default=None, allow_none=True)
    submitted_at = fields.AwareDateTime(required=True)


class ApplicationDecidedView(_Tolerant):
    """permits.application_decided v1 (expected)"""

    application_id = fields.UUID(required=True)
    enterprise_id = fields.UUID(required=True)
    type_code = fields.String(load_default=None, allow_none=True)
    decision = fields.String(required=True, validate=validate.OneOf(["approved", "rejected"]))
    at = fields.AwareDateTime(required=True)


class LicenceView(_Tolerant):
    """permits.licence_issued v1 and permits.licence_status_changed v1 (expected)"""

    licence_id = fields.UUID(required=True)
    enterprise_id = fields.UUID(required=True)
    number = fields.String(required=True)
    type_code = fields.String(required=True)
    # valid (issued), suspended, revoked, replaced, cancelled; licence_issued carries none: valid
    status = fields.String(load_default="valid")
    valid_until = fields.Date(required=True, allow_none=True)
    # the type's renewal window (optional; absent or null: the default 90 / 30 days before expiry)
    renewal_opens = fields.Date(load_default=None, allow_none=True)
    renewal_closes = fields.Date(load_default=None, allow_none=True)


class LicenceAtRiskView(_Tolerant):
    """permits.licence_at_risk v1"""

    licence_id = fields.UUID(required=True)
    enterprise_id = fields.UUID(required=True)
    number = fields.String(required=True)
    at_risk = fields.Boolean(required=True)
    reason = fields.String(load_default=None, allow_none=True)


class OwedItemView(_Tolerant):
    name = fields.String(required=True)


class MaterialsOwedView(_Tolerant):
    """permits.materials_owed v1 (expected): 容缺受理, materials to hand in by due_date"""

    application_id = fields.UUID(required=True)
    enterprise_id = fields.UUID(required=True)
    case_ref = fields.String(load_default=None, allow_none=True)
    items = fields.List(fields.Nested(OwedItemView), required=True)
    due_date = fields.Date(required=True)


class CertificateView(_Tolerant):
    """personnel.certificate_issued v1 and personnel.certificate_cancelled v1 (expected)"""

    certificate_id = fields.UUID(required=True)
    enterprise_id = fields.UUID(required=True)
    holder_name = fields.String(load_default=None, allow_none=True)
    kind = fields.String(required=True)
    number = fields.String(required=True)
    valid_until = fields.Date(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True)


class CertificateTransferredView(_Tolerant):
    """personnel.certificate_transferred v1 (expected)"""

    certificate_id = fields.UUID(required=True)
    from_enterprise_id = fields.UUID(required=True)
    to_enterprise_id = fields.UUID(required=True)
    kind = fields.String(required=True)
    number = fields.String(required=True)
    valid_until = fields.Date(load_default=None, allow_none=True)


class TransferRequestedView(_Tolerant):
    """personnel.transfer_requested v1 (expected)"""

    transfer_id = fields.UUID(required=True)
    certificate_id = fields.UUID(required=True)
    holder_name = fields.String(required=True)
    from_enterprise_id = fields.UUID(required=True)
    to_enterprise_id = fields.UUID(required=True)
    # Who decides: the new employer for a CIP 调出 (it accepts), the consenting one for TSA.
    awaiting_enterprise_id = fields.UUID(load_default=None, allow_none=True)


# ---- RPC payloads and results -----------------------------------------------------------------
class TodoSchema(Schema):
    id = fields.UUID()
    kind = fields.String()
    subject_ref = fields.String()
    title = fields.String()
    body = fields.String()
    link = fields.String()
    due_date = fields.Date(allow_none=True)
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)
    done_at = fields.AwareDateTime(allow_none=True)
    done_reason = fields.String(allow_none=True)


class QrRequestSchema(_Tolerant):
    mode = fields.String(required=True, validate=validate.OneOf(["case", "visit"]))
    case_ref = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    business_type = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=80))
    reviewer_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class RatingTokenSchema(Schema):
    token = fields.String()
    mode = fields.String()
    case_ref = fields.String(allow_none=True)
    business_type = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    reviewer_name = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


class RatingSchema(Schema):
    id = fields.UUID()
    mode = fields.String()
    case_ref = fields.String(allow_none=True)
    business_type = fields.String(allow_none=True)
    reviewer_id = fields.String(allow_none=True)
    reviewer_name = fields.String(allow_none=True)
    score = fields.Integer()
    reasons = fields.List(fields.String())
    comment = fields.String()
    mobile = fields.Method("masked_mobile")
    case_decided_at = fields.AwareDateTime(allow_none=True)
    rated_at = fields.AwareDateTime()

    def masked_mobile(self, rating: object) -> str:
        mobile = getattr(rating, "mobile", "") or ""
        return mobile[:3] + "****" + mobile[-4:] if len(mobile) == 11 else mobile
