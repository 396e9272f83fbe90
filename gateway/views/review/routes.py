"""The URL rules of 审核 (审核工作台 under /review, the enterprise's side, the API)."""

from __future__ import annotations

from werkzeug.routing import Rule

ROUTES = [
    Rule("/review/cases", endpoint="review_queue", methods=["GET"]),
    Rule("/review/cases/batch", endpoint="review_batch", methods=["POST"]),
    Rule("/review/cases/<case_id>", endpoint="review_case", methods=["GET"]),
    Rule(
        "/review/cases/<case_id>/<any(claim, release, act, assign, extend, rectification):op>",
        endpoint="review_case_op",
        methods=["POST"],
    ),
    Rule("/review/cases/<case_id>/print", endpoint="review_case_print", methods=["GET"]),
    Rule("/review/workload", endpoint="review_workload", methods=["GET"]),
    Rule("/review/delegations", endpoint="review_delegations", methods=["GET", "POST"]),
    Rule("/review/delegations/<int:delegation_id>/revoke", endpoint="review_revoke", methods=["POST"]),
    Rule("/admin/campaigns", endpoint="review_campaigns", methods=["GET", "POST"]),
    Rule("/cases", endpoint="my_cases", methods=["GET"]),
    Rule("/cases/<path:case_key>/history", endpoint="my_case_history", methods=["GET"]),
    Rule("/rectifications/<int:rect_id>", endpoint="my_rectification", methods=["POST"]),
    Rule("/self-inspections/<target_id>", endpoint="my_self_inspection", methods=["GET", "POST"]),
    Rule("/review/attachments/<attachment_id>", endpoint="review_attachment", methods=["GET"]),
    Rule("/api/v1/review/attachments/<attachment_id>", endpoint="api_review_attachment", methods=["GET"]),
    Rule("/api/v1/review/cases", endpoint="api_review_queue", methods=["GET"]),
    Rule("/api/v1/review/cases/<case_id>", endpoint="api_review_case", methods=["GET"]),
    *(
        Rule(
            f"/api/v1/review/cases/<case_id>/{op}",
            endpoint="api_review_case_op",
            methods=["POST"],
            defaults={"op": op},
        )
        for op in ("claim", "release", "assign", "actions", "extension", "rectification")
    ),
    Rule("/api/v1/review/batch", endpoint="api_review_batch", methods=["POST"]),
    Rule("/api/v1/review/workload", endpoint="api_review_workload", methods=["GET"]),
    Rule("/api/v1/review/delegations", endpoint="api_review_delegations", methods=["GET", "POST"]),
    Rule(
        "/api/v1/review/delegations/<int:delegation_id>",
        endpoint="api_review_delegation",
        methods=["DELETE"],
    ),
    Rule("/api/v1/review/campaigns", endpoint="api_review_campaigns", methods=["GET", "POST"]),
    Rule("/api/v1/review/my-cases", endpoint="api_my_cases", methods=["GET"]),
    Rule("/api/v1/review/my-cases/<path:case_key>/history", endpoint="api_my_case_history",
        methods=["GET"]),
    Rule("/api/v1/review/todos", endpoint="api_my_todos", methods=["GET"]),
    Rule(
        "/api/v1/review/rectifications/<int:rect_id>/evidence",
        endpoint="api_my_rectification",
        methods=["POST"],
    ),
    Rule(
        "/api/v1/review/self-inspections/<target_id>",
        endpoint="api_my_self_inspection",
        methods=["GET", "POST"],
    ),
]
