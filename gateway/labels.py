"""Names for internal codes shown on pages (issue 16 item 4): a review case type such as
``pfl.power.new`` by its label from review's chains file, a case reference such as
``permits:application:<uuid>`` by what it is. Pure and read-only (the file ships with the code)."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path

import yaml

CASE_TYPES_FILE = Path(__file__).resolve().parent.parent / "services" / "review" / "data" / "case_types.yaml"
SUBJECTS = {"permits": "资质许可申请", "personnel": "人员执业申请", "identity": "企业注册",
            "enterprise": "企业信息变更", "review": "自查"}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@cache
def _case_type_labels() -> list[tuple[str, str]]:
    data = yaml.safe_load(CASE_TYPES_FILE.read_text(encoding="utf-8")) or {}
    return [(pattern, str(spec.get("label") or pattern))
            for pattern, spec in (data.get("case_types") or {}).items()]


def business_label(code: object) -> str:
    """The case type's label (the first matching chain, as review resolves it); the code
    itself only when no chain matches, so nothing is hidden."""
    text = str(code or "")
    for pattern, label in _case_type_labels():
        if fnmatchcase(text, pattern):
            return label
    return text


def case_ref_label(ref: object) -> str:
    """``producer:kind:id`` as 资质许可申请 #1a2b3c4d (the first 8 characters of its id)."""
    text = str(ref or "")
    producer, _, rest = text.partition(":")
    if not rest:
        return text
    subject_id = rest.rpartition(":")[2]
    return f"{SUBJECTS.get(producer, '业务')} #{subject_id[:8]}"


def reviewer_label(value: object) -> str:
    """A reviewer by name; one recorded only by account id as 审核人员 #1a2b3c4d."""
    text = str(value or "")
    return f"审核人员 #{text[:8]}" if _UUID.match(text) else text
