"""The OpenAPI operations of /api/v1/review and the enterprise's side of review
(gateway/openapi.py turns them into the document)."""

from __future__ import annotations

from gateway.apischemas.common import AnyObject
from gateway.openapi import Op, query
from gateway.views.review.apischemas import (
    QueueQuery,
    ReviewAction,
    ReviewAssign,
    ReviewBatch,
    ReviewCampaign,
    ReviewDelegation,
    ReviewEvidence,
    ReviewExtension,
    ReviewResolveRectification,
    ReviewSelfInspection,
)

ERRORS = (401, 403, 404, 409, 422)


def _op(route: str, summary: str, body: type | None = None, ok: int = 200, params: tuple = ()) -> Op:
    """Every review answer is a JSON object; the refusals are the same for all."""
    return Op(route, summary, body=body, ok=ok, result=AnyObject, errors=ERRORS, params=params)


CASE = "/api/v1/review/cases/{case_id}"
OPERATIONS = [
    _op("GET /api/v1/review/cases", "The reviewer's desk queue (keyset pages)", params=(query(QueueQuery),)),
    _op(f"GET {CASE}", "A case: fields, attachments, diff, history, clock"),
    _op(f"POST {CASE}/claim", "Claim a case (exactly one of racing reviewers wins)"),
    _op(f"POST {CASE}/release", "Release a claimed case"),
    _op(f"POST {CASE}/assign", "Assign / reassign to a reviewer of the same desk", ReviewAssign),
    _op(f"POST {CASE}/actions", "An opinion: accept / approve / forward / reject / correction / "
        "rectification / return", ReviewAction),
    _op(f"POST {CASE}/extension", "Extend the statutory time limit with a reason", ReviewExtension),
    _op(f"POST {CASE}/rectification", "Close or escalate a rectification", ReviewResolveRectification),
    _op("POST /api/v1/review/batch", "Approve / forward / return many cases; a result per item", ReviewBatch),
    _op("GET /api/v1/review/workload", "Open cases per reviewer of the desk (admins: per desk); done per "
        "reviewer and desk in ?from=&to= (dates), with the average handling time against the legal limit"),
    _op("GET /api/v1/review/delegations", "Delegations involving me (admins: my desk)"),
    _op("POST /api/v1/review/delegations", "Delegate my cases to a colleague between two dates",
        ReviewDelegation, 201),
    _op("DELETE /api/v1/review/delegations/{delegation_id}", "Revoke a delegation"),
    _op("GET /api/v1/review/campaigns", "Self-inspection campaigns (admins)"),
    _op("POST /api/v1/review/campaigns", "Start a self-inspection campaign (admins)", ReviewCampaign, 201),
    _op("GET /api/v1/review/my-cases", "The enterprise's review cases with their clocks"),
    _op("GET /api/v1/review/my-cases/{case_key}/history",
        "审核历史 and 跟踪 of one case (case id or case_ref)"),
    _op("GET /api/v1/review/todos", "我的待办: corrections, rectifications, self-inspections"),
    Op("GET /api/v1/review/attachments/{attachment_id}", "Download 整改 evidence or a 自查 material (303 to "
       "a short-lived URL)", ok=303, errors=(404,)),
    _op("POST /api/v1/review/rectifications/{rect_id}/evidence", "Submit rectification evidence",
        ReviewEvidence),
    _op("GET /api/v1/review/self-inspections/{target_id}", "A self-inspection to do"),
    _op("POST /api/v1/review/self-inspections/{target_id}", "Submit a self-inspection (missing required "
        "items refused)", ReviewSelfInspection),
]
