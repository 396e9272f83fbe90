"""What a clerk types in a search box is matched literally (services/common/search.py)."""

from __future__ import annotations

import re

import pytest

from services.common.search import LIKE_ESCAPE, contains_pattern


def like_matches(pattern: str, value: str) -> bool:
    """PostgreSQL's LIKE with an escape character, as a regular expression (for the unit test)."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == LIKE_ESCAPE:
            i += 1
            out.append(re.escape(pattern[i]))
        elif ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
        i += 1
    return re.fullmatch("".join(out), value, re.S) is not None


@pytest.mark.parametrize("typed, value, expected", [
    ("%", "内蒙古建设有限公司", False),
    ("_", "张三", False),
    ("100%", "达标率100%的企业", True),
    ("a_b", "xa_by", True),
    ("a_b", "xacby", False),
    ("\\", "C:\\path", True),
    ("\\%", "any", False),
    (" 建设 ", "内蒙古建设有限公司", True),
])
def test_typed_text_is_matched_literally(typed: str, value: str, expected: bool) -> None:
    assert like_matches(contains_pattern(typed), value) is expected
