"""Events identity emits, with versions (each documented in docs/events.md)."""

from services.common.envelope import EventSpec
from services.identity.schemas import (
    AccountRegisteredData,
    AccountStatusChangedData,
    LinkMailData,
    RegistrationProfileSubmittedData,
)

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

EMITS = [ENTERPRISE_ACCOUNT_REGISTERED, EMAIL_VERIFICATION_REQUESTED, PASSWORD_RESET_REQUESTED,
         ACCOUNT_STATUS_CHANGED]

# Consumed: registration step 2 was submitted (the enterprise service's event).
REGISTRATION_PROFILE_SUBMITTED = EventSpec(
    "enterprise", "registration_profile_submitted", 1, RegistrationProfileSubmittedData,
    "An enterprise submitted its registration step 2 (enterprise info and licences).",
)
CONSUMES = [REGISTRATION_PROFILE_SUBMITTED]
