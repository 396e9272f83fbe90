"""The bodies of /api/v1/review (审核) as marshmallow schemas."""

from __future__ import annotations

from marshmallow import fields, validate

from gateway.apischemas.common import ApiSchema, objects, schema, string_list
from gateway.views.review.common import QUEUE_ARGS

QueueQuery = schema("ReviewQueueQuery", {name: fields.String() for name in QUEUE_ARGS})


class ReviewAssign(ApiSchema):
    reviewer_id = fields.String(required=True)


class CorrectionItem(ApiSchema):
    target = fields.String(validate=validate.OneOf(["field", "attachment"]))
    name = fields.String()
    reason = fields.String()


class RectificationItem(ApiSchema):
    name = fields.String()
    requirement = fields.String()


class ReviewAction(ApiSchema):
    action = fields.String(required=True, validate=validate.OneOf(
        ["accept", "approve", "forward", "reject", "correction", "rectification", "return"]))
    comment = fields.String()
    deadline = fields.Date()
    expected_version = fields.Integer()
    items = fields.List(fields.Nested(CorrectionItem))
    rectification_items = fields.List(fields.Nested(RectificationItem))


class ReviewExtension(ApiSchema):
    days = fields.Integer(required=True, validate=validate.Range(min=1, max=30))
    reason = fields.String(required=True)


class ReviewResolveRectification(ApiSchema):
    outcome = fields.String(required=True, validate=validate.OneOf(["close", "escalate"]))
    comment = fields.String()


class ReviewBatch(ApiSchema):
    case_ids = string_list(required=True)
    action = fields.String(required=True, validate=validate.OneOf(["approve", "forward", "return"]))
    comment = fields.String()


class ReviewDelegation(ApiSchema):
    to_reviewer = fields.String(required=True)
    from_reviewer = fields.String()
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    reason = fields.String()


class ReviewCampaign(ApiSchema):
    business_type = fields.String(required=True)
    title = fields.String(required=True)
    deadline = fields.Date(required=True)
    form = objects(required=True)
    targets = objects(required=True)


class ReviewUpload(ApiSchema):
    filename = fields.String()
    content_b64 = fields.String(required=True, metadata={"format": "byte"})


class LabelledUpload(ReviewUpload):
    label = fields.String()


class ReviewEvidence(ApiSchema):
    statement = fields.String(required=True)
    evidence = fields.List(fields.Nested(LabelledUpload), required=True,
                           validate=validate.Length(min=1, max=10))


class ReviewSelfInspection(ApiSchema):
    answers = fields.Dict(keys=fields.String(), values=fields.String())
    files = fields.Dict(keys=fields.String(), values=fields.Nested(ReviewUpload), metadata={
        "description": "form item name -> the uploaded file (items of kind attachment)"})


