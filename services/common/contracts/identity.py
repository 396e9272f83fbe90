"""identity's events that other services consume (docs/contracts.md, docs/events.md): the
schemas and EventSpecs live here so enterprise, personnel and notify never import identity."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields

from services.common.envelope import EventSpec


class AccountRegisteredData(Schema):
    """Data of identity.enterprise_account_registered v1."""

    class Meta:
        unknown = EXCLUDE

    account_id = fields.UUID(required=True)
    uscc = fields.String(required=True)
    contact_name = fields.String(required=True)
    email = fields.Email(required=True)


class LinkMailData(Schema):
    """Data of identity.account_email_verification_requested / password_reset_requested v1."""

    class Meta:
        unknown = EXCLUDE

    account_id = fields.UUID(required=True)
    email = fields.Email(required=True)
    contact_name = fields.String(required=True)
    link = fields.Url(required=True, require_tld=False)
    expires_at = fields.AwareDateTime(required=True)


class AccountStatusChangedData(Schema):
    """Data of identity.account_status_changed v1."""

    class Meta:
        unknown = EXCLUDE

    account_id = fields.UUID(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True)
    reason = fields.String(allow_none=True, load_default=None)

ENTERPRISE_ACCOUNT_REGISTERED = EventSpec(
    "identity", "enterprise_account_registered", 1, AccountRegisteredData,
    "An enterprise main account was created (registration step 1).",
)
EMAIL_VERIFICATION_REQUESTED = EventSpec(
    "identity", "account_email_verification_requested", 1, LinkMailData,
    "A single-use e-mail verification link was issued; notify mails it.",
)
PASSWORD_RESET_REQUESTED = EventSpec(
    "identity", "password_reset_requested", 1, LinkMailData,
    "A single-use password reset link was issued; notify mails it.",
)
ACCOUNT_STATUS_CHANGED = EventSpec(
    "identity", "account_status_changed", 1, AccountStatusChangedData,
    "An account's status changed (verified, approved, rejected, disabled, enabled).",
)
