"""The bodies of registration, sign-in, passwords and account management (/api/v1/accounts,
/session, /password, /sub-accounts, /staff-accounts, /modules)."""

from __future__ import annotations

from marshmallow import fields, validate

from gateway.apischemas.common import ApiSchema, schema, string_list, strings, text
from services.common.validators import ID_TYPES

MOBILE = validate.Regexp(r"^1[3-9]\d{9}$")


class RegisterAccount(ApiSchema):
    uscc = text("18 chars, GB 32100 check", required=True)
    contact_name = fields.String(required=True)
    contact_mobile = fields.String(required=True, validate=MOBILE)
    email = fields.Email(required=True)
    password = fields.String(required=True, validate=validate.Length(min=8))


Account = schema("Account", strings("id", "uscc", "contact_name", "contact_mobile", "email", "status",
                                    "created_at"))


class Login(ApiSchema):
    login = text("USCC or username", required=True)
    password = fields.String(required=True)


SessionAccount = schema("SessionAccount", {
    **strings("id", "kind", "login", "uscc", "contact_name", "email", "status", "level", "region_code",
              "enterprise_account_id", "id_type", "id_number"),
    "permissions": string_list(),
    "must_change_password": fields.Boolean(),
    "totp_enabled": fields.Boolean(),
})


class LoginResult(ApiSchema):
    needs_totp = fields.Boolean()
    account = fields.Nested(SessionAccount)
    csrf_token = fields.String()


class TotpCode(ApiSchema):
    code = fields.String(required=True)


class RegisterPerson(ApiSchema):
    name = fields.String(required=True)
    id_type = fields.String(validate=validate.OneOf(list(ID_TYPES)), load_default="resident_id")
    id_number = text("resident IDs: GB 11643 check", required=True)
    mobile = fields.String(required=True, validate=MOBILE)
    email = fields.Email(required=True)
    password = fields.String(required=True, validate=validate.Length(min=8))


PersonAccount = schema("PersonAccount", strings("id", "kind", "login", "name", "id_type", "id_number",
                                                "mobile", "email", "status", "created_at"))


class PasswordChange(ApiSchema):
    current_password = fields.String(required=True)
    new_password = fields.String(required=True)
    new_password_confirm = fields.String()


class PasswordForgot(ApiSchema):
    login = fields.String()


class PasswordReset(ApiSchema):
    token = fields.String(required=True)
    new_password = fields.String(required=True)
    new_password_confirm = fields.String()


class SubAccount(ApiSchema):
    username = fields.String(required=True)
    contact_name = fields.String(required=True)
    email = fields.String(required=True)
    password = fields.String(required=True)
    permissions = fields.List(fields.String(validate=validate.OneOf(
        ["enterprise", "personnel", "permits", "read_only"])), required=True)


class SubAccountChange(ApiSchema):
    permissions = string_list()
    disabled = fields.Boolean()


class StaffAccount(ApiSchema):
    kind = fields.String(required=True, validate=validate.OneOf(["reviewer", "admin"]))
    username = fields.String(required=True)
    contact_name = fields.String(required=True)
    email = fields.String(required=True)
    password = fields.String(required=True)
    level = fields.String(validate=validate.OneOf(["city", "province", "ministry"]))
    region_code = fields.String(validate=validate.Regexp(r"^\d{6}$"))
