"""The data every producer sends when it asks review for a case (docs/contracts.md, "Review
cases"): ``<producer>.review_requested`` v1. One schema, so permits, enterprise and the
producers to come send the same shape; review reads it with its own tolerant schema."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate


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


# A field named "fields" cannot be declared in a class body (it would shadow marshmallow's
# module), so the schema is derived with from_dict.
ReviewRequestedData = _ReviewRequestedBase.from_dict(
    {"fields": fields.Dict(keys=fields.String(), values=fields.Nested(FieldValueData), required=True)},
    name="ReviewRequestedData",
)
ReviewRequestedData.__doc__ = "Data of <producer>.review_requested v1 (docs/contracts.md, Review cases)."
