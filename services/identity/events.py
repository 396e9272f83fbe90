"""Events identity emits, with versions (each documented in docs/events.md)."""

from services.common.contracts.identity import (
    ACCOUNT_STATUS_CHANGED,
    EMAIL_VERIFICATION_REQUESTED,
    ENTERPRISE_ACCOUNT_REGISTERED,
    PASSWORD_RESET_REQUESTED,
)
from services.common.contracts.review import CASE_DECIDED, ReviewRequestedData
from services.common.envelope import EventSpec
from services.identity.schemas import RegistrationProfileSubmittedData

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
