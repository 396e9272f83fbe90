"""Events review emits and consumes, with versions (each documented in docs/events.md).

Producers (permits, personnel, identity, enterprise) emit ``review_requested`` and
``review_withdrawn`` from their own exchanges; review answers on ``review.events``.
"""

from services.common.envelope import EventSpec
from services.review.schemas import (
    CaseAcceptedData,
    CaseClosedData,
    CaseDecidedData,
    CaseOverdueData,
    CaseStepChangedData,
    CorrectionRequestedData,
    RectificationRequestedData,
    ReviewRequestedData,
    ReviewWithdrawnData,
    SelfInspectionStartedData,
)

# The services whose review requests review consumes (one handler per producer and type).
PRODUCERS = ("permits", "personnel", "identity", "enterprise")

CASE_ACCEPTED = EventSpec("review", "case_accepted", 1, CaseAcceptedData,
                          "The case was accepted (受理) at its first step: by a reviewer, or by law "
                          "(deemed) when 5 working days after receipt passed without 受理 or 补正.")
CASE_STEP_CHANGED = EventSpec("review", "case_step_changed", 1, CaseStepChangedData,
                              "The case moved to another step of its chain (报批 / 退回).")
CORRECTION_REQUESTED = EventSpec("review", "correction_requested", 1, CorrectionRequestedData,
                                 "A reviewer asked for a correction (补正) of exactly these items.")
CASE_DECIDED = EventSpec("review", "case_decided", 1, CaseDecidedData,
                         "The chain's decision: approved at the last step, or rejected with a reason.")
CASE_CLOSED = EventSpec("review", "case_closed", 1, CaseClosedData,
                        "The case left the queue because the producer withdrew or terminated it.")
RECTIFICATION_REQUESTED = EventSpec("review", "rectification_requested", 1, RectificationRequestedData,
                                    "A licence holder must rectify (整改) these items by the deadline.")
CASE_OVERDUE = EventSpec("review", "case_overdue", 1, CaseOverdueData,
                         "An active case passed its statutory decision date (flagged once).")
SELF_INSPECTION_STARTED = EventSpec("review", "self_inspection_started", 1, SelfInspectionStartedData,
                                    "An enterprise has a self-inspection (自查) to do for a campaign.")

EMITS = [CASE_ACCEPTED, CASE_STEP_CHANGED, CORRECTION_REQUESTED, CASE_DECIDED, CASE_CLOSED,
         RECTIFICATION_REQUESTED, CASE_OVERDUE, SELF_INSPECTION_STARTED]

REVIEW_REQUESTED = {p: EventSpec(p, "review_requested", 1, ReviewRequestedData,
                                 "A producer asks for a review (new case or resubmission).")
                    for p in PRODUCERS}
REVIEW_WITHDRAWN = {p: EventSpec(p, "review_withdrawn", 1, ReviewWithdrawnData,
                                 "A producer withdrew or terminated a case.") for p in PRODUCERS}
CONSUMES = [*REVIEW_REQUESTED.values(), *REVIEW_WITHDRAWN.values()]
