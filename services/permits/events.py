"""Events permits emits and consumes, with versions (each documented in docs/events.md)."""

from services.common.contracts.review import (
    CASE_ACCEPTED,
    CASE_CLOSED,
    CASE_DECIDED,
    CASE_STEP_CHANGED,
    CORRECTION_REQUESTED,
    ReviewRequestedData,
)
from services.common.envelope import EventSpec
from services.permits.schemas import (
    ApplicationDecidedData,
    ApplicationStateChangedData,
    ApplicationSubmittedData,
    KeyPersonChangedData,
    LicenceAtRiskData,
    LicenceIssuedData,
    LicenceStatusChangedData,
    RecordsChangedData,
    ReviewWithdrawnData,
)

APPLICATION_SUBMITTED = EventSpec(
    "permits", "application_submitted", 1, ApplicationSubmittedData,
    "An application was submitted (or resubmitted after a correction) to review.")
APPLICATION_STATE_CHANGED = EventSpec(
    "permits", "application_state_changed", 1, ApplicationStateChangedData,
    "An application moved from one lifecycle state to another.")
APPLICATION_DECIDED = EventSpec(
    "permits", "application_decided", 1, ApplicationDecidedData,
    "Review's final decision on an application reached permits (approved or rejected).")
LICENCE_ISSUED = EventSpec(
    "permits", "licence_issued", 1, LicenceIssuedData,
    "A licence (certificate) was issued after an approval.")
LICENCE_STATUS_CHANGED = EventSpec(
    "permits", "licence_status_changed", 1, LicenceStatusChangedData,
    "A licence's stored status changed (valid, suspended, revoked, replaced, cancelled).")
LICENCE_AT_RISK = EventSpec(
    "permits", "licence_at_risk", 1, LicenceAtRiskData,
    "A valid licence's standards are no longer met by the enterprise's records (at_risk true, "
    "with the unmet standards), or are met again (at_risk false).")
REVIEW_REQUESTED = EventSpec(
    "permits", "review_requested", 1, ReviewRequestedData,
    "permits asks review for a case (a new application, or a resubmission with revision > 1).")
REVIEW_WITHDRAWN = EventSpec(
    "permits", "review_withdrawn", 1, ReviewWithdrawnData,
    "The enterprise withdrew (before acceptance) or terminated (after) an application.")

EMITS = [APPLICATION_SUBMITTED, APPLICATION_STATE_CHANGED, APPLICATION_DECIDED, LICENCE_ISSUED,
         LICENCE_STATUS_CHANGED, LICENCE_AT_RISK, REVIEW_REQUESTED, REVIEW_WITHDRAWN]

# Consumed: review's answers (the producers' shared view, services/common/contracts/review.py) and
# the rest with permits' own tolerant schemas (unknown keys ignored).
RECORDS_CHANGED = EventSpec("enterprise", "records_changed", 1, RecordsChangedData,
                            "An enterprise's records changed: re-run open pre-checks.")
KEY_PERSON_CHANGED = EventSpec(
    "personnel", "key_person_changed", 1, KeyPersonChangedData,
    "A key person's certificate lapsed, was cancelled or transferred away: re-check the "
    "enterprise's valid licences.")
CONSUMES = [CASE_ACCEPTED, CASE_STEP_CHANGED, CORRECTION_REQUESTED, CASE_DECIDED, CASE_CLOSED,
            RECORDS_CHANGED, KEY_PERSON_CHANGED]

CASE_REF_PREFIX = "permits:application:"
