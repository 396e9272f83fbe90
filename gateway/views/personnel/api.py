"""The JSON API of 人员管理 (/api/v1/personnel)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from gateway.clients.personnel import PersonnelClient
from gateway.http import INVALID_JSON, json_body, json_response
from gateway.views.personnel.common import STAFF_KINDS, PersonnelBase, _upload_body
from services.common.access import actor_from_account

Rpc = Callable[..., Any]
"""A PersonnelClient method taken from the class (``PersonnelClient.get_person``): called with the
request's client first."""


class PersonnelApi(PersonnelBase):
    """/api/v1/personnel views."""

    # ---- JSON API --------------------------------------------------------------------------------
    def _api_read(self, request: Request, method: Rpc, *args: Any, staff: bool = False) -> Response:
        """personnel.<method>(actor, *args) as JSON; ``method`` is a PersonnelClient method."""
        return json_response(method(self._pn(request), self._pn_actor(request, staff=staff), *args), 200)

    def _api_write(
        self,
        request: Request,
        method: Rpc,
        *args: Any,
        status: int = 200,
        person: bool = False,
        shape: Any = None,
    ) -> Response:
        """A JSON change: write permission, X-CSRF-Token, a JSON body (400 if not), then
        personnel.<method>(actor, *args, shape(body)); ``shape`` None passes the body as is,
        False passes nothing."""
        actor = self._person_actor(request) if person else self._pn_actor(request, write=True)
        payload = json_body(request) if request.data else {}
        if payload is None:
            return json_response(INVALID_JSON, 400)
        tail = [] if shape is False else [payload if shape is None else shape(payload)]
        return json_response(method(self._pn(request), actor, *args, *tail), status)

    def on_api_personnel_catalogue(self, request: Request) -> Response:
        actor = self._pn_actor(request, staff=True)
        return json_response(self._catalogue(request, actor), 200)

    def on_api_personnel_people(self, request: Request) -> Response:
        if request.method == "GET":
            query = {
                k: request.args[k] for k in ("q", "type_code", "status", "cursor") if request.args.get(k)
            }
            if request.args.get("limit", "").isdigit():
                query["limit"] = int(request.args["limit"])
            return self._api_read(request, PersonnelClient.list_people, query)
        return self._api_write(request, PersonnelClient.create_person, status=201)

    def on_api_personnel_person(self, request: Request, person_id: str) -> Response:
        if request.method == "GET":
            return self._api_read(request, PersonnelClient.get_person, person_id)
        return self._api_write(request, PersonnelClient.update_person, person_id)

    def on_api_personnel_photo(self, request: Request, person_id: str) -> Response:
        return self._api_write(request, PersonnelClient.upload_photo, person_id, shape=_upload_body)

    def on_api_personnel_record_new(self, request: Request, person_id: str) -> Response:
        return self._api_write(request, PersonnelClient.add_certificate_record, person_id, status=201)

    def on_api_personnel_certificate(self, request: Request, certificate_id: str) -> Response:
        if request.method == "GET":
            return self._api_read(request, PersonnelClient.certificate, certificate_id, staff=True)
        return self._api_write(request, PersonnelClient.update_certificate_record, certificate_id)

    def on_api_personnel_declarations(self, request: Request) -> Response:
        if request.method == "POST":
            return self._api_write(request, PersonnelClient.new_declaration, status=201)
        args = request.args
        query: dict[str, Any] = {
            k: args[k] for k in ("batch_id", "type_code", "kind", "status", "q", "cursor") if args.get(k)
        }
        for flag in ("reported", "batch"):
            if args.get(flag) in ("0", "1"):
                query[flag] = args[flag] == "1"
        if args.get("limit", "").isdigit():
            query["limit"] = int(args["limit"])
        return self._api_read(request, PersonnelClient.list_declarations, query)

    def on_api_personnel_declaration(self, request: Request, declaration_id: str) -> Response:
        if request.method == "GET":
            return self._api_read(request, PersonnelClient.get_declaration, declaration_id, staff=True)
        return self._api_write(request, PersonnelClient.update_declaration, declaration_id)

    def on_api_personnel_attachment(self, request: Request, declaration_id: str, code: str) -> Response:
        return self._api_write(
            request, PersonnelClient.upload_declaration_attachment, declaration_id, code, shape=_upload_body
        )

    def on_api_personnel_action(self, request: Request, declaration_id: str, action: str) -> Response:
        if action == "resubmit":
            return self._api_write(request, PersonnelClient.resubmit_declaration, declaration_id, shape=False)
        if action == "cancel":
            return self._api_write(
                request,
                PersonnelClient.cancel_declaration,
                declaration_id,
                shape=lambda p: str(p.get("reason") or ""),
            )
        if action == "withdrawal-decision":
            return self._api_write(
                request,
                PersonnelClient.decide_withdrawal,
                declaration_id,
                shape=lambda p: {"agree": bool(p.get("agree")), "reason": p.get("reason") or ""},
            )
        return self._api_write(request, PersonnelClient.correct_qualification, declaration_id)

    def on_api_personnel_bulk(self, request: Request, action: str) -> Response:
        method = {
            "delete": PersonnelClient.delete_declarations,
            "return": PersonnelClient.return_declarations,
            "commitment": PersonnelClient.open_commitment,
            "report": PersonnelClient.report,
        }[action]
        return self._api_write(request, method)

    def on_api_personnel_file(self, request: Request, attachment_id: str) -> Response:
        return self.on_personnel_file(request, attachment_id)

    def on_api_personnel_batches(self, request: Request) -> Response:
        if request.method == "GET":
            query = (
                {"reported": request.args["reported"] == "1"}
                if request.args.get("reported") in ("0", "1")
                else {}
            )
            return self._api_read(request, PersonnelClient.list_batches, query)
        return self._api_write(request, PersonnelClient.create_batch, status=201)

    def on_api_personnel_batch(self, request: Request, batch_id: str) -> Response:
        return self._api_read(request, PersonnelClient.get_batch, batch_id)

    def on_api_personnel_batch_action(self, request: Request, batch_id: str, action: str) -> Response:
        method = PersonnelClient.add_to_batch if action == "add" else PersonnelClient.remove_from_batch
        return self._api_write(request, method, batch_id)

    def on_api_personnel_transfers(self, request: Request) -> Response:
        if request.method == "GET":
            direction = request.args.get("direction")
            return self._api_read(
                request,
                PersonnelClient.list_transfers,
                {"direction": direction if direction in ("incoming", "outgoing") else None},
            )
        return self._api_write(request, PersonnelClient.transfer_out, status=201)

    def on_api_personnel_transfer_decision(self, request: Request) -> Response:
        return self._api_write(request, PersonnelClient.decide_transfers)

    def on_api_personnel_transfer_action(self, request: Request, transfer_id: str, action: str) -> Response:
        if action == "return":
            return self._api_write(
                request,
                PersonnelClient.return_transfer,
                transfer_id,
                shape=lambda p: str(p.get("reason") or ""),
            )
        method = {"accept": PersonnelClient.accept_transfer,
                  "cancel": PersonnelClient.cancel_transfer}[action]
        return self._api_write(request, method, transfer_id, shape=False)

    def on_api_personnel_re_registration(self, request: Request) -> Response:
        return self._api_read(
            request,
            PersonnelClient.find_for_re_registration,
            {k: request.args.get(k, "").strip() for k in ("type_code", "name", "id_number")},
        )

    def on_api_personnel_expiring(self, request: Request) -> Response:
        days = request.args.get("within_days", "90")
        query: dict[str, Any] = {"within_days": int(days) if days.isdigit() else 90}
        if request.args.get("type_code"):
            query["type_code"] = request.args["type_code"]
        return self._api_read(request, PersonnelClient.expiring, query)

    def on_api_personnel_registered(self, request: Request) -> Response:
        query: dict[str, Any] = self._registered_filters(request)
        if request.args.get("cursor"):
            query["cursor"] = request.args["cursor"]
        if request.args.get("limit", "").isdigit():
            query["limit"] = int(request.args["limit"])
        return self._api_read(request, PersonnelClient.search_registered, query, staff=True)

    def on_api_personnel_export(self, request: Request) -> Response:
        return self.on_personnel_export(request)

    def _api_staff_write(self, request: Request, method: Rpc, *args: Any) -> Response:
        actor = actor_from_account(self.require(request, kinds=STAFF_KINDS))
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(method(self._pn(request), actor, *args, payload), 200)

    def on_api_personnel_appeal_close(self, request: Request, appeal_id: str) -> Response:
        return self._api_staff_write(request, PersonnelClient.close_appeal, appeal_id)

    def on_api_personnel_appeals(self, request: Request) -> Response:
        if request.method == "POST":
            return self._api_staff_write(request, PersonnelClient.raise_anomaly)
        query = {"status": request.args["status"]} if request.args.get("status") else {}
        return self._api_read(request, PersonnelClient.list_appeals, query, staff=True)

    def on_api_personnel_appeal_answer(self, request: Request, appeal_id: str) -> Response:
        return self._api_write(request, PersonnelClient.answer_appeal, appeal_id)

    def on_api_personal_declarations(self, request: Request) -> Response:
        if request.method == "POST":
            return self._api_write(request, PersonnelClient.new_personal_declaration, person=True, status=201)
        return json_response(self._pn(request).my_declarations(self._person_actor(request)), 200)

    def on_api_personal_certificates(self, request: Request) -> Response:
        return json_response(self._pn(request).my_certificates(self._person_actor(request)), 200)

    def on_api_personal_withdraw(self, request: Request, declaration_id: str) -> Response:
        return self._api_write(
            request,
            PersonnelClient.request_withdrawal,
            declaration_id,
            person=True,
            shape=lambda p: str(p.get("reason") or ""),
        )

    def on_api_personal_transfer(self, request: Request) -> Response:
        if request.method == "GET":
            return json_response(self._pn(request).my_transfers(self._person_actor(request)), 200)
        return self._api_write(request, PersonnelClient.request_transfer, person=True, status=201)
