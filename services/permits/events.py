"""Events permits emits and consumes, with versions (each documented in docs/events.md)."""

from services.common.envelope import EventSpec
from services.common.review_contract import ReviewRequestedData
from services.permits.schemas import (
    ApplicationDecidedData,
    ApplicationStateChangedData,
    ApplicationSubmittedData,
    CaseAcceptedData,
    CaseClosedData,
    CaseDecidedData,
    CaseStepChangedData,
    CorrectionRequestedData,
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

# Consumed, with permits' own tolerant schemas (unknown keys ignored).
CASE_ACCEPTED = EventSpec("review", "case_accepted", 1, CaseAcceptedData, "受理")
CASE_STEP_CHANGED = EventSpec("review", "case_step_changed", 1, CaseStepChangedData, "step changed")
CORRECTION_REQUESTED = EventSpec("review", "correction_requested", 1, CorrectionRequestedData, "补正")
CASE_DECIDED = EventSpec("review", "case_decided", 1, CaseDecidedData, "final decision")
CASE_CLOSED = EventSpec("review", "case_closed", 1, CaseClosedData, "withdrawn / terminated")
RECORDS_CHANGED = EventSpec("enterprise", "records_changed", 1, RecordsChangedData,
                            "An enterprise's records changed: re-run open pre-checks.")
KEY_PERSON_CHANGED = EventSpec(
    "personnel", "key_person_changed", 1, KeyPersonChangedData,
    "A key person's certificate lapsed, was cancelled or transferred away: re-check the "
    "enterprise's valid licences.")
CONSUMES = [CASE_ACCEPTED, CASE_STEP_CHANGED, CORRECTION_REQUESTED, CASE_DECIDED, CASE_CLOSED,
            RECORDS_CHANGED, KEY_PERSON_CHANGED]

CASE_REF_PREFIX = "permits:application:"
