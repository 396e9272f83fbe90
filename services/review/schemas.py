"""Marshmallow schemas for review's events and RPC payloads (docs/contracts.md "Review cases")."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from services.common import claims
from services.common.schema_errors import REQUIRED_MESSAGE

_required = {"required": REQUIRED_MESSAGE, "null": REQUIRED_MESSAGE}
CASE_REF = validate.Regexp(r"^[a-z][a-z0-9_]*:[a-z0-9_.-]+:[A-Za-z0-9_.:-]+$")
REGION = validate.Regexp(r"^\d{6}$")


class _Loose(Schema):
    class Meta:
        unknown = EXCLUDE


# ---- producer → review ------------------------------------------------------------------------
class FieldValue(_Loose):
    label = fields.String(required=True)
    value = fields.Raw(allow_none=True, load_default=None)


class AttachmentRef(_Loose):
    id = fields.String(required=True)
    label = fields.String(required=True)
    filename = fields.String(required=True)
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))


class OwedItem(_Loose):
    """容缺受理: one owed material or standard and its deadline (producer's review_requested)."""

    code = fields.String(load_default="")
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    deadline = fields.Date(load_default=None, allow_none=True)


class ReviewRequestedData(_Loose):
    """Data of <producer>.review_requested v1."""

    case_ref = fields.String(required=True, validate=CASE_REF)
    case_type = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_.]*$"))
    lane = fields.String(load_default="standard", dump_default="standard")
    enterprise_id = fields.String(required=True)
    enterprise_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    region_code = fields.String(required=True, validate=REGION)
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    revision = fields.Integer(required=True, validate=validate.Range(min=1))
    # The producer's own statutory limit for this case and lane (permits' catalogue); else ours.
    time_limit_days = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))
    fields_ = fields.Dict(keys=fields.String(), values=fields.Nested(FieldValue), required=True,
                          data_key="fields", attribute="fields")
    attachments = fields.List(fields.Nested(AttachmentRef), load_default=list)
    submitted_at = fields.AwareDateTime(required=True)
    owed = fields.List(fields.Nested(OwedItem), load_default=list)


class ReviewWithdrawnData(_Loose):
    """Data of <producer>.review_withdrawn v1."""

    case_ref = fields.String(required=True, validate=CASE_REF)
    reason = fields.String(load_default="")
    by = fields.String(load_default="")
    outcome = fields.String(load_default="withdrawn", validate=validate.OneOf(["withdrawn", "terminated"]))


# ---- review → producers (review.events) ------------------------------------------------------------
class _CaseEvent(_Loose):
    case_ref = fields.String(required=True)
    case_id = fields.UUID(required=True)
    enterprise_id = fields.String(required=True)
    at = fields.AwareDateTime(required=True)


class CaseAcceptedData(_CaseEvent):
    step = fields.String(required=True)
    # True: nobody accepted it within 5 working days of receipt (行政许可法 第三十二条)
    deemed = fields.Boolean(load_default=False)
    accepted_from = fields.Date(load_default=None, allow_none=True)  # receipt day when deemed


class CaseStepChangedData(_CaseEvent):
    step = fields.String(required=True)
    step_label = fields.String(required=True)
    level = fields.String(required=True)
    region_code = fields.String(required=True)


class CorrectionItem(_Loose):
    target = fields.String(required=True, validate=validate.OneOf(["field", "attachment"]),
                           error_messages=_required)
    name = fields.String(required=True, error_messages=_required)
    reason = fields.String(required=True, error_messages=_required)


class CorrectionRequestedData(_CaseEvent):
    items = fields.List(fields.Nested(CorrectionItem), required=True)
    deadline = fields.Date(required=True, allow_none=True)
    revision = fields.Integer(required=True)


class CaseDecidedData(_CaseEvent):
    decision = fields.String(required=True, validate=validate.OneOf(["approved", "rejected"]))
    reason = fields.String(required=True, allow_none=True)
    decided_by = fields.String(required=True)
    # who decided, for the producers' records (e.g. enterprise's 变更记录 操作人)
    decided_by_id = fields.String(load_default=None, allow_none=True)
    decided_level = fields.String(load_default=None, allow_none=True)
    decided_desk_region = fields.String(load_default=None, allow_none=True)


class CaseClosedData(_CaseEvent):
    outcome = fields.String(required=True, validate=validate.OneOf(["withdrawn", "terminated"]))


class RectificationItem(_Loose):
    name = fields.String(required=True, error_messages=_required)
    requirement = fields.String(required=True, error_messages=_required)


class RectificationRequestedData(_CaseEvent):
    rectification_id = fields.Integer(required=True)
    items = fields.List(fields.Nested(RectificationItem), required=True)
    deadline = fields.Date(required=True)


class CaseOverdueData(_CaseEvent):
    level = fields.String(required=True)
    desk_region = fields.String(required=True)
    due_date = fields.Date(required=True)
    claimed_by = fields.String(required=True, allow_none=True)


class SelfInspectionStartedData(_Loose):
    campaign_id = fields.UUID(required=True)
    target_id = fields.UUID(required=True)
    enterprise_id = fields.String(required=True)
    business_type = fields.String(required=True)
    title = fields.String(required=True)
    deadline = fields.Date(required=True)
    at = fields.AwareDateTime(required=True)


# ---- RPC payloads ------------------------------------------------------------------------------------
class QueueQuerySchema(_Loose):
    case_type = fields.String(load_default=None, allow_none=True)
    step = fields.String(load_default=None, allow_none=True)
    status = fields.String(load_default="active",
                           validate=validate.OneOf(["active", "waiting", "done", "submitted", "in_review",
                                                    "correction", "rectification", "approved", "rejected",
                                                    "withdrawn", "terminated"]))
    overdue = fields.Boolean(load_default=None, allow_none=True)
    enterprise = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    mine = fields.Boolean(load_default=False)
    sort = fields.String(load_default="received", validate=validate.OneOf(["received", "due", "updated"]))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(load_default=None, allow_none=True)


class WorkloadQuerySchema(_Loose):
    """The period of 已办结 counts (Beijing dates, both included); empty: this month so far."""

    date_from = fields.Date(data_key="from", load_default=None, allow_none=True)
    date_to = fields.Date(data_key="to", load_default=None, allow_none=True)


class ActSchema(_Loose):
    action = fields.String(required=True, error_messages=_required)
    comment = fields.String(load_default="", validate=validate.Length(max=2000))
    items = fields.List(fields.Nested(CorrectionItem), load_default=list)
    rectification_items = fields.List(fields.Nested(RectificationItem), load_default=list)
    deadline = fields.Date(load_default=None, allow_none=True)
    expected_version = fields.Integer(load_default=None, allow_none=True)


class BatchSchema(_Loose):
    case_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=200),
                           error_messages=_required)
    action = fields.String(required=True, validate=validate.OneOf(["approve", "forward", "return"]),
                           error_messages=_required)
    comment = fields.String(load_default="")


class AssignSchema(_Loose):
    reviewer_id = fields.String(required=True, error_messages=_required)


class ExtendSchema(_Loose):
    days = fields.Integer(required=True, validate=validate.Range(min=1, max=30), error_messages=_required)
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500), error_messages=_required)


class DelegationSchema(_Loose):
    to_reviewer = fields.String(required=True, error_messages=_required)
    from_reviewer = fields.String(load_default=None, allow_none=True)  # admins delegate for others
    starts_on = fields.Date(required=True, error_messages=_required)
    ends_on = fields.Date(required=True, error_messages=_required)
    reason = fields.String(load_default="", validate=validate.Length(max=200))


class FormItem(_Loose):
    name = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]*$"))
    label = fields.String(required=True)
    required = fields.Boolean(load_default=True)
    kind = fields.String(load_default="text", validate=validate.OneOf(["text", "attachment"]))


class CampaignTargetIn(_Loose):
    enterprise_id = fields.String(required=True)
    enterprise_name = fields.String(load_default="")
    region_code = fields.String(required=True, validate=REGION)


class CampaignSchema(_Loose):
    business_type = fields.String(required=True, error_messages=_required)
    title = fields.String(required=True, validate=validate.Length(min=2, max=200), error_messages=_required)
    form = fields.List(fields.Nested(FormItem), required=True, validate=validate.Length(min=1),
                       error_messages=_required)
    deadline = fields.Date(required=True, error_messages=_required)
    targets = fields.List(fields.Nested(CampaignTargetIn), required=True, validate=validate.Length(min=1),
                          error_messages=_required)


class UploadIn(claims.UploadSchema):
    """An uploaded file as the gateway passes it (docs/contracts.md "Attachments"): a claim check
    (services/common/claims.py); its content is checked by services.common.attachments.check_upload."""


class EvidenceUpload(UploadIn):
    label = fields.String(load_default="", validate=validate.Length(max=200))


class SelfInspectionSubmitSchema(_Loose):
    answers = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    # form item name -> the uploaded file for that (kind: attachment) item
    files = fields.Dict(keys=fields.String(), values=fields.Nested(UploadIn), load_default=dict)


class RectificationEvidenceSchema(_Loose):
    statement = fields.String(required=True, validate=validate.Length(min=2, max=2000),
                              error_messages=_required)
    evidence = fields.List(fields.Nested(EvidenceUpload), required=True,
                           validate=validate.Length(min=1, max=10, error="请上传1至10个整改材料文件"),
                           error_messages=_required)


class ResolveRectificationSchema(_Loose):
    outcome = fields.String(required=True, validate=validate.OneOf(["close", "escalate"]),
                            error_messages=_required)
    comment = fields.String(load_default="")


# ---- results ----------------------------------------------------------------------------------------
class OpinionSchema(Schema):
    id = fields.Integer()
    step_key = fields.String()
    step_label = fields.String()
    level = fields.String()
    action = fields.String()
    result = fields.String()
    handling = fields.String()
    comment = fields.String()
    reviewer_id = fields.String(allow_none=True)
    reviewer_name = fields.String()
    revision = fields.Integer()
    at = fields.AwareDateTime()


class CaseSummarySchema(Schema):
    id = fields.UUID()
    case_ref = fields.String()
    producer = fields.String()
    case_type = fields.String()
    lane = fields.String()
    enterprise_id = fields.String()
    enterprise_name = fields.String()
    region_code = fields.String()
    title = fields.String()
    status = fields.String()
    queue = fields.String()
    step_key = fields.String()
    step_index = fields.Integer()
    level = fields.String()
    desk_region = fields.String()
    claimed_by = fields.String(allow_none=True)
    claimed_name = fields.String(allow_none=True)
    revision = fields.Integer()
    received_at = fields.AwareDateTime()
    due_date = fields.Date()
    overdue = fields.Boolean()
    acceptance_due = fields.Date(allow_none=True)
    deemed_accepted = fields.Boolean()
    paused_since = fields.Date(allow_none=True)
    pause_reason = fields.String(allow_none=True)
    decision = fields.String(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    closed_outcome = fields.String(allow_none=True)
    closed_reason = fields.String(allow_none=True)
    updated_at = fields.AwareDateTime()
    version = fields.Integer()
