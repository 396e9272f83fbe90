"""Catalogues kept as YAML data (business types, certificate types, review chains): loading
them with marshmallow and refusing a bad file with the path of every error.

Each service keeps its own schema and cross-checks; this is only the common reading part, so
an admin sees the same kind of message (``<file>: <path>: <message>``) whichever file it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import yaml
from marshmallow import Schema, ValidationError


class CatalogueError(ValueError):
    """A catalogue file was refused; ``errors`` lists ``"<file>: <path>: <message>"`` lines."""

    title = "目录文件有误"

    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"{self.title}：\n" + "\n".join(errors))
        self.errors = errors


def error_paths(messages: Any, prefix: str = "") -> list[str]:
    """Flatten marshmallow's nested error dict into ``a.b[2].c: message`` lines.

    ``Dict`` fields nest a value's (or key's) errors under ``"value"`` (``"key"``); that level
    is skipped so the path reads like the YAML (``grades.一级.standards[2].min``).
    """
    lines: list[str] = []
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if key in ("value", "key", "_schema") and prefix:
                lines.extend(error_paths(value, prefix))
                continue
            if isinstance(key, int):
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            lines.extend(error_paths(value, path))
    elif isinstance(messages, list):
        for item in messages:
            if isinstance(item, (Mapping, list)):
                lines.extend(error_paths(item, prefix))
            else:
                lines.append(f"{prefix or '(file)'}: {str(item).rstrip('.')}")
    else:
        lines.append(f"{prefix or '(file)'}: {str(messages).rstrip('.')}")
    return lines


def load_yaml_catalogue(name: str, text: str, schema: Schema,
                        cross_check: Callable[[dict[str, Any]], list[str]] | None = None,
                        error: type[CatalogueError] = CatalogueError) -> dict[str, Any]:
    """YAML text → data loaded by ``schema`` and passed by ``cross_check``, or ``error``."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        raise error([f"{name}: {where}: not valid YAML ({getattr(exc, 'problem', exc)})"]) from exc
    if not isinstance(raw, dict):
        raise error([f"{name}: (file): the top level must be a mapping"])
    try:
        data = schema.load(raw)
    except ValidationError as exc:
        raise error([f"{name}: {line}" for line in error_paths(exc.messages)]) from exc
    problems = cross_check(data) if cross_check else []
    if problems:
        raise error([f"{name}: {line}" for line in problems])
    return data
