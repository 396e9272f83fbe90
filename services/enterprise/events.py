"""Events enterprise emits and consumes, with versions (each documented in docs/events.md)."""

from services.common.contracts.identity import ENTERPRISE_ACCOUNT_REGISTERED
from services.common.contracts.review import CASE_CLOSED, CASE_DECIDED, ReviewRequestedData
from services.common.envelope import EventSpec
from services.enterprise.schemas import (
    ChangeRequestedData,
    RecordsChangedData,
    RegistrationProfileSubmittedData,
)

RECORDS_CHANGED = EventSpec(
    "enterprise", "records_changed", 1, RecordsChangedData,
    "An enterprise's records changed (basic info, staff, projects, equipment, shareholding, files).",
)
CHANGE_REQUESTED = EventSpec(
    "enterprise", "change_requested", 1, ChangeRequestedData,
    "A change request (变更申请) of locked basic-info fields was filed; review decides it.",
)
REGISTRATION_PROFILE_SUBMITTED = EventSpec(
    "enterprise", "registration_profile_submitted", 1, RegistrationProfileSubmittedData,
    "Registration step 2 (enterprise info with both PDFs) was submitted complete.",
)

REVIEW_REQUESTED = EventSpec(
    "enterprise", "review_requested", 1, ReviewRequestedData,
    "A change request goes to review as a case (docs/contracts.md, Review cases).",
)
# Consumed from review (its answers about enterprise:change:<id> cases): CASE_DECIDED and
# CASE_CLOSED, the producers' shared view (services/common/contracts/review.py).
EMITS = [RECORDS_CHANGED, CHANGE_REQUESTED, REGISTRATION_PROFILE_SUBMITTED, REVIEW_REQUESTED]
CONSUMES = [ENTERPRISE_ACCOUNT_REGISTERED, CASE_DECIDED, CASE_CLOSED]
