"""Events notify consumes, each with notify's own tolerant view of its data (unknown fields are
ignored), so notify imports no other service's module (identity's specs it shares are in
services/common/contracts).

notify emits no platform events: what it publishes is the agency stream (services/notify/agency.py,
docs/agency.md), which has its own envelope.
"""

from services.common.contracts.identity import (
    ACCOUNT_STATUS_CHANGED,
    EMAIL_VERIFICATION_REQUESTED,
    ENTERPRISE_ACCOUNT_REGISTERED,
    PASSWORD_RESET_REQUESTED,
)
from services.common.envelope import EventSpec
from services.notify import schemas as s

# ---- enterprise --------------------------------------------------------------------------------
REGISTRATION_PROFILE_SUBMITTED = EventSpec(
    "enterprise", "registration_profile_submitted", 1, s.ProfileSubmittedView,
    "Registration step 2 was submitted: a message to the enterprise.")
RECORDS_CHANGED = EventSpec("enterprise", "records_changed", 1, s.RecordsChangedView,
                            "An enterprise's records changed: forwarded to agencies.")
CHANGE_REQUESTED = EventSpec("enterprise", "change_requested", 1, s.ChangeRequestedView,
                             "A change request: a to-do for the province desk.")

# ---- review (answers on review.events) ------------------------------------------------------------
CASE_ACCEPTED = EventSpec("review", "case_accepted", 1, s.CaseAcceptedView,
                          "A case was accepted: a message to the enterprise.")
CASE_STEP_CHANGED = EventSpec("review", "case_step_changed", 1, s.CaseStepChangedView,
                              "A case moved on: a message; correction/overdue to-dos are done.")
CORRECTION_REQUESTED = EventSpec("review", "correction_requested", 1, s.CorrectionRequestedView,
                                 "A correction: a to-do (and mail) for the enterprise.")
CASE_DECIDED = EventSpec("review", "case_decided", 1, s.CaseDecidedView,
                         "A decision: message, mail and a rating to-do (一事一评).")
CASE_CLOSED = EventSpec("review", "case_closed", 1, s.CaseClosedView,
                        "A case was withdrawn/terminated: a message.")
CASE_OVERDUE = EventSpec("review", "case_overdue", 1, s.CaseOverdueView,
                         "A case passed its statutory date: a to-do for the reviewer desk.")
SELF_INSPECTION_STARTED = EventSpec("review", "self_inspection_started", 1, s.SelfInspectionStartedView,
                                    "A self-inspection campaign: a to-do for the enterprise.")

# ---- every producer's review request (case titles and types; a resubmission ends a correction)
REVIEW_PRODUCERS = ("permits", "personnel", "identity", "enterprise")
REVIEW_REQUESTED = {p: EventSpec(p, "review_requested", 1, s.ReviewRequestedView,
                                 "A producer asks for a review.") for p in REVIEW_PRODUCERS}

# ---- EXPECTED: permits and personnel do not emit these yet. This is the contract they must
# ---- meet (docs/contracts.md, "Notify's expectations"); handlers are subscribed already.
APPLICATION_SUBMITTED = EventSpec("permits", "application_submitted", 1, s.ApplicationSubmittedView,
                                  "Expected: an application was submitted.")
APPLICATION_DECIDED = EventSpec("permits", "application_decided", 1, s.ApplicationDecidedView,
                                "Expected: an application was decided.")
LICENCE_ISSUED = EventSpec("permits", "licence_issued", 1, s.LicenceView, "Expected: a licence was issued.")
LICENCE_STATUS_CHANGED = EventSpec("permits", "licence_status_changed", 1, s.LicenceView,
                                   "Expected: a licence changed, was suspended, revoked or cancelled.")
LICENCE_AT_RISK = EventSpec("permits", "licence_at_risk", 1, s.LicenceAtRiskView,
                            "A licence's standards are no longer met (or met again): a message.")
MATERIALS_OWED = EventSpec("permits", "materials_owed", 1, s.MaterialsOwedView,
                           "Expected: accepted with materials owed (容缺受理) until due_date.")
CERTIFICATE_ISSUED = EventSpec("personnel", "certificate_issued", 1, s.CertificateView,
                               "Expected: a certificate was issued.")
CERTIFICATE_RECORDED = EventSpec("personnel", "certificate_recorded", 1, s.CertificateView,
                                  "A held certificate was recorded (信息补录): its expiry reminders.")
CERTIFICATE_TRANSFERRED = EventSpec("personnel", "certificate_transferred", 1, s.CertificateTransferredView,
                                    "Expected: a certificate moved to another enterprise.")
CERTIFICATE_CANCELLED = EventSpec("personnel", "certificate_cancelled", 1, s.CertificateView,
                                  "Expected: a certificate was cancelled.")
TRANSFER_REQUESTED = EventSpec("personnel", "transfer_requested", 1, s.TransferRequestedView,
                               "Expected: a certificate holder's transfer was requested.")
EXPECTED = [APPLICATION_SUBMITTED, APPLICATION_DECIDED, LICENCE_ISSUED, LICENCE_STATUS_CHANGED,
            MATERIALS_OWED, CERTIFICATE_ISSUED, CERTIFICATE_TRANSFERRED, CERTIFICATE_CANCELLED,
            TRANSFER_REQUESTED]

EMITS: list = []
CONSUMES = [ENTERPRISE_ACCOUNT_REGISTERED, EMAIL_VERIFICATION_REQUESTED, PASSWORD_RESET_REQUESTED,
            ACCOUNT_STATUS_CHANGED, REGISTRATION_PROFILE_SUBMITTED, RECORDS_CHANGED, CHANGE_REQUESTED,
            CASE_ACCEPTED, CASE_STEP_CHANGED, CORRECTION_REQUESTED, CASE_DECIDED, CASE_CLOSED,
            CASE_OVERDUE, SELF_INSPECTION_STARTED, *REVIEW_REQUESTED.values(), LICENCE_AT_RISK,
            CERTIFICATE_RECORDED,
            *EXPECTED]
