"""Reviewers at work in the review console's JSON API: take the oldest cases of their desk,
claim, accept, forward to the next level or approve; after a permits case's final approval the
desk prints a 好差评 QR code (page) and the enterprise rates it (JSON API)."""

from __future__ import annotations

import random
import re
from typing import Any

from load import payloads
from load.api import Api

# Preferred action at each step: accept first (待受理), then pass it up, else decide.
PREFERENCE = ("accept", "forward", "approve")
RATE_LINK = re.compile(r"/rate/([A-Za-z0-9_\-]+)")


def work_queue(api: Api, limit: int = 10, rate: bool = True) -> int:
    """Decide what this desk can take from the oldest page of its queue; the cases moved."""
    queue = api.json("review: queue", "GET", "/api/v1/review/cases",
                     params={"limit": str(limit), "sort": "received"})
    moved = 0
    items = list(queue.get("items", []))
    random.shuffle(items)  # several reviewers at one desk: not all on the same oldest case
    for item in items:
        if item.get("claimed_by") and not item.get("mine"):
            continue
        if work_case(api, str(item["id"]), rate):
            moved += 1
    return moved


def work_case(api: Api, case_id: str, rate: bool) -> bool:
    path = f"/api/v1/review/cases/{case_id}"
    claimed = api.call("review: claim", "POST", f"{path}/claim", ok=(200, 403, 409, 422))
    if claimed.status_code != 200:  # another reviewer was faster (409), or already moved it to
        return False                # the next desk (403) or out of the queue (422)
    for _ in range(3):
        detail = api.json("review: case detail", "GET", path)
        allowed = [a["action"] for a in detail.get("allowed_actions", [])]
        action = next((a for a in PREFERENCE if a in allowed), None)
        if action is None:
            return False
        done = api.call(f"review: {action}", "POST", f"{path}/actions", ok=(200, 409, 422),
                        json={"action": action, "comment": "同意"})
        if done.status_code != 200:
            return False
        if action != "accept":
            if rate and action == "approve" and str(detail.get("case_ref", "")).startswith("permits:"):
                rate_case(api, str(detail["case_ref"]))
            return True
    return False


def rate_case(api: Api, case_ref: str) -> None:
    """一事一评: the desk's QR code page for the case, then a rating through the public API."""
    page = api.call("rating: QR code page", "POST", "/ratings/qr",
                    data={"csrf_token": api.csrf, "mode": "case", "case_ref": case_ref})
    found = RATE_LINK.search(page.text)
    if not found:
        raise AssertionError("the QR code page shows no /rate/ link")
    token = found.group(1)
    api.call("rating: form", "GET", f"/api/v1/ratings/{token}")
    api.call("rating: submit", "POST", f"/api/v1/ratings/{token}", ok=(201,),
             json=payloads.rating(random.Random()))


def drain(api: Api, passes: int = 400) -> dict[str, Any]:
    """Used after the run: work the desk until its queue stays empty (bounded)."""
    total, empty = 0, 0
    for _ in range(passes):
        moved = work_queue(api, limit=50, rate=False)
        total += moved
        empty = empty + 1 if moved == 0 else 0
        if empty >= 2:
            break
        if moved == 0:
            api.sleep(2.0)
    return {"moved": total}
