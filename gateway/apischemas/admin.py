"""The bodies of staged uploads (/api/v1/uploads), imports (/api/v1/admin/imports) and the review
dashboard (/api/v1/review/dashboard)."""

from __future__ import annotations

from marshmallow import fields, validate

from gateway.apischemas.common import ApiSchema, InlineFile, obj, objects, text


class UploadClaim(ApiSchema):
    filename = fields.String()
    key = text("the quarantine object (quarantine/…)", required=True)
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    content_type = text("as declared; the service sniffs the bytes")


class UploadForm(ApiSchema):
    file = fields.Raw(metadata={"type": "string", "format": "binary"})


class ImportStart(ApiSchema):
    file = fields.Nested(InlineFile, required=True)


class ImportJob(ApiSchema):
    id = fields.String()
    kind = fields.String()
    filename = fields.String()
    status = fields.String(validate=validate.OneOf(["queued", "running", "done", "failed", "interrupted"]))
    status_label = fields.String()
    running = fields.Boolean()
    total = fields.Integer()
    done = fields.Integer()
    percent = fields.Integer()
    summary = obj()
    rejected_count = fields.Integer()
    rejected = objects()
    error = fields.String(allow_none=True)
    created_at = fields.String()
    finished_at = fields.String(allow_none=True)


class Period(ApiSchema):
    from_ = fields.Date(data_key="from")
    to = fields.Date()


class Desk(ApiSchema):
    level = fields.String()
    desk_region = fields.String()


class ProcessingRow(ApiSchema):
    business_type = fields.String()
    level = fields.String()
    desk_region = fields.String()
    done = fields.Integer()
    average_days = fields.Float(allow_none=True)
    max_days = fields.Integer()
    average_limit_days = fields.Float(allow_none=True)
    over_limit = fields.Integer()
    within_limit = fields.Integer()
    share_of_limit = fields.Integer(allow_none=True)


class Processing(ApiSchema):
    by_type = fields.List(fields.Nested(ProcessingRow))
    by_type_and_desk = fields.List(fields.Nested(ProcessingRow))


class Counts(ApiSchema):
    active = fields.Integer(allow_none=True)
    unclaimed = fields.Integer(allow_none=True)
    waiting = fields.Integer(allow_none=True)
    overdue = fields.Integer(allow_none=True)


class BacklogDay(Counts):
    day = fields.Date()


class DeskNow(Counts):
    level = fields.String()
    desk_region = fields.String()


class ReviewDashboard(ApiSchema):
    period = fields.Nested(Period)
    desk = fields.Nested(Desk, allow_none=True)
    processing = fields.Nested(Processing)
    backlog = fields.List(fields.Nested(BacklogDay))
    desks_now = fields.List(fields.Nested(DeskNow))
