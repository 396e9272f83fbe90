"""The bodies of staged uploads (/api/v1/uploads), imports (/api/v1/admin/imports) and the review
dashboard (/api/v1/review/dashboard) and the catalogue admin (/api/v1/admin/catalogue)."""

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


class CatalogueVersion(ApiSchema):
    """One version of a catalogue file (业务目录): who published and activated it, and its YAML."""

    id = fields.Integer()
    family = fields.String()
    file = fields.String()
    number = fields.Integer()
    sha256 = fields.String()
    source = fields.String(validate=validate.OneOf(["shipped", "admin"]))
    source_label = fields.String()
    status = fields.String(validate=validate.OneOf(["active", "retired"]))
    status_label = fields.String()
    comment = fields.String()
    created_by_name = fields.String()
    created_at = fields.String(allow_none=True)
    activated_by_name = fields.String()
    activated_at = fields.String(allow_none=True)
    text = fields.String()


class CatalogueFamily(ApiSchema):
    """A catalogue file with its business types, its active version and (for one family) its history."""

    family = fields.String()
    file = fields.String()
    system = fields.String()
    label = fields.String()
    types = fields.Dict(keys=fields.String(), values=fields.String())
    versions = fields.Integer()
    active = fields.Nested(CatalogueVersion)
    history = fields.List(fields.Nested(CatalogueVersion))


class CatalogueDiffRow(ApiSchema):
    kind = fields.String(validate=validate.OneOf(["file", "hunk", "added", "removed", "same"]))
    text = fields.String()


class CatalogueDiff(ApiSchema):
    family = fields.String()
    file = fields.String()
    old = fields.Nested(CatalogueVersion)
    new = fields.Nested(CatalogueVersion)
    added = fields.Integer()
    removed = fields.Integer()
    rows = fields.List(fields.Nested(CatalogueDiffRow))


class CataloguePublish(ApiSchema):
    comment = text("修改说明", required=True)
    text = text("the whole catalogue file (YAML)", required=True)


class CatalogueActivate(ApiSchema):
    comment = fields.String()
