"""Marshmallow schemas for identity's RPC payloads and events."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from services.common.schema_errors import REQUIRED_MESSAGE

_required = {"required": REQUIRED_MESSAGE, "null": REQUIRED_MESSAGE}


class RegisterAccountSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    ip = fields.String(load_default=None)  # the client's, set by the gateway: rate limit

    uscc = fields.String(required=True, error_messages=_required)
    contact_name = fields.String(required=True, error_messages=_required)
    contact_mobile = fields.String(required=True, error_messages=_required)
    email = fields.String(required=True, error_messages=_required)
    password = fields.String(required=True, error_messages=_required)
    password_confirm = fields.String(load_default=None)
    request_key = fields.String(load_default=None, validate=validate.Length(max=64))


class RegisterPersonSchema(Schema):
    """A person's own account (个人用户)."""

    class Meta:
        unknown = EXCLUDE

    ip = fields.String(load_default=None)  # the client's, set by the gateway: rate limit

    name = fields.String(required=True, error_messages=_required)
    id_type = fields.String(load_default="resident_id")
    id_number = fields.String(required=True, error_messages=_required)
    mobile = fields.String(required=True, error_messages=_required)
    email = fields.String(required=True, error_messages=_required)
    password = fields.String(required=True, error_messages=_required)
    password_confirm = fields.String(load_default=None)
    request_key = fields.String(load_default=None, validate=validate.Length(max=64))


class PersonAccountSchema(Schema):
    """A person's account as registration answers it."""

    id = fields.UUID()
    kind = fields.String()
    login = fields.String()
    name = fields.String(attribute="contact_name")
    id_type = fields.String()
    id_number = fields.String()
    mobile = fields.String(attribute="contact_mobile")
    email = fields.String()
    status = fields.String()
    created_at = fields.AwareDateTime()


class AccountSchema(Schema):
    id = fields.UUID()
    uscc = fields.String()
    contact_name = fields.String()
    contact_mobile = fields.String()
    email = fields.String()
    status = fields.String()
    created_at = fields.AwareDateTime()




def _text(**kwargs: object) -> fields.String:
    return fields.String(required=True, error_messages=_required, **kwargs)


class LoginSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    login = _text()
    password = _text()
    ip = fields.String(load_default=None)


class TotpCodeSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    account_id = fields.UUID(required=True)
    code = _text()
    ip = fields.String(load_default=None)


class ChangePasswordSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    account_id = fields.UUID(required=True)
    current_password = _text()
    new_password = _text()
    new_password_confirm = fields.String(load_default=None)


class ResetPasswordSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    token = _text()
    new_password = _text()
    new_password_confirm = fields.String(load_default=None)


class SubAccountSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    username = _text()
    contact_name = _text()
    email = _text()
    password = _text()
    permissions = fields.List(fields.String(), required=True, error_messages=_required)


class StaffAccountSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    kind = _text(validate=validate.OneOf(("reviewer", "admin"), error="账号类型不正确"))
    username = _text()
    contact_name = _text()
    email = _text()
    password = _text()
    level = fields.String(load_default=None)
    region_code = fields.String(load_default=None)


class DeskStaffSchema(Schema):
    """A colleague at a review desk, for the 分配 picker (identity.desk_staff)."""

    id = fields.UUID()
    login = fields.String()
    contact_name = fields.String()


class SessionAccountSchema(Schema):
    """What the gateway keeps about a signed-in account and re-checks."""

    id = fields.UUID()
    kind = fields.String()
    login = fields.String()
    uscc = fields.String(allow_none=True)
    id_type = fields.String(allow_none=True)  # persons only
    id_number = fields.String(allow_none=True)  # persons only: the normalised ID number
    contact_name = fields.String()
    email = fields.String()
    status = fields.String()
    permissions = fields.List(fields.String())
    level = fields.String(allow_none=True)
    region_code = fields.String(allow_none=True)
    enterprise_account_id = fields.UUID(allow_none=True)
    must_change_password = fields.Boolean()
    totp_enabled = fields.Function(lambda account: account.totp_enabled_at is not None)
    profile_submitted = fields.Function(lambda account: account.profile_submitted_at is not None)
    session_epoch = fields.Integer()
    review_reason = fields.String(allow_none=True)






class RegistrationProfileSubmittedData(Schema):
    """What identity reads of enterprise.registration_profile_submitted v1 (the enterprise
    service's event; other fields are the enterprise's business, not ours)."""

    class Meta:
        unknown = EXCLUDE

    enterprise_id = fields.UUID(required=True)
    submitted_at = fields.AwareDateTime(required=True)


