"""资质许可: 资质申报 (type, kind, category + grade, explained pre-check), the application wizard
(申报表, signed scan, materials, preview, 承诺书 with its countdown, submit), 申报批次, 我的资质,
我的证书, the credit register (admins) and the public licence verify page; JSON API under
/api/v1/permits. The permits service re-checks every actor: these views are the first door."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from werkzeug.exceptions import Forbidden as HTTPForbidden
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.routing import Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from gateway.http import INVALID_JSON, json_body, json_response
from gateway.openapi import operation, path_id, ref
from gateway.views.forms import api_upload, csrf_ok, uploaded_file
from services.common.access import READ_ONLY
from services.common.errors import ServiceError

ENTERPRISE_KINDS = ("enterprise", "sub")
# page action → (RPC, needs an upload)
PAGE_ACTIONS = {
    "precheck": "run_precheck",
    "form": "generate_form",
    "preview": "preview",
    "confirm": "confirm_commitment",
    "submit": "submit",
    "resubmit": "resubmit",
    "withdraw": "withdraw",
    "terminate": "terminate",
    "discard": "discard",
}
API_ACTIONS = {
    "precheck": "run_precheck",
    "form": "generate_form",
    "signed-scan": "upload_signed_scan",
    "preview": "preview",
    "commitment-open": "open_commitment",
    "commitment-confirm": "confirm_commitment",
    "submit": "submit",
    "resubmit": "resubmit",
    "withdraw": "withdraw",
    "terminate": "terminate",
    "discard": "discard",
}
_API_ACTION_RULE = "any(" + ", ".join(f'"{a}"' for a in API_ACTIONS) + ")"


def page_link(fix_link: str) -> str:
    """The pre-check's fix links (``/enterprise?tab=<section>[&category=…]``) as 企业空间's pages."""
    path, _, query = fix_link.partition("?")
    params = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
    section = params.pop("tab", "basic")
    if path != "/enterprise" or section == "basic":
        return path
    rest = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/enterprise/{section}" + (f"?{rest}" if rest else "")


def _with_page_links(app: dict) -> dict:
    for item in (app.get("precheck") or {}).get("items") or []:
        item["fix_link"] = page_link(item.get("fix_link") or "/enterprise")
    return app


def licence_form(kind: str, licence: dict) -> dict[str, str]:
    """The /permits/new form filled from one certificate of 我的证书 (换证 / 补办 / 延续): the
    kind, the certificate and its categories and grades."""
    form = {"transaction_kind": kind, "original_licence_id": str(licence["id"])}
    for item in licence.get("items_raw") or []:
        form[f"grade.{item['category']}"] = item["grade"]
    return form


def _version(request: Request) -> int | None:
    raw = request.form.get("version") or request.args.get("version")
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


APPLICATION_SCHEMA = {
    "type": "object",
    "properties": {
        **{
            k: {"type": "string"}
            for k in (
                "id",
                "number",
                "enterprise_id",
                "type_code",
                "type_name",
                "transaction_kind",
                "transaction_label",
                "selection",
                "lane",
                "state",
                "state_label",
                "case_ref",
                "submitted_at",
                "form_attachment_id",
                "signed_scan_id",
                "licence_id",
            )
        },
        "version": {
            "type": "integer",
            "description": "optimistic lock: send it back to change the application",
        },
        "revision": {"type": "integer"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"category": {"type": "string"}, "grade": {"type": "string"}},
            },
        },
        "precheck": {
            "type": "object",
            "description": "passed, summary, items [{key, label, status, required, "
            "actual, fix_link, details}]",
        },
        "allowed_actions": {"type": "array", "items": {"type": "string"}},
        "commitment_remaining_seconds": {"type": "number", "nullable": True},
        "history": {"type": "array", "items": {"type": "object"}},
        "attachments": {"type": "array", "items": {"type": "object"}},
        "correction_items": {"type": "array", "items": {"type": "object"}},
    },
}


class PermitsViews:
    OPENAPI_PATHS = {
        "/api/v1/permits/catalogue": {
            "get": operation(
                "Qualification and licence types: categories, grades, transaction kinds, lanes",
                result={"type": "array", "items": {"type": "object"}},
                errors=(401,),
            ),
        },
        "/api/v1/permits/catalogue/{type_code}": {
            "get": operation(
                "One type with its admission standards per grade and required attachments",
                parameters=[path_id("type_code", "e.g. hmq_maintenance, pfl_power, cip_safety")],
                result={"type": "object"},
                errors=(401, 404),
            ),
        },
        "/api/v1/permits/applications": {
            "get": operation(
                "The enterprise's applications (?state_group=pending|submitted|all, ?batched=1|0)",
                result={"type": "array", "items": ref("PermitApplication")},
                errors=(401, 403),
            ),
            "post": operation(
                "Create an application draft (X-Idempotency-Key: the same key returns the same draft)",
                body="PermitDraft",
                ok=201,
                result="PermitApplication",
                csrf=True,
                errors=(400, 401, 403, 409, 422, 503),
            ),
        },
        "/api/v1/permits/applications/{application_id}": {
            "get": operation(
                "One application with pre-check, materials, history timeline",
                parameters=[path_id("application_id", "the application")],
                result="PermitApplication",
                errors=(401, 404),
            ),
            "patch": operation(
                "Change a draft's 申报表 values / lane / owed standards (needs `version`; a stale "
                "version is 409 stale_version)",
                parameters=[path_id("application_id", "the application")],
                body={
                    "type": "object",
                    "required": ["version"],
                    "properties": {
                        "version": {"type": "integer"},
                        "values": {"type": "object"},
                        "lane": {"type": "string"},
                        "owed_standards": {"type": "array", "items": {"type": "string"}},
                    },
                },
                result="PermitApplication",
                csrf=True,
                errors=(400, 401, 403, 404, 409, 422),
            ),
        },
        "/api/v1/permits/applications/{application_id}/{action}": {
            "post": operation(
                "A lifecycle step: precheck, form (申报表 PDF), signed-scan ({filename, content_b64}), "
                "preview, "
                "commitment-open, commitment-confirm (refused until the letter was open the configured "
                "seconds), submit / resubmit (X-Idempotency-Key), withdraw / terminate ({reason}), discard. "
                "Optional `version` in the body: 409 when stale; an illegal step is 409 invalid_transition "
                "quoting the rule",
                parameters=[
                    path_id("application_id", "the application"),
                    {
                        **path_id("action", "the step"),
                        "schema": {"type": "string", "enum": list(API_ACTIONS)},
                    },
                ],
                body={
                    "type": "object",
                    "properties": {
                        "version": {"type": "integer"},
                        "reason": {"type": "string"},
                        "filename": {"type": "string"},
                        "content_b64": {"type": "string"},
                    },
                },
                result="PermitApplication",
                csrf=True,
                errors=(400, 401, 403, 404, 409, 422, 503),
            ),
        },
        "/api/v1/permits/applications/{application_id}/correction": {
            "put": operation(
                "补正: change the 申报表 fields review reopened (values: {field name as review named it, "
                "its value key or values.<key>: new text}); any other field is 422 not_reopened; only "
                "while the application waits for 补正 (else 409 invalid_transition); optional `version` "
                "(409 stale_version). Resubmit with POST .../resubmit",
                parameters=[path_id("application_id", "the application")],
                body={
                    "type": "object",
                    "required": ["values"],
                    "properties": {
                        "version": {"type": "integer"},
                        "values": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                },
                result="PermitApplication",
                csrf=True,
                errors=(400, 401, 403, 404, 409, 422),
            ),
        },
        "/api/v1/permits/catalogue/{type_code}/lanes": {
            "get": operation(
                "The lanes (一般程序 / 容缺受理 / 自贸区) the signed-in enterprise may use for `kind` "
                "(query, default new) of this type: code, label, available, reasons (why not)",
                parameters=[path_id("type_code", "e.g. pfl_power")],
                result={"type": "array", "items": {"type": "object", "properties": {
                    "code": {"type": "string"}, "label": {"type": "string"},
                    "available": {"type": "boolean"},
                    "reasons": {"type": "array", "items": {"type": "string"}}}}},
                errors=(401, 403, 404),
            ),
        },
        "/api/v1/permits/applications/{application_id}/materials/{code}": {
            "post": operation(
                "Upload a required material (catalogue attachment code), an owed material or a "
                "corrected attachment",
                parameters=[path_id("application_id", "the application"), path_id("code", "attachment code")],
                body={
                    "type": "object",
                    "required": ["content_b64"],
                    "properties": {"filename": {"type": "string"}, "content_b64": {"type": "string"}},
                },
                result="PermitApplication",
                csrf=True,
                errors=(400, 401, 403, 404, 409, 422),
            ),
        },
        "/api/v1/permits/attachments/{attachment_id}": {
            "get": operation(
                "303 to a short-lived download URL of an application file or certificate",
                ok=303,
                parameters=[path_id("attachment_id", "the file")],
                errors=(401, 404),
            ),
        },
        "/api/v1/permits/batches": {
            "get": operation(
                "申报批次 with their applications",
                result={"type": "array", "items": {"type": "object"}},
                errors=(401, 403),
            ),
            "post": operation(
                "Create a batch",
                body={"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
                ok=201,
                result={"type": "object"},
                csrf=True,
                errors=(400, 401, 403, 422),
            ),
        },
        "/api/v1/permits/batches/{batch_id}": {
            "get": operation(
                "One batch",
                parameters=[path_id("batch_id", "the batch")],
                result={"type": "object"},
                errors=(401, 404),
            ),
        },
        "/api/v1/permits/batches/{batch_id}/{action}": {
            "post": operation(
                "add / remove ({application_id}); submit (X-Idempotency-Key) and delete answer "
                "{results: [{application_id, ok, code, message}]}, one per item",
                parameters=[
                    path_id("batch_id", "the batch"),
                    {
                        **path_id("action", "add, remove, submit or delete"),
                        "schema": {"type": "string", "enum": ["add", "remove", "submit", "delete"]},
                    },
                ],
                body={"type": "object", "properties": {"application_id": {"type": "string"}}},
                result={"type": "object"},
                csrf=True,
                errors=(400, 401, 403, 404, 409),
            ),
        },
        "/api/v1/permits/licences": {
            "get": operation(
                "我的证书: the enterprise's licences with live status and, when flagged, why "
                "their standards are no longer met (at_risk)",
                result={"type": "array", "items": ref("Licence")},
                errors=(401, 403),
            ),
        },
        "/api/v1/permits/credit": {
            "get": operation(
                "The local credit register (容缺受理 eligibility; reviewers, admins)",
                result={"type": "array", "items": {"type": "object"}},
                errors=(401, 403),
            ),
            "put": operation(
                "Set an enterprise's credit (good / fair / poor; admins)",
                body={
                    "type": "object",
                    "required": ["enterprise_id", "rating"],
                    "properties": {
                        "enterprise_id": {"type": "string"},
                        "rating": {"type": "string", "enum": ["good", "fair", "poor"]},
                        "note": {"type": "string"},
                    },
                },
                result={"type": "object"},
                csrf=True,
                errors=(400, 401, 403, 422),
            ),
        },
        "/api/v1/verify/{token}": {
            "get": operation(
                "Public: a licence's non-sensitive fields and live status (the QR code's target)",
                parameters=[path_id("token", "from the certificate's QR code")],
                result="PublicLicence",
                errors=(404,),
            ),
        },
    }
    OPENAPI_SCHEMAS = {
        "PermitDraft": {
            "type": "object",
            "required": ["type_code", "items"],
            "properties": {
                "type_code": {"type": "string"},
                "transaction_kind": {"type": "string", "default": "new"},
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"category": {"type": "string"}, "grade": {"type": "string"}},
                    },
                },
                "lane": {"type": "string", "enum": ["normal", "fast_track", "free_trade_zone"]},
                "nature": {"type": "string"},
                "submitter": {"type": "string"},
                "original_licence_id": {"type": "string"},
                "values": {"type": "object"},
                "batch_id": {"type": "string"},
            },
        },
        "PermitApplication": APPLICATION_SCHEMA,
        "Licence": {"allOf": [ref("PublicLicence"), {"type": "object", "properties": {
            "id": {"type": "string"}, "type_code": {"type": "string"},
            "verify_path": {"type": "string"},
            "actions": {"type": "array", "description": "我的换证 / 遗失补办 / 延续 for this certificate: "
                        "kind, label, available, reasons (why not), path (the page that starts it)",
                        "items": {"type": "object", "properties": {
                            "kind": {"type": "string"}, "label": {"type": "string"},
                            "available": {"type": "boolean"},
                            "reasons": {"type": "array", "items": {"type": "string"}},
                            "path": {"type": "string"}}}},
            "at_risk": {"type": "string", "nullable": True,
                        "description": "set by permits when the enterprise's records no longer "
                                       "meet the licence's standards: each unmet standard with "
                                       "what is required and what the records show"}}}]},
        "PublicLicence": {
            "type": "object",
            "properties": {
                k: {"type": "string"}
                for k in (
                    "number",
                    "certificate_name",
                    "type_name",
                    "authority",
                    "holder_name",
                    "holder_uscc",
                    "issued_on",
                    "valid_from",
                    "valid_until",
                    "status",
                    "status_label",
                )
            },
        },
    }

    ROUTES = [
        Rule("/permits", endpoint="permits_home", methods=["GET"]),
        Rule("/permits/new", endpoint="permits_new", methods=["GET", "POST"]),
        Rule("/permits/applications/<application_id>", endpoint="permits_application", methods=["GET"]),
        Rule("/permits/applications/<application_id>/commitment", endpoint="permits_commitment",
            methods=["GET"]),
        Rule("/permits/applications/<application_id>/values", endpoint="permits_values", methods=["POST"]),
        Rule("/permits/applications/<application_id>/correction", endpoint="permits_correction",
             methods=["POST"]),
        Rule("/permits/applications/<application_id>/scan", endpoint="permits_scan", methods=["POST"]),
        Rule(
            "/permits/applications/<application_id>/material", endpoint="permits_material", methods=["POST"]
        ),
        Rule(
            "/permits/applications/<application_id>/do/<action>", endpoint="permits_action", methods=["POST"]
        ),
        Rule("/permits/files/<attachment_id>", endpoint="permits_file", methods=["GET"]),
        Rule("/permits/batches", endpoint="permits_batches", methods=["GET", "POST"]),
        Rule(
            "/permits/batches/<batch_id>/<any(submit, delete, add):action>",
            endpoint="permits_batch_action",
            methods=["POST"],
        ),
        Rule("/permits/mine", endpoint="permits_mine", methods=["GET"]),
        Rule("/permits/licences", endpoint="permits_licences", methods=["GET"]),
        Rule("/admin/credit", endpoint="permits_credit", methods=["GET", "POST"]),
        Rule("/admin/licences", endpoint="permits_admin_licences", methods=["GET", "POST"]),
        Rule("/verify/<token>", endpoint="verify_licence", methods=["GET"]),
        Rule("/api/v1/permits/catalogue", endpoint="api_permits_catalogue", methods=["GET"]),
        Rule("/api/v1/permits/catalogue/<type_code>", endpoint="api_permits_type", methods=["GET"]),
        Rule("/api/v1/permits/applications", endpoint="api_permits_applications", methods=["GET", "POST"]),
        Rule(
            "/api/v1/permits/applications/<application_id>",
            endpoint="api_permits_application",
            methods=["GET", "PATCH"],
        ),
        Rule(
            f"/api/v1/permits/applications/<application_id>/<{_API_ACTION_RULE}:action>",
            endpoint="api_permits_action",
            methods=["POST"],
        ),
        Rule("/api/v1/permits/applications/<application_id>/correction", endpoint="api_permits_correction",
             methods=["PUT"]),
        Rule("/api/v1/permits/catalogue/<type_code>/lanes", endpoint="api_permits_lanes", methods=["GET"]),
        Rule(
            "/api/v1/permits/applications/<application_id>/materials/<code>",
            endpoint="api_permits_material",
            methods=["POST"],
        ),
        Rule("/api/v1/permits/attachments/<attachment_id>", endpoint="api_permits_file", methods=["GET"]),
        Rule("/api/v1/permits/batches", endpoint="api_permits_batches", methods=["GET", "POST"]),
        Rule("/api/v1/permits/batches/<batch_id>", endpoint="api_permits_batch", methods=["GET"]),
        Rule(
            "/api/v1/permits/batches/<batch_id>/<any(add, remove, submit, delete):action>",
            endpoint="api_permits_batch_action",
            methods=["POST"],
        ),
        Rule("/api/v1/permits/licences", endpoint="api_permits_licences", methods=["GET"]),
        Rule("/api/v1/permits/credit", endpoint="api_permits_credit", methods=["GET", "PUT"]),
        Rule("/api/v1/verify/<token>", endpoint="api_verify_licence", methods=["GET"]),
    ]

    # ---- helpers ------------------------------------------------------------------------------
    def _permits_actor(self, request: Request, write: bool = False) -> dict:
        return self.actor_for_rpc(request, kinds=ENTERPRISE_KINDS, module="permits", write=write)

    def _check_csrf(self, request: Request) -> None:
        if not csrf_ok(request):
            raise HTTPForbidden("页面已过期，请刷新后重新提交。")

    def _read_only(self, actor: dict) -> bool:
        return actor["kind"] == "sub" and READ_ONLY in actor["permissions"]

    def _back(self, application_id: str, notice: str = "", error: str = "") -> Response:
        query = f"?notice={notice}" if notice else (f"?error={error}" if error else "")
        return redirect(f"/permits/applications/{application_id}{query}", code=303)

    # ---- 资质申报: choose ----------------------------------------------------------------------
    def on_permits_home(self, request: Request) -> Response:
        actor = self._permits_actor(request)
        types = self.call(request, "permits", "catalogue_types", actor) or []
        drafts = self.call(request, "permits", "list_applications", actor, {"state_group": "pending"}) or []
        return self.render(
            request, "permits_home.html", types=types, drafts=drafts, read_only=self._read_only(actor)
        )

    def on_permits_new(self, request: Request) -> Response:
        actor = self._permits_actor(request, write=request.method == "POST")
        type_code = request.values.get("type") or request.values.get("type_code") or ""
        try:
            business_type = self.call(request, "permits", "catalogue_type", actor, type_code)
        except ServiceError:
            raise HTTPNotFound() from None
        errors: dict[str, Any] = {}
        form = dict(request.form) if request.method == "POST" else {}
        licence_id = request.values.get("licence") or request.values.get("original_licence_id") or ""
        licence = self.call(request, "permits", "get_licence", actor, licence_id) if licence_id else None
        if licence is not None and request.method != "POST":
            form = licence_form(request.args.get("kind") or "", licence)
        lanes = self.call(request, "permits", "lane_options", actor, type_code,
                          form.get("transaction_kind") or request.args.get("kind") or "new")
        if request.method == "POST":
            self._check_csrf(request)
            items = [
                {"category": c["code"], "grade": request.form.get(f"grade.{c['code']}", "")}
                for c in business_type["categories"]
                if request.form.get(f"grade.{c['code']}")
            ]
            payload = {
                "type_code": type_code,
                "transaction_kind": request.form.get("transaction_kind", "new"),
                "items": items,
                "lane": request.form.get("lane") or "normal",
                "nature": request.form.get("nature") or None,
                "submitter": request.form.get("submitter") or None,
                "request_key": request.form.get("form_key") or None,
                "original_licence_id": licence["id"] if licence else None,
                "values": {k[7:]: v for k, v in request.form.items() if k.startswith("values.") and v},
            }
            try:
                app = self.call(request, "permits", "create_draft", actor, payload)
                app = (
                    self.call(request, "permits", "run_precheck", actor, app["id"])
                    if app["state"] == "draft"
                    else app
                )
            except ServiceError as exc:
                errors = exc.fields or {"_": [{"code": exc.code, "message": exc.message}]}
            else:
                return redirect(f"/permits/applications/{app['id']}", code=303)
        return self.render(
            request,
            "permits_new.html",
            status=422 if errors else 200,
            type=business_type,
            form=form,
            licence=licence,
            lanes=lanes,
            errors=errors,
            form_key=form.get("form_key") or uuid.uuid4().hex,
        )

    # ---- the wizard ------------------------------------------------------------------------------
    def on_permits_application(self, request: Request, application_id: str) -> Response:
        actor = self._permits_actor(request)
        app = _with_page_links(self.call(request, "permits", "get_application", actor, application_id))
        return self.render(
            request,
            "permits_application.html",
            app=app,
            case_clock=self._case_clock(request, actor, app),
            read_only=self._read_only(actor),
            notice=request.args.get("notice", ""),
            error=request.args.get("error", ""),
            form_key=uuid.uuid4().hex,
        )

    def _case_clock(self, request: Request, actor: dict, app: dict) -> dict | None:
        """Review's two legal clocks of the application's case (受理期限, 审批期限), for its own page."""
        if not app.get("case_ref"):
            return None
        try:
            return self.call(request, "review", "case_history", actor, app["case_ref"]).get("clock")
        except ServiceError:
            return None  # review has not opened the case yet (or another desk's reviewer reads)

    def on_permits_commitment(self, request: Request, application_id: str) -> Response:
        """Opening the page opens the letter: the server starts the clock the confirm is held to."""
        actor = self._permits_actor(request, write=True)
        app = self.call(request, "permits", "open_commitment", actor, application_id)
        return self.render(request, "permits_commitment.html", app=app)

    def on_permits_values(self, request: Request, application_id: str) -> Response:
        """The 申报表's typed fields (prefilled from 企业空间) changed while the application is a draft."""
        actor = self._permits_actor(request, write=True)
        self._check_csrf(request)
        values = {k[7:]: v.strip() for k, v in request.form.items() if k.startswith("values.")}
        try:
            self.call(request, "permits", "update_draft", actor, application_id,
                      {"version": _version(request), "values": values})
        except ServiceError as exc:
            return self._back(application_id, error=exc.message)
        return self._back(application_id, notice="申报表填写项已保存")

    def on_permits_correction(self, request: Request, application_id: str) -> Response:
        """补正: the enterprise types the reopened 申报表 fields (only those) and saves them."""
        actor = self._permits_actor(request, write=True)
        self._check_csrf(request)
        values = {k: v.strip() for k, v in request.form.items() if k not in ("csrf_token", "version")}
        try:
            self.call(request, "permits", "update_correction", actor, application_id, values,
                      _version(request))
        except ServiceError as exc:
            app = _with_page_links(self.call(request, "permits", "get_application", actor, application_id))
            return self.render(request, "permits_application.html", status=422, app=app, read_only=False,
                               notice="", error=exc.message, form_key="")
        return redirect(f"/permits/applications/{application_id}?notice={quote('补正内容已保存')}", code=303)

    def on_permits_action(self, request: Request, application_id: str, action: str) -> Response:
        actor = self._permits_actor(request, write=True)
        self._check_csrf(request)
        if action not in PAGE_ACTIONS:
            raise HTTPNotFound()
        method = PAGE_ACTIONS[action]
        args: list[Any] = [actor, application_id]
        if method in ("submit", "resubmit"):
            args += [request.form.get("form_key") or None, _version(request)]
        elif method in ("withdraw", "terminate"):
            args.append(request.form.get("reason", ""))
        elif method != "discard":
            args.append(_version(request))
        try:
            app = self.call(request, "permits", method, *args)
        except ServiceError as exc:
            if action == "confirm":
                app = self.call(request, "permits", "get_application", actor, application_id)
                return self.render(request, "permits_commitment.html", status=409, app=app, error=exc.message)
            return self.render(
                request,
                "permits_application.html",
                status=409 if exc.code != "validation_failed" else 422,
                app=_with_page_links(self.call(request, "permits", "get_application", actor, application_id)),
                read_only=False,
                notice="",
                error=exc.message,
                form_key=uuid.uuid4().hex,
            )
        notices = {
            "submit": "申请已提交",
            "form": "申报表已生成，请下载后签字盖章并上传扫描件",
            "preview": "请阅读并确认承诺书",
        }
        if action == "preview":
            return redirect(f"/permits/applications/{app['id']}#preview", code=303)
        return self._back(app["id"], notice=notices.get(action, "已办理"))

    def _upload_step(self, request: Request, application_id: str, method: str, *extra: Any) -> Response:
        actor = self._permits_actor(request, write=True)
        self._check_csrf(request)
        try:
            upload = uploaded_file(request, "file")
            self.call(
                request,
                "permits",
                method,
                actor,
                application_id,
                *extra,
                upload or {"filename": "", "content_b64": ""},
            )
        except ServiceError as exc:
            messages = [e["message"] for errs in (exc.fields or {}).values() for e in errs] or [exc.message]
            return self.render(
                request,
                "permits_application.html",
                status=422,
                app=_with_page_links(self.call(request, "permits", "get_application", actor, application_id)),
                read_only=False,
                notice="",
                error="；".join(messages),
                form_key=uuid.uuid4().hex,
            )
        return self._back(application_id, notice="文件已上传")

    def on_permits_scan(self, request: Request, application_id: str) -> Response:
        return self._upload_step(request, application_id, "upload_signed_scan")

    def on_permits_material(self, request: Request, application_id: str) -> Response:
        return self._upload_step(request, application_id, "upload_material", request.form.get("code", ""))

    def on_permits_file(self, request: Request, attachment_id: str) -> Response:
        actor = self.actor_for_rpc(request)
        link = self.call(request, "permits", "attachment_url", actor, attachment_id)
        return redirect(link["url"], code=303)

    # ---- 申报批次, 我的资质, 我的证书 ----------------------------------------------------------
    def on_permits_batches(self, request: Request) -> Response:
        actor = self._permits_actor(request, write=request.method == "POST")
        error = ""
        if request.method == "POST":
            self._check_csrf(request)
            try:
                self.call(request, "permits", "create_batch", actor, request.form.get("name", ""))
            except ServiceError as exc:
                error = exc.message
        tab = request.args.get("tab") if request.args.get("tab") in ("pending", "submitted") else "pending"
        mode = request.args.get("mode") if request.args.get("mode") in ("single", "batch") else "single"
        batches = [
            b
            for b in self.call(request, "permits", "list_batches", actor)
            if (b["status"] == "submitted") == (tab == "submitted")
        ]
        singles = self.call(
            request, "permits", "list_applications", actor, {"state_group": tab, "batched": False}
        )
        drafts = self.call(request, "permits", "list_applications", actor, {"state_group": "pending"})
        return self.render(
            request,
            "permits_batches.html",
            tab=tab,
            mode=mode,
            batches=batches,
            singles=singles,
            drafts=drafts,
            results=None,
            error=error,
            read_only=self._read_only(actor),
        )

    def on_permits_batch_action(self, request: Request, batch_id: str, action: str) -> Response:
        actor = self._permits_actor(request, write=True)
        self._check_csrf(request)
        results, error = None, ""
        try:
            if action == "add":
                self.call(
                    request,
                    "permits",
                    "add_to_batch",
                    actor,
                    batch_id,
                    request.form.get("application_id", ""),
                )
            elif action == "submit":
                results = self.call(
                    request, "permits", "submit_batch", actor, batch_id, request.form.get("form_key") or None
                )["results"]
            else:
                results = self.call(request, "permits", "delete_batch", actor, batch_id)["results"]
        except ServiceError as exc:
            error = exc.message
        if results is None and not error:
            return redirect("/permits/batches?mode=batch", code=303)
        batches = [
            b for b in self.call(request, "permits", "list_batches", actor) if b["status"] == "pending"
        ]
        singles = self.call(
            request, "permits", "list_applications", actor, {"state_group": "pending", "batched": False}
        )
        drafts = self.call(request, "permits", "list_applications", actor, {"state_group": "pending"})
        return self.render(
            request,
            "permits_batches.html",
            tab="pending",
            mode="batch",
            batches=batches,
            singles=singles,
            drafts=drafts,
            results=results,
            error=error,
            read_only=False,
        )

    def on_permits_mine(self, request: Request) -> Response:
        actor = self._permits_actor(request)
        apps = self.call(request, "permits", "list_applications", actor, {"state_group": "all"})
        return self.render(request, "permits_mine.html", apps=apps)

    def on_permits_licences(self, request: Request) -> Response:
        actor = self._permits_actor(request)
        return self.render(
            request, "permits_licences.html", licences=self.call(request, "permits", "my_licences", actor)
        )

    def on_permits_credit(self, request: Request) -> Response:
        actor = self.actor_for_rpc(request, kinds=("reviewer", "admin"))
        error, notice = "", ""
        if request.method == "POST":
            self._check_csrf(request)
            try:
                self.call(
                    request,
                    "permits",
                    "set_credit",
                    actor,
                    {
                        "enterprise_id": request.form.get("enterprise_id", ""),
                        "rating": request.form.get("rating", ""),
                        "note": request.form.get("note") or None,
                        "free_trade_zone": request.form.get("free_trade_zone") == "1",
                    },
                )
                notice = "信用等级已保存"
            except ServiceError as exc:
                error = (
                    "；".join(e["message"] for errs in (exc.fields or {}).values() for e in errs)
                    or exc.message
                )
        records = self.call(request, "permits", "credit_register", actor)
        return self.render(
            request,
            "permits_credit.html",
            records=records,
            error=error,
            notice=notice,
            is_admin=actor["kind"] == "admin",
        )

    def on_permits_admin_licences(self, request: Request) -> Response:
        """证书管理: staff find licences by number; admins suspend, revoke or reinstate them."""
        actor = self.actor_for_rpc(request, kinds=("reviewer", "admin"))
        query = (request.values.get("q") or "").strip()
        error, notice = "", ""
        if request.method == "POST":
            self._check_csrf(request)
            try:
                licence = self.call(request, "permits", "set_licence_status", actor,
                                    request.form.get("licence_id", ""), request.form.get("status", ""),
                                    request.form.get("reason", ""))
                notice = f"证书 {licence['number']} 已设为“{licence['status_label']}”"
            except ServiceError as exc:
                error = "；".join(e["message"] for errs in (exc.fields or {}).values() for e in errs) \
                    or exc.message
        at_risk = request.values.get("at_risk") == "1"
        found = self.call(request, "permits", "find_licences", actor, query, at_risk)
        return self.render(request, "permits_admin_licences.html", licences=found, q=query,
                           at_risk=at_risk,
                           error=error, notice=notice, is_admin=actor["kind"] == "admin",
                           status=422 if error else 200)

    def on_verify_licence(self, request: Request, token: str) -> Response:
        self.current_actor(request)
        try:
            licence = self.call(request, "permits", "verify_licence", token)
        except ServiceError as exc:
            return self.render(request, "verify_licence.html", status=404, licence=None, message=exc.message)
        return self.render(request, "verify_licence.html", licence=licence, message="")

    # ---- JSON API --------------------------------------------------------------------------------
    def on_api_permits_catalogue(self, request: Request) -> Response:
        actor = self.actor_for_rpc(request)
        return json_response(self.call(request, "permits", "catalogue_types", actor), 200)

    def on_api_permits_type(self, request: Request, type_code: str) -> Response:
        actor = self.actor_for_rpc(request)
        return json_response(self.call(request, "permits", "catalogue_type", actor, type_code), 200)

    def on_api_permits_applications(self, request: Request) -> Response:
        if request.method == "GET":
            actor = self._permits_actor(request)
            query: dict[str, Any] = {"state_group": request.args.get("state_group") or "all"}
            if request.args.get("batched") in ("0", "1"):
                query["batched"] = request.args["batched"] == "1"
            return json_response(self.call(request, "permits", "list_applications", actor, query), 200)
        actor = self._permits_actor(request, write=True)
        self.require_api_csrf(request)
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        key = request.headers.get("X-Idempotency-Key")
        if key:
            payload["request_key"] = key[:64]
        return json_response(self.call(request, "permits", "create_draft", actor, payload), 201)

    def on_api_permits_application(self, request: Request, application_id: str) -> Response:
        if request.method == "GET":
            actor = self._permits_actor(request)
            return json_response(self.call(request, "permits", "get_application", actor, application_id), 200)
        actor = self._permits_actor(request, write=True)
        self.require_api_csrf(request)
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(
            self.call(request, "permits", "update_draft", actor, application_id, payload), 200
        )

    def on_api_permits_action(self, request: Request, application_id: str, action: str) -> Response:
        actor = self._permits_actor(request, write=True)
        self.require_api_csrf(request)
        payload = json_body(request) if request.data else {}
        if payload is None:
            return json_response(INVALID_JSON, 400)
        method = API_ACTIONS[action]
        version = payload.get("version")
        args: list[Any] = [actor, application_id]
        if method in ("submit", "resubmit"):
            args += [request.headers.get("X-Idempotency-Key") or payload.get("idempotency_key"), version]
        elif method in ("withdraw", "terminate"):
            args.append(payload.get("reason") or "")
        elif method == "upload_signed_scan":
            args += [
                api_upload(payload),
                version,
            ]
        elif method not in ("discard", "open_commitment"):
            args.append(version)
        return json_response(self.call(request, "permits", method, *args), 200)

    def on_api_permits_correction(self, request: Request, application_id: str) -> Response:
        actor = self._permits_actor(request, write=True)
        self.require_api_csrf(request)
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        values = payload.get("values") if isinstance(payload.get("values"), dict) else {}
        return json_response(self.call(request, "permits", "update_correction", actor, application_id,
                                       values, payload.get("version")), 200)

    def on_api_permits_lanes(self, request: Request, type_code: str) -> Response:
        actor = self._permits_actor(request)
        kind = request.args.get("kind") or "new"
        return json_response(self.call(request, "permits", "lane_options", actor, type_code, kind), 200)

    def on_api_permits_material(self, request: Request, application_id: str, code: str) -> Response:
        actor = self._permits_actor(request, write=True)
        self.require_api_csrf(request)
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        upload = api_upload(payload)
        return json_response(
            self.call(request, "permits", "upload_material", actor, application_id, code, upload), 200
        )

    def on_api_permits_file(self, request: Request, attachment_id: str) -> Response:
        actor = self.actor_for_rpc(request)
        return redirect(
            self.call(request, "permits", "attachment_url", actor, attachment_id)["url"], code=303
        )

    def on_api_permits_batches(self, request: Request) -> Response:
        if request.method == "GET":
            actor = self._permits_actor(request)
            return json_response(self.call(request, "permits", "list_batches", actor), 200)
        actor = self._permits_actor(request, write=True)
        self.require_api_csrf(request)
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(
            self.call(request, "permits", "create_batch", actor, payload.get("name") or ""), 201
        )

    def on_api_permits_batch(self, request: Request, batch_id: str) -> Response:
        actor = self._permits_actor(request)
        return json_response(self.call(request, "permits", "get_batch", actor, batch_id), 200)

    def on_api_permits_batch_action(self, request: Request, batch_id: str, action: str) -> Response:
        actor = self._permits_actor(request, write=True)
        self.require_api_csrf(request)
        payload = json_body(request) if request.data else {}
        if payload is None:
            return json_response(INVALID_JSON, 400)
        if action in ("add", "remove"):
            method = "add_to_batch" if action == "add" else "remove_from_batch"
            result = self.call(
                request, "permits", method, actor, batch_id, payload.get("application_id") or ""
            )
        elif action == "submit":
            result = self.call(
                request, "permits", "submit_batch", actor, batch_id, request.headers.get("X-Idempotency-Key")
            )
        else:
            result = self.call(request, "permits", "delete_batch", actor, batch_id)
        return json_response(result, 200)

    def on_api_permits_licences(self, request: Request) -> Response:
        actor = self._permits_actor(request)
        return json_response(self.call(request, "permits", "my_licences", actor), 200)

    def on_api_permits_credit(self, request: Request) -> Response:
        actor = self.actor_for_rpc(request, kinds=("reviewer", "admin"))
        if request.method == "GET":
            return json_response(self.call(request, "permits", "credit_register", actor), 200)
        self.require_api_csrf(request)
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(self.call(request, "permits", "set_credit", actor, payload), 200)

    def on_api_verify_licence(self, request: Request, token: str) -> Response:
        return json_response(self.call(request, "permits", "verify_licence", token), 200)
