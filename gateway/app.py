"""The gateway's WSGI application (Werkzeug), served by eventlet.wsgi with pooled RPC proxies.

Why a WSGI app and not nameko's @http: sessions, CSRF, templates and the error table are
ordinary web concerns that Werkzeug handles directly and that tests can drive with its test
client and a fake RPC; the RPC pool keeps proxies long-lived either way (see
docs/architecture.md). The views live in gateway/views/, one mixin per area.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from prometheus_client import Counter, Histogram
from werkzeug.exceptions import Forbidden as HTTPForbidden
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from gateway import idempotency, uploads
from gateway.clients import Clients
from gateway.errors import HTTP_CODES, error_view, with_retry_after
from gateway.http import (
    DEFAULT_MAX_REQUEST_BYTES,
    LoginRequired,
    Redirect,
    bound_body,
    json_response,
    local_time,
    refuse_control_characters,
    too_large_message,
)
from gateway.labels import business_label, case_ref_label, reviewer_label
from gateway.queries import check_query
from gateway.rpc import ServiceUnavailable
from gateway.sessions import COOKIE_NAME, LazyCsrfToken, Session, SessionStore
from gateway.views import VIEW_CLASSES
from gateway.views.forms import csrf_ok, take_flash
from gateway.views.public import PublicViews
from services.common.access import (
    KIND_PERSON,
    MODULES,
    REGISTRATION_NOT_APPROVED,
    actor_from_account,
    awaiting_approval,
    may_use,
    registration_refusal,
)
from services.common.context import set_request_id
from services.common.errors import Forbidden, NotFound, ServiceError
from services.common.regions import desk_choices, desk_name, region_name
from services.common.wording import joined, mask_id

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9-]{8,64}$")
ACCOUNT_CACHE_SECONDS = 5.0
NOTICE_CACHE_SECONDS = 600.0

HTTP_REQUESTS = Counter("qlp_gateway_requests_total", "HTTP requests", ["endpoint", "status"])
HTTP_SECONDS = Histogram("qlp_gateway_request_seconds", "HTTP request time", ["endpoint"])

Rpc = Callable[..., Any]
# Readiness (an orchestrator sends traffic only while it is 200) is what /healthz checks:
# every service answers its health RPC. docs/architecture.md "Liveness and supervision".
READYZ_ROUTE = Rule("/readyz", endpoint="healthz")
# Besides the routes that pass ``allow_registering`` (registration status and step 2, messages),
# what an account that registration review has not approved (pending or rejected) may still
# do: resubmit, change its password or second factor, sign out. Everything else that
# ``require``s an account answers 403 ``registration_not_approved`` (rule issue 15 item 4).
AWAITING_APPROVAL_ENDPOINTS = frozenset({
    "resubmit", "password_change", "api_password_change", "logout", "api_session", "security",
})
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_MESSAGE = "页面已过期或来源不明，请刷新页面后重新提交。"
# API writes made without a session by design (sign-in issues the token; registration, password
# reset and 好差评 ratings are public): no cookie authority to abuse, so no token asked here.
API_CSRF_EXEMPT = frozenset({("api_session", "POST"), ("api_session_totp", "POST"), ("api_register", "POST"),
                             ("api_register_person", "POST"), ("api_password_forgot", "POST"),
                             ("api_password_reset", "POST"), ("api_rating", "POST")})
# Signing out ends whatever the session holds (a pending second factor too): always with the token.
API_CSRF_ALWAYS = frozenset({("api_session", "DELETE")})
# JSON answers are never rendered: nothing may load, nothing may frame them.
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def page_policy(config: dict[str, Any]) -> str:
    """The pages' Content-Security-Policy. File routes redirect to presigned object-storage URLs
    (photos in <img>, documents in the case page's viewer frame, downloads after a form post),
    so that origin is allowed for images, frames and form targets."""
    s3 = config.get("s3") or {}
    storage = ""
    if s3.get("host"):
        scheme = "https" if s3.get("secure") else "http"
        storage = f" {scheme}://{s3['host']}:{s3.get('port', 443 if scheme == 'https' else 80)}"
    return ("default-src 'self'; script-src 'self'; style-src 'self'; "
            f"img-src 'self' data:{storage}; frame-src 'self'{storage}; object-src 'none'; "
            f"base-uri 'self'; form-action 'self'{storage}; frame-ancestors 'none'")


class GatewayApp(*VIEW_CLASSES):
    def __init__(self, rpc: Rpc, sessions: SessionStore, config: dict[str, Any]) -> None:
        self.rpc = rpc
        self.sessions = sessions
        self.config = config
        gateway = config.get("gateway", {})
        self.secure_cookies = bool(gateway.get("secure_cookies", False))
        self.max_request_bytes = int(gateway.get("max_request_bytes") or DEFAULT_MAX_REQUEST_BYTES)
        self.page_policy = page_policy(config)
        self.upload_store = uploads.store_for(config)  # quarantine for the upload claim check
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
        )
        self.templates.filters["local_time"] = local_time
        self.templates.filters["region_name"] = region_name
        self.templates.filters["business_label"] = business_label
        self.templates.filters["case_ref_label"] = case_ref_label
        self.templates.filters["reviewer_label"] = reviewer_label
        self.templates.globals["joined"] = joined
        self.templates.filters["mask_id"] = mask_id
        self.templates.globals["desk_name"] = desk_name
        self.templates.globals["desk_choices"] = desk_choices
        # Copies (Rule.empty): a rule binds to one map, and tests build many apps.
        rules = [rule for views in VIEW_CLASSES for rule in views.ROUTES]
        if gateway.get("echo_route"):
            rules.append(PublicViews.ECHO_ROUTE)
        rules.append(READYZ_ROUTE)  # /livez: services.common.liveness.with_livez, in __main__
        self.url_map = Map([rule.empty() for rule in rules])
        self._accounts: dict[str, tuple[float, dict]] = {}
        self._notice_years: tuple[float, list[int]] | None = None

    # ---- plumbing -------------------------------------------------------------------
    def __call__(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if REQUEST_ID_PATTERN.match(incoming) else uuid.uuid4().hex
        set_request_id(request.request_id)
        endpoint = "unknown"
        request.route_endpoint = endpoint
        request.session = None
        request.upload_store = self.upload_store
        try:
            bound_body(request, self.max_request_bytes)
            adapter = self.url_map.bind_to_environ(environ)
            endpoint, values = adapter.match()
            request.route_endpoint = endpoint
            request.session = self.sessions.load(request.cookies.get(COOKIE_NAME))
            refuse_control_characters([*request.args.items(multi=True), *request.form.items(multi=True),
                                       *((key, key) for key in request.args)])
            check_query(endpoint, request)
            self._check_form_csrf(request, endpoint)
            view = getattr(self, f"on_{endpoint}")
            response = idempotency.respond(self, request, lambda: view(request, **values))
        except LoginRequired as exc:
            response = self._login_required(request, exc)
        except Redirect as exc:
            response = redirect(exc.location, code=303)
        except HTTPException as exc:
            response = self._http_error(request, exc)
        except Exception as exc:  # the error table decides; never a stack trace to the user
            response = self._error_response(request, exc)
        if request.session is not None:
            self._save_session(request, response)
        response.headers["X-Request-ID"] = request.request_id
        for name, value in self.security_headers(response):
            response.headers.setdefault(name, value)
        HTTP_REQUESTS.labels(endpoint, str(response.status_code)).inc()
        HTTP_SECONDS.labels(endpoint).observe(time.perf_counter() - started)
        set_request_id(None)
        return response(environ, start_response)

    def security_headers(self, response: Response) -> list[tuple[str, str]]:
        """Headers on every answer: a Content-Security-Policy (pages take scripts and styles from
        /static only: no inline script, handler or style anywhere in the templates; images and
        the document viewer also load from object storage, where file routes redirect), and the
        usual hardening."""
        html = (response.mimetype or "").startswith("text/html")
        headers = [("Content-Security-Policy", self.page_policy if html else API_POLICY),
                   ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                   ("Cache-Control", "no-store"), ("Referrer-Policy", "same-origin"),
                   ("Cross-Origin-Opener-Policy", "same-origin"),
                   ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")]
        if self.secure_cookies:  # served over HTTPS
            headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
        return headers

    def _check_form_csrf(self, request: Request, endpoint: str) -> None:
        """Every state-changing request carries the session's CSRF token, checked here once for
        all views (no view checks it again), 403 otherwise: a page's form post its ``csrf_token``
        field, an API call made with a signed-in session's cookie its X-CSRF-Token header. API
        writes without a signed-in session (registration, password reset, ratings, an agency's
        token) have no cookie to abuse (``API_CSRF_EXEMPT``); signing in (``POST
        /api/v1/session``) issues the token; signing out always needs it (``API_CSRF_ALWAYS``)."""
        if request.method in SAFE_METHODS:
            return
        if self.wants_json(request):
            session: Session = request.session
            key = (endpoint, request.method)
            if key in API_CSRF_EXEMPT or (not session.get("account_id") and key not in API_CSRF_ALWAYS):
                return
            if not session.csrf_valid(request.headers.get("X-CSRF-Token")):
                raise HTTPForbidden("缺少或错误的 X-CSRF-Token")
            return
        if not csrf_ok(request):
            raise HTTPForbidden(CSRF_MESSAGE)

    def call(self, request: Request, service: str, method: str, *args: Any) -> Any:
        try:
            args = uploads.inline_to_claims(self.upload_store, args)  # no file content over AMQP
            return self.rpc(service, method, *args, request_id=request.request_id)
        except ServiceUnavailable:
            # Remembered for this request: the page around the error does not ask the same
            # service again (the header badges would wait out a second RPC timeout).
            request.unavailable_services = {*getattr(request, "unavailable_services", ()), service}
            raise

    def clients(self, request: Request) -> Clients:
        """The typed service clients for this request (gateway/clients/), over ``call``."""
        clients = getattr(request, "clients", None)
        if clients is None:
            clients = request.clients = Clients(lambda service, method, *args: self.call(
                request, service, method, *args))
        return clients

    def _save_session(self, request: Request, response: Response) -> None:
        session: Session = request.session
        if session.modified:
            session_id = self.sessions.save(session)
            response.set_cookie(COOKIE_NAME, session_id, httponly=True, samesite="Lax",
                                secure=self.secure_cookies, path="/")

    def render(self, request: Request, template: str, status: int = 200, **context: Any) -> Response:
        session = request.session
        actor = getattr(request, "actor", None)
        html = self.templates.get_template(template).render(
            request=request,
            csrf_token=LazyCsrfToken(session),  # a session is stored only for a form
            account_id=session.get("account_id") if session is not None else None,
            actor=actor,
            menu=menu_for(actor, session),
            notify_counts=self.notify_counts(request),  # header badges; None when notify is down
            admin_warnings=self.admin_warnings(request, actor),
            flash=take_flash(request),
            **context,
        )
        return Response(html, status=status, mimetype="text/html")

    def admin_warnings(self, request: Request, actor: dict | None) -> list[str]:
        """What the platform needs from its operators, asked of review at most every 10 minutes;
        a review that does not answer shows no banner rather than failing the page."""
        if not actor or actor.get("kind") != "admin":
            return []
        now = time.monotonic()
        if self._notice_years is None or self._notice_years[0] < now:
            try:
                years = (self.clients(request).review.missing_holiday_notices() or {}).get("years", [])
            except (ServiceUnavailable, ServiceError):
                return []
            self._notice_years = (now + NOTICE_CACHE_SECONDS, list(years))
        return holiday_notice_warnings(self._notice_years[1])

    @staticmethod
    def wants_json(request: Request) -> bool:
        return request.path.startswith("/api/") or request.path in ("/healthz", "/readyz")

    def _login_required(self, request: Request, exc: LoginRequired) -> Response:
        if self.wants_json(request):
            return json_response({"error": {"code": "unauthenticated", "message": exc.message}}, 401)
        return redirect(f"/login?next={quote(request.full_path.rstrip('?'))}", code=303)

    def _http_error(self, request: Request, exc: HTTPException) -> Response:
        messages = {404: "您访问的页面不存在。", 405: "不支持该请求方式。", 400: "请求无效。",
                    403: "没有权限访问该页面。", 413: too_large_message(self.max_request_bytes)}
        message = messages.get(exc.code or 500, "请求无法处理。")
        if isinstance(exc, HTTPForbidden) and exc.description and not exc.description.isascii():
            message = exc.description
        if self.wants_json(request):
            code = HTTP_CODES.get(exc.code or 500, f"http_{exc.code}")
            return json_response({"error": {"code": code, "message": message}}, exc.code or 500)
        return self.render(request, "error.html", status=exc.code or 500, message=message)

    def _error_response(self, request: Request, exc: Exception) -> Response:
        view = error_view(exc)
        if view.status >= 500:
            log.error("request %s %s failed: %s", request.method, request.path, exc,
                      exc_info=not isinstance(exc, ServiceUnavailable))
        if self.wants_json(request):
            body: dict[str, Any] = {"error": {"code": view.code, "message": view.message}}
            if view.fields:
                body["error"]["fields"] = view.fields
            response = json_response(body, view.status)
        else:
            response = self.render(request, "error.html", status=view.status, message=view.message)
        return with_retry_after(response, exc)

    # ---- who is asking ----------------------------------------------------------------
    def current_actor(self, request: Request, *, allow_registering: bool = False) -> dict | None:
        """The signed-in account, re-checked against identity (cached a few seconds).

        A session whose account was disabled, or whose password changed elsewhere (the
        account's session_epoch moved on), is destroyed here: that is how disabling an
        account ends its sessions.
        """
        if hasattr(request, "actor"):
            return request.actor
        session: Session = request.session
        request.actor = None
        stage = session.get("stage")
        if not session.get("account_id") or stage not in ("signed_in", "registering"):
            return None
        if stage == "registering" and not allow_registering:
            return None
        account = self._fresh_account(request, session["account_id"])
        if account is None or account["session_epoch"] != session.get("epoch") or \
                account["status"] == "disabled":
            self.sessions.end(session)
            return None
        request.actor = account
        return account

    def _fresh_account(self, request: Request, account_id: str) -> dict | None:
        cached = self._accounts.get(account_id)
        now = time.monotonic()
        if cached and cached[0] > now:
            return cached[1]
        try:
            account = self.clients(request).identity.session_account(account_id)
        except NotFound:
            return None
        self._accounts[account_id] = (now + ACCOUNT_CACHE_SECONDS, account)
        return account

    def forget_account(self, account_id: str) -> None:
        self._accounts.pop(account_id, None)

    def require(self, request: Request, *, kinds: tuple[str, ...] | None = None,
                module: str | None = None, write: bool = False,
                allow_registering: bool = False) -> dict:
        actor = self.current_actor(request, allow_registering=allow_registering)
        if actor is None:
            raise LoginRequired()
        if awaiting_approval(actor) and not allow_registering and \
                getattr(request, "route_endpoint", None) not in AWAITING_APPROVAL_ENDPOINTS:
            raise Forbidden(registration_refusal(actor), code=REGISTRATION_NOT_APPROVED)
        if kinds is not None and actor["kind"] not in kinds:
            raise HTTPForbidden("没有权限访问该页面。")
        if module is not None and not may_use(actor["kind"], actor["permissions"], module, write):
            raise HTTPForbidden(f"您的账号没有“{MODULES.get(module, module)}”模块的"
                                f"{'办理' if write else '查看'}权限，请联系企业主账号开通。")
        if actor.get("must_change_password") and request.path not in (
                "/password/change", "/logout", "/api/v1/password/change", "/api/v1/session"):
            if self.wants_json(request):
                raise HTTPForbidden("请先修改密码")
            raise Redirect("/password/change")
        return actor

    def actor_for_rpc(self, request: Request, **require: Any) -> dict:
        """``require`` the signed-in account, then the actor dict services take (docs/contracts.md)."""
        return actor_from_account(self.require(request, **require))

    def sign_in(self, request: Request, account: dict) -> None:
        """A new session id for the signed-in account; nothing of the old session grants it."""
        session: Session = request.session
        self.sessions.rotate(session)
        for key in ("totp_pending", "totp_pending_epoch"):
            session.pop(key, None)
        session.set("account_id", account["id"])
        session.set("stage", "signed_in")
        session.set("epoch", account["session_epoch"])
        session.set("login", account["login"])
        self.forget_account(account["id"])

    def landing_for(self, account: dict) -> str:
        if account.get("must_change_password"):
            return "/password/change"
        if account["kind"] == "enterprise" and account["status"] != "active":
            return "/account"
        return {KIND_PERSON: "/personal"}.get(account["kind"], "/")  # "/": the role's 首页


def holiday_notice_warnings(years: list[int]) -> list[str]:
    """Banners on every admin page for the years whose State Council holiday notice review's
    calendar lacks (review.missing_holiday_notices; services/review/clock.py)."""
    return [f"尚未录入国务院办公厅{year}年部分节假日安排通知：{year}年的审批时限只按法定节假日计算，"
            f"调休上班日未计入。请在 services/review/data/holidays.txt 中补充该年全部放假和调休上班日期。"
            for year in years]


# 通知公告 and 办事指南 (gateway/views/notices.py): in every menu, signed in or not.
READING = (("/notices", "通知公告"), ("/guides", "办事指南"))


def menu_for(actor: dict | None, session: Session | None) -> list[tuple[str, str]]:
    """The left menu (企业空间 / 审核工作台) for whoever is signed in."""
    if session is not None and session.get("stage") == "registering":
        return [("/account", "注册状态"), ("/messages", "我的消息")]
    if awaiting_approval(actor):  # signed in, but registration review has not approved it
        return [("/account", "注册状态"), ("/messages", "我的消息"),
                ("/account/security", "安全设置"), ("/password/change", "修改密码")]
    if actor is None:
        return [("/", "首页"), ("/login", "登录"), ("/register", "新用户注册"),
                ("/register/person", "个人用户注册"), *READING]
    kind = actor["kind"]
    if kind == KIND_PERSON:  # 个人空间: the personnel pages for persons hang under /personal
        return [("/personal", "个人首页"), ("/messages", "我的消息"), *READING, ("/account", "账号信息"),
                ("/account/security", "安全设置"), ("/password/change", "修改密码")]
    if kind in ("enterprise", "sub"):
        items = [("/", "首页")]
        items += [(f"/{module}", label) for module, label in MODULES.items()
                  if may_use(kind, actor["permissions"], module, False)]
        items += [("/applications", "申请业务"), ("/cases", "审核进度"), ("/rectifications", "我的整改"),
                  ("/messages", "我的消息"), ("/todos", "我的待办"), *READING]
        if kind == "enterprise":
            items += [("/account", "账号信息"), ("/account/users", "账号管理")]
        items += [("/account/security", "安全设置"), ("/password/change", "修改密码")]
        return items
    # Reviewers work a desk's queue; an admin manages staff, campaigns and certificates and
    # sees the desks' queues only when the account has a desk (level and region) of its own.
    items = [("/", "首页")]
    if kind == "reviewer" or (actor.get("level") and actor.get("region_code")):
        items += [("/review/cases", "审核工作台"), ("/review/registrations", "注册审核")]
    items += [("/review/dashboard", "统计看板"), ("/review/workload", "工作量统计"),
              ("/review/delegations", "委托办理"),
              ("/ratings/visit", "好差评·一次一评"), ("/ratings/case", "好差评·一事一评"),
              ("/ratings/stats", "好差评统计"), ("/review/accounts", "重置企业密码"),
              ("/personnel/registered", "注册人员查询"),
              ("/messages", "我的消息"), ("/todos", "我的待办")]
    if kind == "admin":
        items.append(("/admin/staff", "审核人员管理"))
        items.append(("/admin/campaigns", "企业自查"))
        items.append(("/admin/licences", "证书管理"))
        items.append(("/admin/safety-records", "安全生产事故记录"))
        items.append(("/admin/catalogue", "业务目录维护"))
        items.append(("/admin/exam-passes", "考试合格数据"))
        items.append(("/admin/legacy-import", "旧数据导入"))
    return items + [*READING, ("/account/security", "安全设置"), ("/password/change", "修改密码")]
