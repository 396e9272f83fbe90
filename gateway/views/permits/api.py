"""The JSON API of 资质许可 (/api/v1/permits, /api/v1/verify)."""

from __future__ import annotations

from typing import Any

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from gateway.clients.permits import PermitsClient
from gateway.http import INVALID_JSON, json_body, json_response
from gateway.views.forms import api_upload
from gateway.views.permits.common import API_ACTIONS, PermitsBase


class PermitsApi(PermitsBase):
    """/api/v1/permits views."""

    # ---- JSON API --------------------------------------------------------------------------------
    def on_api_permits_catalogue(self, request: Request) -> Response:
        actor = self.actor_for_rpc(request)
        return json_response(self._permits(request).catalogue_types(actor), 200)

    def on_api_permits_type(self, request: Request, type_code: str) -> Response:
        actor = self.actor_for_rpc(request)
        return json_response(self._permits(request).catalogue_type(actor, type_code), 200)

    def on_api_permits_applications(self, request: Request) -> Response:
        if request.method == "GET":
            actor = self._permits_actor(request)
            query: dict[str, Any] = {"state_group": request.args.get("state_group") or "all"}
            if request.args.get("batched") in ("0", "1"):
                query["batched"] = request.args["batched"] == "1"
            return json_response(self._permits(request).list_applications(actor, query), 200)
        actor = self._permits_actor(request, write=True)
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        key = request.headers.get("X-Idempotency-Key")
        if key:
            payload["request_key"] = key[:64]
        return json_response(self._permits(request).create_draft(actor, payload), 201)

    def on_api_permits_application(self, request: Request, application_id: str) -> Response:
        if request.method == "GET":
            actor = self._permits_actor(request)
            return json_response(self._permits(request).get_application(actor, application_id), 200)
        actor = self._permits_actor(request, write=True)
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(
            self._permits(request).update_draft(actor, application_id, payload), 200
        )

    def on_api_permits_action(self, request: Request, application_id: str, action: str) -> Response:
        actor = self._permits_actor(request, write=True)
        payload = json_body(request) if request.data else {}
        if payload is None:
            return json_response(INVALID_JSON, 400)
        method = API_ACTIONS[action]
        version = payload.get("version")
        args: list[Any] = [actor, application_id]
        if method in (PermitsClient.submit, PermitsClient.resubmit):
            args += [request.headers.get("X-Idempotency-Key") or payload.get("idempotency_key"), version]
        elif method in (PermitsClient.withdraw, PermitsClient.terminate):
            args.append(payload.get("reason") or "")
        elif method is PermitsClient.upload_signed_scan:
            args += [
                api_upload(payload),
                version,
            ]
        elif method not in (PermitsClient.discard, PermitsClient.open_commitment):
            args.append(version)
        return json_response(method(self._permits(request), *args), 200)

    def on_api_permits_correction(self, request: Request, application_id: str) -> Response:
        actor = self._permits_actor(request, write=True)
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        values = payload.get("values") if isinstance(payload.get("values"), dict) else {}
        return json_response(self._permits(request).update_correction(actor, application_id,
                                       values, payload.get("version")), 200)

    def on_api_permits_lanes(self, request: Request, type_code: str) -> Response:
        actor = self._permits_actor(request)
        kind = request.args.get("kind") or "new"
        return json_response(self._permits(request).lane_options(actor, type_code, kind), 200)

    def on_api_permits_material(self, request: Request, application_id: str, code: str) -> Response:
        actor = self._permits_actor(request, write=True)
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        upload = api_upload(payload)
        return json_response(
            self._permits(request).upload_material(actor, application_id, code, upload), 200
        )

    def on_api_permits_file(self, request: Request, attachment_id: str) -> Response:
        actor = self.actor_for_rpc(request)
        return redirect(
            self._permits(request).attachment_url(actor, attachment_id)["url"], code=303
        )

    def on_api_permits_batches(self, request: Request) -> Response:
        if request.method == "GET":
            actor = self._permits_actor(request)
            return json_response(self._permits(request).list_batches(actor), 200)
        actor = self._permits_actor(request, write=True)
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(
            self._permits(request).create_batch(actor, payload.get("name") or ""), 201
        )

    def on_api_permits_batch(self, request: Request, batch_id: str) -> Response:
        actor = self._permits_actor(request)
        return json_response(self._permits(request).get_batch(actor, batch_id), 200)

    def on_api_permits_batch_action(self, request: Request, batch_id: str, action: str) -> Response:
        actor = self._permits_actor(request, write=True)
        payload = json_body(request) if request.data else {}
        if payload is None:
            return json_response(INVALID_JSON, 400)
        if action in ("add", "remove"):
            client = self._permits(request)
            change = client.add_to_batch if action == "add" else client.remove_from_batch
            result = change(actor, batch_id, payload.get("application_id") or "")
        elif action == "submit":
            result = self._permits(request).submit_batch(
                actor, batch_id, request.headers.get("X-Idempotency-Key")
            )
        else:
            result = self._permits(request).delete_batch(actor, batch_id)
        return json_response(result, 200)

    def on_api_permits_licences(self, request: Request) -> Response:
        actor = self._permits_actor(request)
        return json_response(self._permits(request).my_licences(actor), 200)

    def on_api_permits_credit(self, request: Request) -> Response:
        actor = self.actor_for_rpc(request, kinds=("reviewer", "admin"))
        if request.method == "GET":
            return json_response(self._permits(request).credit_register(actor), 200)
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(self._permits(request).set_credit(actor, payload), 200)

    def on_api_verify_licence(self, request: Request, token: str) -> Response:
        return json_response(self._permits(request).verify_licence(token), 200)
