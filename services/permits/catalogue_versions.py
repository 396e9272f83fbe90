"""The versioned business-type catalogue (业务目录维护, issue 16 item 9): the pure rules.

Each catalogue file (a *family*, named by the file's stem: ``pfl_power`` for
``pfl_power.yaml``) is kept as numbered versions in permits' ``catalogue_versions`` table; one
version per family is active, and the active versions together are the catalogue new drafts
use. A version is never changed once stored. An application keeps the version its draft was
made under (``applications.catalogue_version_id``), so a new version never alters its form,
materials, pre-check, time limit or review chain.

Rules here (no database, no nameko; services/permits/catalogue_store.py and
services/permits/usecases/catalogue_admin.py apply them):

- ``seed_steps``: at start, a family without versions gets the shipped YAML as version 1
  (active). When the code's YAML changes, its text becomes the family's next version, active
  only while the family's active version is itself a shipped one: a deploy never replaces what
  an admin published (the admin sees the new shipped version in the history and may activate it).
- ``removal_errors``: a version may not drop a business type the active catalogue has
  (licences and renewals of that type read the active catalogue).
- ``diff_rows``: the unified diff of two versions, line by line, for the page and the API.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

FAMILY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
SOURCES = {"shipped": "随代码发布", "admin": "管理员发布"}
STATUSES = {"active": "当前启用", "retired": "未启用"}
MAX_TEXT = 1_000_000  # characters of one catalogue file
INVALID = "业务目录未通过校验，未发布。请按下列问题（文件：位置：问题）修改后重新提交。"
UNCHANGED = "与当前启用的版本内容相同，无需发布。"
ALREADY_ACTIVE = "该版本已是当前启用的版本。"


def digest(text: str) -> str:
    """The sha256 of a version's text (hex), as stored and shown."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_name(family: str) -> str:
    return f"{family}.yaml"


def family_of(file: str) -> str:
    return file[:-5] if file.endswith(".yaml") else file


@dataclass(frozen=True)
class Stored:
    """A stored version, without its text."""

    id: int
    family: str
    number: int
    sha256: str
    source: str
    status: str


@dataclass(frozen=True)
class SeedStep:
    """Store ``text`` as version ``number`` of ``family``; make it the active one if ``activate``."""

    family: str
    number: int
    text: str
    sha256: str
    activate: bool


def next_number(stored: Iterable[Stored], family: str) -> int:
    return max((s.number for s in stored if s.family == family), default=0) + 1


def active_of(stored: Iterable[Stored], family: str) -> Stored | None:
    return next((s for s in stored if s.family == family and s.status == "active"), None)


def seed_steps(shipped: dict[str, str], stored: Sequence[Stored]) -> list[SeedStep]:
    """What start stores for the shipped files (family → YAML text), given what is stored."""
    steps = []
    for family, text in sorted(shipped.items()):
        sha = digest(text)
        mine = [s for s in stored if s.family == family]
        if any(s.sha256 == sha for s in mine):
            continue  # this text is a version already (maybe not the active one: an admin's choice)
        active = active_of(mine, family)
        steps.append(SeedStep(family, next_number(mine, family), text, sha,
                              activate=active is None or active.source == "shipped"))
    return steps


def removal_errors(family: str, before: Iterable[str], after: Iterable[str]) -> list[str]:
    """Loader-style lines for the business types ``after`` drops from ``before``."""
    return [f"{file_name(family)}: types.{code}: 不能删除已有的业务类型（已有申请或证书按它办理）"
            for code in sorted(set(before) - set(after))]


def diff_rows(old: str, new: str, old_label: str, new_label: str, context: int = 3) -> list[dict[str, str]]:
    """The unified diff of two texts as rows ``{kind, text}``; kind: ``file`` (the header
    lines), ``hunk`` (@@ … @@), ``added``, ``removed``, ``same``. No rows: the same text."""
    rows = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), old_label, new_label,
                                     n=context, lineterm=""):
        if line.startswith(("--- ", "+++ ")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "added"
        elif line.startswith("-"):
            kind = "removed"
        else:
            kind = "same"
        rows.append({"kind": kind, "text": line})
    return rows


def diff_counts(rows: Iterable[dict[str, str]]) -> dict[str, int]:
    """How many lines a diff adds and removes."""
    rows = list(rows)
    return {"added": sum(r["kind"] == "added" for r in rows),
            "removed": sum(r["kind"] == "removed" for r in rows)}


def family_label(types: dict[str, str], system: str) -> str:
    """A family as people name it: its types' names and the source system (PFL, HMQ …)."""
    names = "、".join(types.values()) or "（无业务类型）"
    return f"{names}（{system}）" if system else names
