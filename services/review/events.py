"""Events review emits and consumes, with versions (none yet; see docs/events.md)."""

from services.common.envelope import EventSpec

EMITS: list[EventSpec] = []
CONSUMES: list[EventSpec] = []
