"""The kit of a service that asks review for a case (docs/contracts.md, "Review cases"):
request the case (``<producer>.review_requested``), withdraw it (``review_withdrawn``), and
take review's answers (``case_accepted`` … ``case_closed``) to the subject they are about,
mapped through the service's own state table.

A producer describes its side once, as a :class:`CaseDesk` (its name, its case_ref prefix, how
it finds the subject of a case), and writes per answer only what the answer changes::

    DESK = CaseDesk("permits", CASE_REF_PREFIX, lambda uow, ref: uow.apps.by_case_ref(ref))

    def on_case_accepted(deps, body):
        DESK.answer(deps.begin, "case_accepted", body, lambda uow, app, data: ...)

:func:`follow` applies the actions a state table maps an answer to (``table(event_type, data,
state) -> [(action, level), ...]``, pure and tested beside the table), each through the
service's own step (history, event, audit). Nothing here knows a service's tables or rows.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.common.contracts.review import (
    CASE_ACCEPTED,
    CASE_CLOSED,
    CASE_DECIDED,
    CASE_STEP_CHANGED,
    CORRECTION_REQUESTED,
)
from services.common.envelope import EventSpec
from services.common.errors import Forbidden, InvalidTransition, ServiceError
from services.common.events import reliable_event_handler

log = logging.getLogger(__name__)

ANSWERS: dict[str, EventSpec] = {
    spec.type: spec
    for spec in (CASE_ACCEPTED, CASE_STEP_CHANGED, CORRECTION_REQUESTED, CASE_DECIDED, CASE_CLOSED)
}
TITLE_CHARS = 300
DEFAULT_REGION = "150000"

# table(event_type, data, state) -> the (action, level) steps review's answer maps to
Table = Callable[[str, dict, Any], Sequence[tuple[str, str | None]]]


@dataclass(frozen=True)
class CaseDesk:
    """One producer's side of its review cases."""

    service: str  # consumer names are "<service>.on_<event type>"
    prefix: str  # the case_ref prefix of this producer's cases
    find: Callable[[Any, str], Any]  # (uow, case_ref) -> the case's subject (locked) or None

    def owns(self, case_ref: str) -> bool:
        return str(case_ref or "").startswith(self.prefix)

    def subject(self, uow: Any, envelope: dict, event_type: str) -> Any:
        """The subject of review's answer, once: None for another producer's case, an answer
        already handled (claimed), or a case nobody here knows (logged)."""
        case_ref = envelope["data"]["case_ref"]
        if not self.owns(case_ref):
            return None  # another producer's case
        if not uow.claim_event(envelope["id"], f"{self.service}.on_{event_type}"):
            return None
        found = self.find(uow, case_ref)
        if found is None:
            log.warning("review answered for unknown case %s", case_ref)
        return found

    def answer(
        self,
        begin: Callable[[], AbstractContextManager[Any]],
        event_type: str,
        body: dict,
        apply: Callable[[Any, Any, dict], None],
    ) -> None:
        """Parse review's answer, find its subject and ``apply(uow, subject, data)`` in one
        transaction; the claim commits with it (a redelivery changes nothing)."""
        envelope = ANSWERS[event_type].parse(body)
        with begin() as uow:
            found = self.subject(uow, envelope, event_type)
            if found is not None:
                apply(uow, found, envelope["data"])
            uow.commit()


def answer_entrypoints(answers: Any) -> type:
    """A mixin for the service class: review's five answers as reliable event handlers, each
    one line into ``answers`` (the service's module with ``on_case_accepted(deps, body)`` …
    ``on_case_closed``); the service provides ``deps``."""

    class ReviewAnswers:
        deps: Any

        @reliable_event_handler("review", "case_accepted")
        def on_case_accepted(self, body: dict) -> None:
            return answers.on_case_accepted(self.deps, body)

        @reliable_event_handler("review", "case_step_changed")
        def on_case_step_changed(self, body: dict) -> None:
            return answers.on_case_step_changed(self.deps, body)

        @reliable_event_handler("review", "correction_requested")
        def on_correction_requested(self, body: dict) -> None:
            return answers.on_correction_requested(self.deps, body)

        @reliable_event_handler("review", "case_decided")
        def on_case_decided(self, body: dict) -> None:
            return answers.on_case_decided(self.deps, body)

        @reliable_event_handler("review", "case_closed")
        def on_case_closed(self, body: dict) -> None:
            return answers.on_case_closed(self.deps, body)

    return ReviewAnswers


def follow(
    table: Table,
    event_type: str,
    data: dict,
    state: Any,
    step: Callable[[str, str | None], Any],
    refused: Callable[[ServiceError], None] | None = None,
) -> bool:
    """Apply the steps ``table`` maps review's answer to; False when there are none. A step
    the subject cannot take raises, unless ``refused`` records it (review is the authority on
    the case: a state the subject cannot follow is recorded rather than retried for ever)."""
    steps = table(event_type, data, state)
    if not steps:
        return False
    try:
        for action, level in steps:
            step(action, level)
    except (InvalidTransition, Forbidden) as exc:
        if refused is None:
            raise
        refused(exc)
        return False
    return True


def attachment_refs(rows: Iterable[Any], label: Callable[[Any], str] | None = None) -> list[dict[str, str]]:
    """The files a case is sent with (review names an attachment by this id in its answers)."""
    return [
        {
            "id": str(row.id),
            "label": label(row) if label else row.label,
            "filename": row.filename,
            "sha256": row.sha256,
        }
        for row in rows
    ]


def request(
    uow: Any,
    spec: EventSpec,
    *,
    case_ref: str,
    case_type: str,
    enterprise_id: object,
    enterprise_name: str,
    region_code: str | None,
    title: str,
    revision: int,
    fields: dict[str, Any],
    attachments: list[dict[str, str]],
    submitted_at: datetime,
    lane: str = "normal",
    time_limit_days: int | None = None,
    owed: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Ask review for the case (or its next revision): ``<producer>.review_requested`` v1;
    ``owed``: what a 容缺受理 case still owes and by when (code, name, deadline)."""
    data = {
        "case_ref": case_ref,
        "case_type": case_type,
        "lane": lane,
        "enterprise_id": str(enterprise_id),
        "enterprise_name": enterprise_name,
        "region_code": region_code or DEFAULT_REGION,
        "title": title.strip()[:TITLE_CHARS],
        "revision": revision,
        "time_limit_days": time_limit_days,
        "fields": fields,
        "attachments": attachments,
        "submitted_at": submitted_at,
    }
    if owed is not None:
        data["owed"] = owed
    uow.add_event(spec, data)
    return data


def withdraw(uow: Any, spec: EventSpec, case_ref: str, reason: str, by: str, outcome: str) -> None:
    """Tell review the case is withdrawn (``withdrawn``) or ends (``terminated``)."""
    uow.add_event(spec, {"case_ref": case_ref, "reason": reason, "by": by, "outcome": outcome})


def named_attachment(item: dict, lookup: Callable[[uuid.UUID], Any], owns: Callable[[Any], bool]) -> Any:
    """The file a correction item names (review names an attachment by the id it was sent
    with), if it is one of the subject's; None for a name that is no id or not the subject's."""
    try:
        found = lookup(uuid.UUID(str(item["name"])))
    except ValueError:
        return None
    return found if found is not None and owns(found) else None
