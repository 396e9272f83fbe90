"""Events identity emits, with versions (each documented in docs/events.md)."""

from services.common.envelope import EventSpec
from services.common.review_contract import CASE_DECIDED, ReviewRequestedData
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

REVIEW_REQUESTED = EventSpec(
    "identity", "review_requested", 1, ReviewRequestedData,
    "Registration review as a review case (features.registration_review): both registration "
    "steps are done and the e-mail verified; revision 2, 3 … after 审核不通过 → 前往修改.",
)

EMITS = [ENTERPRISE_ACCOUNT_REGISTERED, EMAIL_VERIFICATION_REQUESTED, PASSWORD_RESET_REQUESTED,
         ACCOUNT_STATUS_CHANGED, REVIEW_REQUESTED]

# Consumed: registration step 2 was submitted (the enterprise service's event).
REGISTRATION_PROFILE_SUBMITTED = EventSpec(
    "enterprise", "registration_profile_submitted", 1, RegistrationProfileSubmittedData,
    "An enterprise submitted its registration step 2 (enterprise info and licences).",
)
# Consumed: review's decision on a registration case (CASE_DECIDED, the producers' shared view;
# other producers' cases are ignored).
# Consumed: identity's own status change to 待审核 (e-mail verified, 前往修改) starts the case.
OWN_STATUS_CHANGED = ACCOUNT_STATUS_CHANGED
CONSUMES = [REGISTRATION_PROFILE_SUBMITTED, CASE_DECIDED, OWN_STATUS_CHANGED]
