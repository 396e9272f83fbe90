"""Events identity emits, with versions (each documented in docs/events.md)."""

from services.common.envelope import EventSpec
from services.identity.schemas import AccountRegisteredData

ENTERPRISE_ACCOUNT_REGISTERED = EventSpec(
    "identity", "enterprise_account_registered", 1, AccountRegisteredData,
    "An enterprise main account was created (registration step 1).",
)

EMITS = [ENTERPRISE_ACCOUNT_REGISTERED]
