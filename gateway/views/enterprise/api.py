"""The JSON API of 企业信息 (/api/v1/enterprise, /api/v1/registration, /api/v1/organisations)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from gateway.clients.enterprise import EnterpriseClient
from gateway.http import INVALID_JSON, json_body, json_response
from gateway.views.enterprise.common import EnterpriseBase
from services.common.access import actor_from_account


class EnterpriseApi(EnterpriseBase):
    """/api/v1/enterprise views."""

    # ---- JSON API ----------------------------------------------------------------------------------
    def _own_read(self, request: Request, method: Callable[..., Any], *args: Any) -> Response:
        """GET for the actor's own enterprise: enterprise.<method>(actor, enterprise_id, *args);
        ``method`` is an EnterpriseClient method taken from the class."""
        actor = self._ent_actor(request)
        return json_response(method(self.clients(request).enterprise, actor, actor["enterprise_id"], *args),
                             200)

    def _own_write(self, request: Request, method: Callable[..., Any], *args: Any, status: int = 200,
                   shape: Callable[[dict], dict] = lambda payload: payload) -> Response:
        """A JSON change to the actor's own enterprise: write permission, X-CSRF-Token, a JSON
        body (400 if not), then enterprise.<method>(actor, enterprise_id, *args, shape(body))."""
        actor = self._ent_actor(request, write=True)
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(
            method(self.clients(request).enterprise, actor, actor["enterprise_id"], *args, shape(payload)),
            status)

    def on_api_enterprise(self, request: Request) -> Response:
        if request.method == "GET":
            return self._own_read(request, EnterpriseClient.get_enterprise)
        return self._own_write(request, EnterpriseClient.update_basic_info)

    def on_api_enterprise_summary(self, request: Request) -> Response:
        return self._own_read(request, EnterpriseClient.summary)

    def on_api_enterprise_history(self, request: Request) -> Response:
        return self._own_read(request, EnterpriseClient.change_history, dict(request.args))

    def on_api_enterprise_changes(self, request: Request) -> Response:
        if request.method == "GET":
            return self._own_read(request, EnterpriseClient.list_change_requests)
        return self._own_write(request, EnterpriseClient.request_change, status=201)

    def on_api_enterprise_attachments(self, request: Request) -> Response:
        return self._own_write(request, EnterpriseClient.upload_attachment, status=201)

    def on_api_registration_profile(self, request: Request) -> Response:
        actor = actor_from_account(self.require(request, kinds=("enterprise",), allow_registering=True))
        if request.method == "GET":
            return json_response(
                self.clients(request).enterprise.registration_profile(actor, actor["enterprise_id"]), 200
            )
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(
            self.clients(request).enterprise.save_registration_profile(actor, payload), 200
        )

    def on_api_registration_submit(self, request: Request) -> Response:
        actor = actor_from_account(self.require(request, kinds=("enterprise",), allow_registering=True))
        return json_response(self.clients(request).enterprise.submit_registration_profile(actor), 200)

    def on_api_enterprise_section(self, request: Request, section: str) -> Response:
        if request.method == "GET":
            return self._own_read(request, EnterpriseClient.list_records, section, dict(request.args))
        # POST creates: an id in the body is ignored
        return self._own_write(request, EnterpriseClient.save_record, section, status=201,
                               shape=lambda payload: {k: v for k, v in payload.items() if k != "id"})

    def on_api_enterprise_record(self, request: Request, section: str, record_id: str) -> Response:
        if request.method == "GET":
            return self._own_read(request, EnterpriseClient.get_record, section, record_id)
        if request.method == "DELETE":
            actor = self._ent_actor(request, write=True)
            return json_response(
                self.clients(request).enterprise.delete_record(
                    actor, actor["enterprise_id"], section, record_id
                ),
                200,
            )
        return self._own_write(request, EnterpriseClient.save_record, section,
                               shape=lambda payload: {**payload, "id": record_id})

    def on_api_enterprise_of(self, request: Request, enterprise_id: str) -> Response:
        """One enterprise's basic info by id: the enterprise itself, reviewers and admins (audited)."""
        actor = self.actor_for_rpc(request)
        if actor["kind"] == "sub":
            self.require(request, module="enterprise")
        return json_response(self.clients(request).enterprise.get_enterprise(actor, enterprise_id), 200)

    def on_api_enterprise_of_section(self, request: Request, enterprise_id: str, section: str) -> Response:
        actor = self.actor_for_rpc(request)
        if actor["kind"] == "sub":
            self.require(request, module="enterprise")
        return json_response(
            self.clients(request).enterprise.list_records(
                actor, enterprise_id, section, dict(request.args)
            ),
            200,
        )

    def on_api_organisations(self, request: Request) -> Response:
        actor = self.actor_for_rpc(request)
        return json_response(
            self.clients(request).enterprise.search_organisations(actor, request.args.get("q", "")), 200
        )
