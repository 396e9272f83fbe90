"""The enterprises' records permits asked last, kept by records version (issue 17 item 2).

``enterprise.records_for_precheck`` answers the whole of an enterprise's records (profile,
finance, every staff member with certificates, projects, equipment); permits asks it on every
pre-check, submit, resubmit, 申报表 and re-check. Its ``records_version`` bumps on every change
(docs/contracts.md, "Enterprise records for other services"), so one version's records never
change: permits sends the version it holds (``known_version``) and enterprise answers
``{"unchanged": true, "records_version": N}`` after reading the enterprise's row alone when it
is still current, or the full records when not. Still one RPC each time (never a stale
answer: the version is enterprise's own, read when asked), but not the records themselves.

One cache per permits process (shared by its workers: eventlet, one thread), at most
``size`` enterprises, least recently asked dropped first. The records are kept as JSON text
and each caller gets its own copy, so no caller can change another's.
"""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

# ask(enterprise_id, known_version) -> records_for_precheck's answer
Ask = Callable[[uuid.UUID, int | None], dict[str, Any]]


class RecordsCache:
    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._entries: OrderedDict[uuid.UUID, tuple[int, str]] = OrderedDict()

    def records(self, enterprise_id: uuid.UUID, ask: Ask) -> dict[str, Any]:
        """The enterprise's current records (a fresh copy), asked with the version held."""
        held = self._entries.get(enterprise_id)
        answer = ask(enterprise_id, held[0] if held else None)
        if answer.get("unchanged"):
            if held is not None and answer.get("records_version") == held[0]:
                self._entries.move_to_end(enterprise_id)
                return json.loads(held[1])
            answer = ask(enterprise_id, None)  # dropped meanwhile (or not ours): the full records
        self.keep(enterprise_id, answer)
        return answer

    def keep(self, enterprise_id: uuid.UUID, answer: dict[str, Any]) -> None:
        version = answer.get("records_version")
        if not isinstance(version, int) or answer.get("unchanged"):
            return
        try:
            text = json.dumps(answer, ensure_ascii=False)
        except TypeError:  # not an RPC answer (JSON already): not kept
            return
        self._entries[enterprise_id] = (version, text)
        self._entries.move_to_end(enterprise_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
