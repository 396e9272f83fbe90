"""Marshmallow schemas for enterprise's RPC payloads and events.

The record payloads themselves are cleaned field by field in ``domain`` (Chinese message per
field); the schemas here check the envelope of a call (query parameters, ids) and the events.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate


class ListQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    category = fields.String(load_default=None, allow_none=True)
    q = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class UploadSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    purpose = fields.String(required=True)
    owner_id = fields.String(load_default=None, allow_none=True)
    file = fields.Dict(required=True)


class ChangeRequestSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    changes = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    # files the change needs (a name change: {"business_licence": upload}), see changes.py
    files = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), load_default=dict)


# ---- events --------------------------------------------------------------------------------
class RecordsChangedData(Schema):
    """Data of enterprise.records_changed v1."""

    class Meta:
        unknown = EXCLUDE

    enterprise_id = fields.UUID(required=True)
    records_version = fields.Integer(required=True)
    sections = fields.List(fields.String(), required=True)


class FieldChange(Schema):
    old = fields.String(allow_none=True)
    new = fields.String(allow_none=True)


class ChangeRequestedData(Schema):
    """Data of enterprise.change_requested v1."""

    class Meta:
        unknown = EXCLUDE

    change_request_id = fields.UUID(required=True)
    enterprise_id = fields.UUID(required=True)
    uscc = fields.String(required=True)
    enterprise_name = fields.String(required=True, allow_none=True)
    region_code = fields.String(required=True, allow_none=True)
    changes = fields.Dict(keys=fields.String(), values=fields.Nested(FieldChange), required=True)
    # the changed fields' Chinese names, so consumers never show a field key to people
    labels = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    reason = fields.String(allow_none=True, load_default=None)
    requested_by = fields.String(required=True)
    requested_at = fields.AwareDateTime(required=True)


class RegistrationProfileSubmittedData(Schema):
    """Data of enterprise.registration_profile_submitted v1."""

    class Meta:
        unknown = EXCLUDE

    enterprise_id = fields.UUID(required=True)
    uscc = fields.String(required=True)
    name = fields.String(required=True)
    region_code = fields.String(required=True)
    submitted_at = fields.AwareDateTime(required=True)


