"""The JSON API of 审核 (/api/v1/review, /api/v1/my)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from gateway.http import INVALID_JSON, json_body, json_response
from gateway.views.review.common import ENTERPRISE, STAFF, ReviewBase


class ReviewApi(ReviewBase):
    """/api/v1/review views."""

    # ---- JSON API ----------------------------------------------------------------------------------
    def _api_payload(self, request: Request) -> dict[str, Any] | None:
        return json_body(request)

    def on_api_review_queue(self, request: Request) -> Response:
        actor = self.review_actor(request)
        return json_response(self._review(request).queue(actor, self._queue_query(request)), 200)

    def on_api_review_case(self, request: Request, case_id: str) -> Response:
        actor = self.review_actor(request)
        return json_response(self._review(request).case_detail(actor, case_id), 200)

    def on_api_review_case_op(self, request: Request, case_id: str, op: str) -> Response:
        actor = self.review_actor(request)
        if op in ("claim", "release"):
            client = self._review(request)
            return json_response((client.claim if op == "claim" else client.release)(actor, case_id), 200)
        payload = self._api_payload(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        client = self._review(request)
        method = {
            "assign": client.assign,
            "actions": client.act,
            "extension": client.extend_clock,
            "rectification": client.resolve_rectification,
        }[op]
        return json_response(method(actor, case_id, payload), 200)

    def on_api_review_batch(self, request: Request) -> Response:
        actor = self.review_actor(request)
        payload = self._api_payload(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(self._review(request).batch_act(actor, payload), 200)

    def on_api_review_workload(self, request: Request) -> Response:
        actor = self.review_actor(request)
        return json_response(self._review(request).workload(actor, self._period(request)), 200)

    def on_api_review_delegations(self, request: Request) -> Response:
        actor = self.review_actor(request)
        if request.method == "GET":
            return json_response(self._review(request).list_delegations(actor), 200)
        payload = self._api_payload(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(self._review(request).delegate(actor, payload), 201)

    def on_api_review_delegation(self, request: Request, delegation_id: int) -> Response:
        actor = self.review_actor(request)
        return json_response(self._review(request).revoke_delegation(actor, delegation_id), 200)

    def on_api_review_campaigns(self, request: Request) -> Response:
        actor = self.review_actor(request, kinds=("admin",))
        if request.method == "GET":
            return json_response(self._review(request).list_campaigns(actor), 200)
        payload = self._api_payload(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(self._review(request).start_campaign(actor, payload), 201)

    def on_api_my_cases(self, request: Request) -> Response:
        actor = self.review_actor(request, kinds=ENTERPRISE)
        return json_response(self._review(request).enterprise_cases(actor), 200)

    def on_api_my_case_history(self, request: Request, case_key: str) -> Response:
        actor = self.review_actor(request, kinds=(*ENTERPRISE, *STAFF))
        return json_response(self._review(request).case_history(actor, case_key), 200)

    def on_api_my_todos(self, request: Request) -> Response:
        actor = self.review_actor(request, kinds=ENTERPRISE)
        return json_response(self._review(request).todos(actor), 200)

    def on_api_my_rectification(self, request: Request, rect_id: int) -> Response:
        actor = self.review_actor(request, kinds=ENTERPRISE)
        payload = self._api_payload(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(self._review(request).submit_rectification(actor, rect_id, payload), 200)

    def on_api_my_self_inspection(self, request: Request, target_id: str) -> Response:
        actor = self.review_actor(request, kinds=ENTERPRISE)
        if request.method == "GET":
            return json_response(self._review(request).self_inspection(actor, target_id), 200)
        payload = self._api_payload(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(
            self._review(request).submit_self_inspection(actor, target_id, payload), 200
        )
