"""Free-text search: what a clerk types is matched literally, never as a LIKE pattern
(``q=%`` must not list every row). Use with ``column.ilike(contains_pattern(q), escape=LIKE_ESCAPE)``."""

from __future__ import annotations

LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its ``%``, ``_`` and ``\\`` taken literally."""
    escaped = (text.strip().replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
               .replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_"))
    return f"%{escaped}%"
