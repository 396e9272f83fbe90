"""Events identity emits (documented in docs/events.md)."""

ENTERPRISE_ACCOUNT_REGISTERED = ("enterprise_account_registered", 1)
