"""Events enterprise emits and consumes, with versions (each documented in docs/events.md)."""

from services.common.envelope import EventSpec
from services.enterprise.schemas import (
    ChangeRequestedData,
    RecordsChangedData,
    RegistrationProfileSubmittedData,
)
from services.identity.events import ENTERPRISE_ACCOUNT_REGISTERED

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

EMITS = [RECORDS_CHANGED, CHANGE_REQUESTED, REGISTRATION_PROFILE_SUBMITTED]
CONSUMES = [ENTERPRISE_ACCOUNT_REGISTERED]
