"""Public pages and operations: home, registration, health, metrics, static, API."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from eventlet.greenpool import GreenPool
from werkzeug.routing import Rule
from werkzeug.utils import redirect, send_from_directory
from werkzeug.wrappers import Request, Response

from gateway import openapi
from gateway.apischemas.account import Account, RegisterAccount
from gateway.http import INVALID_JSON, client_ip, json_body, json_response
from gateway.openapi import IDEMPOTENCY_HEADER, Op
from gateway.rpc import ServiceUnavailable
from gateway.views.forms import kept
from services.common.config import SERVICE_NAMES
from services.common.errors import ServiceError, ValidationFailed

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
REGISTER_FIELDS = ("uscc", "contact_name", "contact_mobile", "email")


class PublicViews:
    ROUTES = [
        Rule("/", endpoint="index", methods=["GET"]),
        Rule("/register", endpoint="register", methods=["GET", "POST"]),
        Rule("/healthz", endpoint="healthz", methods=["GET"]),
        Rule("/static/<path:filename>", endpoint="static", methods=["GET"]),
        Rule("/api/openapi.json", endpoint="api_openapi", methods=["GET"]),
        Rule("/api/v1/accounts", endpoint="api_register", methods=["POST"]),
    ]
    OPENAPI_OPERATIONS = [
        Op("POST /api/v1/accounts", "Register an enterprise account (step 1)", body=RegisterAccount,
           ok=201, result=Account, params=(IDEMPOTENCY_HEADER,), errors=(400, 422, 429, 503)),
        Op("GET /healthz", "Health of all six services", errors=(), answers=((503, "degraded", None),)),
    ]
    # HTTP -> RPC -> reply with no work: the benchmarks' baseline. Off unless configured.
    ECHO_ROUTE = Rule("/_echo", endpoint="echo", methods=["GET"])

    def on_index(self, request: Request) -> Response:
        account = self.current_actor(request)
        if account is not None:
            return self.start_page(request, account)  # gateway/views/home.py
        return self.render(request, "index.html")

    def on_register(self, request: Request) -> Response:
        session = request.session
        if request.method == "GET":
            return self.render(request, "register.html", form={}, errors={},
                               form_key=uuid.uuid4().hex)
        form = kept(request, REGISTER_FIELDS)
        form_key = request.form.get("form_key", "") or uuid.uuid4().hex
        payload = {**form, "password": request.form.get("password", ""),
                   "password_confirm": request.form.get("password_confirm", ""),
                   "request_key": form_key, "ip": client_ip(request)}
        try:
            account = self.clients(request).identity.register_account(payload)
        except ValidationFailed as exc:
            # Keep what was typed (never the password) and show each message by its field.
            return self.render(request, "register.html", status=422, form=form,
                               errors=exc.fields, form_key=form_key)
        # Not signed in yet (the e-mail is unverified): a registering session that may see
        # its status and messages, and continue the registration.
        self.sessions.rotate(session)
        session.set("account_id", account["id"])
        session.set("stage", "registering")
        session.set("epoch", 0)
        session.set("login", account["uscc"])
        return redirect("/register/enterprise", code=303)  # step 2: enterprise info

    def on_static(self, request: Request, filename: str) -> Response:
        return send_from_directory(STATIC_DIR, filename, request.environ, max_age=3600)

    # ---- operations -----------------------------------------------------------------
    def on_healthz(self, request: Request) -> Response:
        def probe(name: str) -> str:
            try:
                return self.clients(request).of(name).health()["status"]
            except (ServiceUnavailable, ServiceError) as exc:
                return f"unavailable: {exc}"
            except Exception as exc:  # a RemoteError: the service answered but is broken
                return f"error: {type(exc).__name__}"

        # In parallel: one service down costs one timeout, not one per service.
        services = dict(zip(SERVICE_NAMES, GreenPool(len(SERVICE_NAMES)).imap(probe, SERVICE_NAMES),
                            strict=True))
        healthy = all(status == "ok" for status in services.values())
        return json_response({"status": "ok" if healthy else "degraded", "services": services},
                             200 if healthy else 503)

    def on_echo(self, request: Request) -> Response:
        return json_response(self.clients(request).identity.echo(request.args.get("v", "")), 200)

    # ---- JSON API -------------------------------------------------------------------
    def on_api_openapi(self, request: Request) -> Response:
        return json_response(openapi.document(), 200)

    def on_api_register(self, request: Request) -> Response:
        payload: dict[str, Any] | None = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        if request.headers.get("X-Idempotency-Key"):
            payload["request_key"] = request.headers["X-Idempotency-Key"]
        payload["ip"] = client_ip(request)  # never the body's: identity's rate limit counts by it
        account = self.clients(request).identity.register_account(payload)
        return json_response(account, 201)
