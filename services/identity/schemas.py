"""Marshmallow schemas for identity's RPC payloads and events."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from services.common.schema_errors import REQUIRED_MESSAGE

_required = {"required": REQUIRED_MESSAGE, "null": REQUIRED_MESSAGE}


class RegisterAccountSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    uscc = fields.String(required=True, error_messages=_required)
    contact_name = fields.String(required=True, error_messages=_required)
    contact_mobile = fields.String(required=True, error_messages=_required)
    email = fields.String(required=True, error_messages=_required)
    password = fields.String(required=True, error_messages=_required)
    password_confirm = fields.String(load_default=None)
    request_key = fields.String(load_default=None, validate=validate.Length(max=64))


class AccountSchema(Schema):
    id = fields.UUID()
    uscc = fields.String()
    contact_name = fields.String()
    contact_mobile = fields.String()
    email = fields.String()
    status = fields.String()
    created_at = fields.AwareDateTime()


class AccountRegisteredData(Schema):
    """Data of identity.enterprise_account_registered v1."""

    class Meta:
        unknown = EXCLUDE

    account_id = fields.UUID(required=True)
    uscc = fields.String(required=True)
    contact_name = fields.String(required=True)
    email = fields.Email(required=True)
