"""Both halves of the review contract a producer needs (docs/contracts.md, "Review cases").

What every producer sends when it asks review for a case, ``<producer>.review_requested`` v1
(one schema, so permits, enterprise, identity and personnel send the same shape; review reads
it with its own tolerant schema), and the producers' view of review's answers (``case_accepted``
… ``case_closed``), tolerant of fields review adds later, with their EventSpecs."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from services.common.envelope import EventSpec


class _Contract(Schema):
    class Meta:
        unknown = EXCLUDE


class FieldValueData(_Contract):
    label = fields.String(required=True)
    value = fields.Raw(allow_none=True)


class AttachmentRefData(_Contract):
    id = fields.String(required=True)
    label = fields.String(required=True)
    filename = fields.String(required=True)
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))


class OwedItemData(_Contract):
    """One material or standard accepted as owed under 容缺受理, and the day it is due."""

    code = fields.String(load_default="")
    name = fields.String(required=True)
    deadline = fields.Date(allow_none=True, load_default=None)


class _ReviewRequestedBase(_Contract):
    case_ref = fields.String(required=True)
    case_type = fields.String(required=True)
    lane = fields.String(required=True)
    enterprise_id = fields.String(required=True)
    enterprise_name = fields.String(required=True)
    region_code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$"))
    title = fields.String(required=True)
    revision = fields.Integer(required=True)
    time_limit_days = fields.Integer(allow_none=True, load_default=None)
    attachments = fields.List(fields.Nested(AttachmentRefData), required=True)
    submitted_at = fields.AwareDateTime(required=True)
    # 容缺受理: what the enterprise still owes and by when (optional; empty for other lanes)
    owed = fields.List(fields.Nested(OwedItemData), load_default=list)


# A field named "fields" cannot be declared in a class body (it would shadow marshmallow's
# module), so the schema is derived with from_dict.
ReviewRequestedData = _ReviewRequestedBase.from_dict(
    {"fields": fields.Dict(keys=fields.String(), values=fields.Nested(FieldValueData), required=True)},
    name="ReviewRequestedData",
)
ReviewRequestedData.__doc__ = "Data of <producer>.review_requested v1 (docs/contracts.md, Review cases)."


# ---- review's answers, as every producer reads them ------------------------------------------
class _CaseEvent(_Contract):
    case_ref = fields.String(required=True)
    case_id = fields.String(required=True)
    at = fields.String(load_default=None, allow_none=True)


class CaseAcceptedData(_CaseEvent):
    step = fields.String(load_default=None, allow_none=True)


class CaseStepChangedData(_CaseEvent):
    step = fields.String(load_default=None, allow_none=True)
    step_label = fields.String(load_default=None, allow_none=True)
    level = fields.String(load_default=None, allow_none=True)


class CorrectionItemData(_Contract):
    target = fields.String(required=True)
    name = fields.String(required=True)
    reason = fields.String(load_default="")


class CorrectionRequestedData(_CaseEvent):
    items = fields.List(fields.Nested(CorrectionItemData), required=True)
    deadline = fields.Date(load_default=None, allow_none=True)


class CaseDecidedData(_CaseEvent):
    decision = fields.String(required=True, validate=validate.OneOf(["approved", "rejected"]))
    reason = fields.String(load_default=None, allow_none=True)
    decided_by = fields.String(load_default=None, allow_none=True)
    decided_by_id = fields.String(load_default=None, allow_none=True)
    decided_level = fields.String(load_default=None, allow_none=True)
    decided_desk_region = fields.String(load_default=None, allow_none=True)


class CaseClosedData(_CaseEvent):
    outcome = fields.String(load_default="withdrawn")


CASE_ACCEPTED = EventSpec("review", "case_accepted", 1, CaseAcceptedData, "受理")
CASE_STEP_CHANGED = EventSpec("review", "case_step_changed", 1, CaseStepChangedData, "step changed")
CORRECTION_REQUESTED = EventSpec("review", "correction_requested", 1, CorrectionRequestedData, "补正")
CASE_DECIDED = EventSpec("review", "case_decided", 1, CaseDecidedData, "final decision")
CASE_CLOSED = EventSpec("review", "case_closed", 1, CaseClosedData, "withdrawn / terminated")
