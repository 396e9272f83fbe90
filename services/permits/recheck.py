"""The platform's own re-check of an application after the enterprise's records changed
(enterprise.records_changed, issue 13). Pure: the stored state and pre-check, the fresh
records' version and outcome come in; what to write (or nothing) comes out.

Why the re-check does not bump the application's ``version``
------------------------------------------------------------
``applications.version`` is the optimistic lock of *people*: it refuses a second window, a
second sub-account or a replayed page that acts on what it no longer sees (409
``stale_version``, "已被他人修改"). The background re-check is not such a change: it stores a
newer pre-check and, when the outcome or the 申报表 is no longer current, moves the
application back within the draft phase (``lifecycle.after_records_changed``). Counting it as
a version made every enterprise edit refuse the user's own next click (重新预审 included) and
made concurrent re-checks of one application refuse each other (StaleDataError storms, each
retried). So:

- the re-check writes its columns with a plain UPDATE that leaves ``version`` alone
  (``ApplicationRepository.write_recheck``), under the row lock — never a lost update;
- every write by a person loads the application ``FOR UPDATE`` (``usecases._support.load``), so
  it sees the re-check's state and pre-check, and the re-check waits for it (never refused);
- the re-check fetches the records before it locks anything (no RPC under a row lock); the
  re-checks of one enterprise then queue up on one row (``records_rechecks``), where a
  records_changed event not newer than the records last judged is skipped (coalesced), as are
  records older than those a concurrent re-check already judged: the last one judges the last
  records;
- a pre-check is replaced only by one judged on newer records (:func:`is_newer`): a user's
  重新预审 that already saw the latest records is not overwritten by a slower re-check.

A state the re-check moved back is still refused honestly by the next action that needs the
old state (e.g. 提交 after the 申报表 went stale: ``invalid_transition`` with the rule), not
with "someone else changed it".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.permits import lifecycle

# The columns a re-check clears when it sends an application back to draft/prechecked: the
# 申报表 and everything after it shows the old records and must be done again.
FORM_COLUMNS = ("form_attachment_id", "signed_scan_id", "previewed_at", "commitment_opened_at",
                "committed_at")


def is_newer(stored: int | None, fresh: int | None) -> bool:
    """Whether a pre-check on records version ``fresh`` should replace one judged on ``stored``.

    Unknown versions (None) never block: an application never pre-checked takes any outcome,
    and records without a version are judged every time."""
    if fresh is None or stored is None:
        return True
    return fresh > stored


def event_covered(last_rechecked: int | None, event_version: int | None) -> bool:
    """Whether a records_changed event is already covered by a re-check that judged records
    of version ``last_rechecked`` (the same or later records): then it is skipped."""
    if last_rechecked is None or event_version is None:
        return False
    return event_version <= last_rechecked


@dataclass(frozen=True)
class RecheckWrite:
    """What the re-check writes to one application (no ``version`` among them)."""

    columns: dict[str, Any]
    from_state: str
    to_state: str

    @property
    def moved(self) -> bool:
        return self.to_state != self.from_state


def plan(state: str, stored_version: int | None, records_version: int | None,
         precheck: dict[str, Any], now: Any) -> RecheckWrite | None:
    """The re-check's write for an application in ``state`` whose pre-check was judged on
    ``stored_version``, given the fresh ``precheck`` on ``records_version``; None when the
    stored pre-check is as new or newer, or the application left the draft phase."""
    if state not in lifecycle.DRAFT_STATES or not is_newer(stored_version, records_version):
        return None
    new = lifecycle.after_records_changed(state, bool(precheck.get("passed")), form_stale=True)
    columns: dict[str, Any] = {"precheck": precheck, "precheck_records_version": records_version,
                               "prechecked_at": now}
    if new != state:
        columns["state"] = new
        columns["updated_at"] = now
        if new in ("draft", "prechecked"):
            columns.update(dict.fromkeys(FORM_COLUMNS))
    return RecheckWrite(columns, state, new)
