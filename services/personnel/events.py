"""Events personnel emits and consumes, with versions (each documented in docs/events.md)."""

from services.common.contracts.identity import ENTERPRISE_ACCOUNT_REGISTERED
from services.common.contracts.review import (
    CASE_ACCEPTED,
    CASE_CLOSED,
    CASE_DECIDED,
    CASE_STEP_CHANGED,
    CORRECTION_REQUESTED,
    ReviewRequestedData,
)
from services.common.envelope import EventSpec
from services.personnel.domain import KEY_PERSON_CHANGED
from services.personnel.schemas import (
    CertificateCancelledData,
    CertificateIssuedData,
    CertificateRecordedData,
    CertificateTransferredData,
    DeclarationStatusChangedData,
    KeyPersonChangedData,
    ReviewWithdrawnData,
    TransferRequestedData,
)

REVIEW_REQUESTED = EventSpec(
    "personnel",
    "review_requested",
    1,
    ReviewRequestedData,
    "A declaration (申报) goes to review as a case (personnel:declaration:<id>; revision > 1 after 补正).",
)
REVIEW_WITHDRAWN = EventSpec(
    "personnel",
    "review_withdrawn",
    1,
    ReviewWithdrawnData,
    "The enterprise cancelled a reported declaration, or agreed to the person's withdrawal.",
)
DECLARATION_STATUS_CHANGED = EventSpec(
    "personnel",
    "declaration_status_changed",
    1,
    DeclarationStatusChangedData,
    "A declaration moved from one status to another (未上报 → 省级未受理 → 审核中 …).",
)
CERTIFICATE_ISSUED = EventSpec(
    "personnel",
    "certificate_issued",
    1,
    CertificateIssuedData,
    "A certificate was issued or its validity changed after an approval (registration, renewal, reissue).",
)
CERTIFICATE_RECORDED = EventSpec(
    "personnel",
    "certificate_recorded",
    1,
    CertificateRecordedData,
    "A certificate already held was recorded (信息补录) or its record corrected: expiry reminders.",
)
CERTIFICATE_TRANSFERRED = EventSpec(
    "personnel",
    "certificate_transferred",
    1,
    CertificateTransferredData,
    "A certificate moved to another enterprise after the transfer's last approval.",
)
CERTIFICATE_CANCELLED = EventSpec(
    "personnel",
    "certificate_cancelled",
    1,
    CertificateCancelledData,
    "A certificate was cancelled (approved 注销) or lapsed (expiry sweep).",
)
TRANSFER_REQUESTED = EventSpec(
    "personnel",
    "transfer_requested",
    1,
    TransferRequestedData,
    "A transfer waits for an enterprise: the new employer (CIP 调入) or the consenting one (TSA).",
)
KEY_PERSON_CHANGED_SPEC = EventSpec(
    "personnel",
    KEY_PERSON_CHANGED.split(".", 1)[1],
    1,
    KeyPersonChangedData,
    "A key person's certificate lapsed, was cancelled or transferred away from the enterprise.",
)

EMITS = [
    REVIEW_REQUESTED,
    REVIEW_WITHDRAWN,
    DECLARATION_STATUS_CHANGED,
    CERTIFICATE_ISSUED,
    CERTIFICATE_RECORDED,
    CERTIFICATE_TRANSFERRED,
    CERTIFICATE_CANCELLED,
    TRANSFER_REQUESTED,
    KEY_PERSON_CHANGED_SPEC,
]

# Consumed from review (its answers about personnel:declaration:<id> cases).
CONSUMES = [
    CASE_ACCEPTED,
    CASE_STEP_CHANGED,
    CORRECTION_REQUESTED,
    CASE_DECIDED,
    CASE_CLOSED,
    ENTERPRISE_ACCOUNT_REGISTERED,
]

CASE_REF_PREFIX = "personnel:declaration:"
