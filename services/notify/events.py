"""Events notify consumes (it emits none yet); each documented in docs/events.md."""

from services.identity.events import ENTERPRISE_ACCOUNT_REGISTERED

EMITS: list = []
CONSUMES = [ENTERPRISE_ACCOUNT_REGISTERED]
