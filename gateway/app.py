"""The gateway's WSGI application (Werkzeug), served by eventlet.wsgi with pooled RPC proxies.

Why a WSGI app and not nameko's @http: sessions, CSRF, templates and the error table
are ordinary web concerns that Werkzeug handles directly and that tests can drive
with its test client and a fake RPC; the RPC pool keeps proxies long-lived either way
(see docs/architecture.md for the measured figures).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from eventlet.greenpool import GreenPool
from jinja2 import Environment, FileSystemLoader, select_autoescape
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect, send_from_directory
from werkzeug.wrappers import Request, Response

from gateway import openapi
from gateway.errors import error_view
from gateway.rpc import ServiceUnavailable
from gateway.sessions import COOKIE_NAME, Session, SessionStore
from services.common.config import SERVICE_NAMES
from services.common.context import set_request_id
from services.common.errors import ServiceError, ValidationFailed

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
BEIJING = timezone(timedelta(hours=8), "北京时间")
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9-]{8,64}$")

HTTP_REQUESTS = Counter("qlp_gateway_requests_total", "HTTP requests", ["endpoint", "status"])
HTTP_SECONDS = Histogram("qlp_gateway_request_seconds", "HTTP request time", ["endpoint"])

REGISTER_FIELDS = ("uscc", "contact_name", "contact_mobile", "email")

Rpc = Callable[..., Any]


class GatewayApp:
    def __init__(self, rpc: Rpc, sessions: SessionStore, config: dict[str, Any]) -> None:
        self.rpc = rpc
        self.sessions = sessions
        self.config = config
        self.secure_cookies = bool(config.get("gateway", {}).get("secure_cookies", False))
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
        )
        self.templates.filters["local_time"] = local_time
        self.url_map = Map([
            Rule("/", endpoint="index"),
            Rule("/register", endpoint="register", methods=["GET", "POST"]),
            Rule("/messages", endpoint="messages"),
            Rule("/healthz", endpoint="healthz"),
            Rule("/metrics", endpoint="metrics"),
            Rule("/static/<path:filename>", endpoint="static"),
            Rule("/api/openapi.json", endpoint="api_openapi"),
            Rule("/api/v1/accounts", endpoint="api_register", methods=["POST"]),
            Rule("/api/v1/messages", endpoint="api_messages"),
        ])
        if config.get("gateway", {}).get("echo_route"):
            # HTTP -> RPC -> reply with no work: the benchmarks' baseline. Off unless configured.
            self.url_map.add(Rule("/_echo", endpoint="echo"))

    # ---- plumbing -------------------------------------------------------------------
    def __call__(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if REQUEST_ID_PATTERN.match(incoming) else uuid.uuid4().hex
        set_request_id(request.request_id)
        endpoint = "unknown"
        try:
            adapter = self.url_map.bind_to_environ(environ)
            endpoint, values = adapter.match()
            request.session = self.sessions.load(request.cookies.get(COOKIE_NAME))
            response = getattr(self, f"on_{endpoint}")(request, **values)
            self._save_session(request, response)
        except HTTPException as exc:
            response = self._http_error(request, exc)
        except Exception as exc:  # the error table decides; never a stack trace to the user
            response = self._error_response(request, exc)
        response.headers["X-Request-ID"] = request.request_id
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        HTTP_REQUESTS.labels(endpoint, str(response.status_code)).inc()
        HTTP_SECONDS.labels(endpoint).observe(time.perf_counter() - started)
        set_request_id(None)
        return response(environ, start_response)

    def call(self, request: Request, service: str, method: str, *args: Any) -> Any:
        return self.rpc(service, method, *args, request_id=request.request_id)

    def _save_session(self, request: Request, response: Response) -> None:
        session: Session = request.session
        if session.modified:
            session_id = self.sessions.save(session)
            response.set_cookie(COOKIE_NAME, session_id, httponly=True, samesite="Lax",
                                secure=self.secure_cookies, path="/")

    def render(self, request: Request, template: str, status: int = 200, **context: Any) -> Response:
        session = getattr(request, "session", None)
        html = self.templates.get_template(template).render(
            request=request,
            csrf_token=session.csrf_token if session is not None else "",
            account_id=session.get("account_id") if session is not None else None,
            **context,
        )
        return Response(html, status=status, mimetype="text/html")

    def _wants_json(self, request: Request) -> bool:
        return request.path.startswith("/api/") or request.path in ("/healthz",)

    def _http_error(self, request: Request, exc: HTTPException) -> Response:
        messages = {404: "您访问的页面不存在。", 405: "不支持该请求方式。", 400: "请求无效。",
                    403: "没有权限访问该页面。"}
        message = messages.get(exc.code or 500, "请求无法处理。")
        if self._wants_json(request):
            return json_response({"error": {"code": f"http_{exc.code}", "message": message}},
                                 exc.code or 500)
        return self.render(request, "error.html", status=exc.code or 500, message=message)

    def _error_response(self, request: Request, exc: Exception) -> Response:
        view = error_view(exc)
        if view.status >= 500:
            log.error("request %s %s failed: %s", request.method, request.path, exc,
                      exc_info=not isinstance(exc, ServiceUnavailable))
        if self._wants_json(request):
            body: dict[str, Any] = {"error": {"code": view.code, "message": view.message}}
            if view.fields:
                body["error"]["fields"] = view.fields
            return json_response(body, view.status)
        return self.render(request, "error.html", status=view.status, message=view.message)

    # ---- pages ----------------------------------------------------------------------
    def on_index(self, request: Request) -> Response:
        return self.render(request, "index.html")

    def on_register(self, request: Request) -> Response:
        session: Session = request.session
        if request.method == "GET":
            return self.render(request, "register.html", form={}, errors={},
                               form_key=uuid.uuid4().hex)
        form = {name: request.form.get(name, "") for name in REGISTER_FIELDS}
        form_key = request.form.get("form_key", "")
        if not session.csrf_valid(request.form.get("csrf_token")):
            return self.render(request, "register.html", status=400, form=form,
                               errors={"_": [{"code": "csrf", "message":
                                              "页面已过期，请重新提交。"}]},
                               form_key=form_key or uuid.uuid4().hex)
        payload = {**form, "password": request.form.get("password", ""),
                   "password_confirm": request.form.get("password_confirm", ""),
                   "request_key": form_key}
        try:
            account = self.call(request, "identity", "register_account", payload)
        except ValidationFailed as exc:
            # Keep what was typed (never the password) and show each message by its field.
            return self.render(request, "register.html", status=422, form=form,
                               errors=exc.fields, form_key=form_key)
        self.sessions.rotate(session)
        session.set("account_id", account["id"])
        session.set("uscc", account["uscc"])
        return redirect("/messages", code=303)

    def on_messages(self, request: Request) -> Response:
        account_id = request.session.get("account_id")
        if not account_id:
            return redirect("/register", code=303)
        result = self.call(request, "notify", "list_messages", account_id)
        return self.render(request, "messages.html", messages=result["messages"],
                           unread=result["unread"])

    def on_static(self, request: Request, filename: str) -> Response:
        return send_from_directory(HERE / "static", filename, request.environ,
                                   max_age=3600)

    # ---- operations -----------------------------------------------------------------
    def on_healthz(self, request: Request) -> Response:
        def probe(name: str) -> str:
            try:
                return self.call(request, name, "health")["status"]
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

    def on_metrics(self, request: Request) -> Response:
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)

    def on_echo(self, request: Request) -> Response:
        return json_response(self.call(request, "identity", "echo", request.args.get("v", "")), 200)

    # ---- JSON API -------------------------------------------------------------------
    def on_api_openapi(self, request: Request) -> Response:
        return json_response(openapi.document(), 200)

    def on_api_register(self, request: Request) -> Response:
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return json_response({"error": {"code": "invalid_json",
                                            "message": "请求体必须是 JSON 对象"}}, 400)
        if request.headers.get("X-Idempotency-Key"):
            payload["request_key"] = request.headers["X-Idempotency-Key"]
        account = self.call(request, "identity", "register_account", payload)
        return json_response(account, 201)

    def on_api_messages(self, request: Request) -> Response:
        account_id = request.session.get("account_id")
        if not account_id:
            return json_response({"error": {"code": "unauthenticated", "message": "请先登录"}}, 401)
        return json_response(self.call(request, "notify", "list_messages", account_id), 200)


def local_time(value: str | None) -> str:
    """An ISO timestamp from a service, shown in Beijing time (UTC+8, no DST)."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def json_response(body: Any, status: int) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    mimetype="application/json")

