"""Events permits emits and consumes, with versions (none yet; see docs/events.md)."""

EMITS: list[tuple[str, int]] = []
CONSUMES: list[tuple[str, str, int]] = []
