"""Enterprise module entry pages, sub-accounts (账号管理), staff accounts, registration review."""

from __future__ import annotations

from werkzeug.exceptions import Forbidden as HTTPForbidden
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.routing import Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from gateway.apischemas.account import SessionAccount, StaffAccount, SubAccount, SubAccountChange
from gateway.http import INVALID_JSON, json_body, json_response
from gateway.openapi import Op, path_param
from gateway.views.forms import kept, uploaded_file
from services.common.access import MODULES, actor_from_account
from services.common.errors import ValidationFailed

LEVEL_LABELS = {"city": "盟市", "province": "自治区（省级）", "ministry": "部级"}
STAFF_FIELDS = ("kind", "username", "contact_name", "email", "level", "region_code")
SUB_FIELDS = ("username", "contact_name", "email")


class ManagementViews:
    OPENAPI_OPERATIONS = [
        Op("GET /api/v1/modules/{module}", "Whether the signed-in account may use a module (?write=1: "
           "change it)", params=(path_param("module", "enterprise, personnel or permits"),),
           errors=(401, 403, 404)),
        Op("GET /api/v1/sub-accounts", "The enterprise's sub-accounts (main account only)",
           result=SessionAccount(many=True), errors=(401, 403)),
        Op("POST /api/v1/sub-accounts", "Create a sub-account with module permissions", body=SubAccount,
           ok=201, result=SessionAccount, csrf=True, errors=(400, 401, 403, 422, 503)),
        Op("PATCH /api/v1/sub-accounts/{account_id}", "Change a sub-account's permissions or disable it "
           "(its sessions end)", params=(path_param("account_id", "the sub-account"),), body=SubAccountChange,
           result=SessionAccount, csrf=True, errors=(400, 401, 403, 404, 422, 503)),
        Op("GET /api/v1/staff-accounts", "Reviewer and admin accounts (admins only)",
           result=SessionAccount(many=True), errors=(401, 403)),
        Op("POST /api/v1/staff-accounts", "Create a reviewer (level + region) or admin account",
           body=StaffAccount, ok=201, result=SessionAccount, csrf=True, errors=(400, 401, 403, 422, 503)),
    ]

    ROUTES = [
        Rule("/account/users", endpoint="sub_accounts", methods=["GET", "POST"]),
        Rule("/account/users/<account_id>", endpoint="sub_account", methods=["POST"]),
        Rule("/admin/staff", endpoint="staff", methods=["GET", "POST"]),
        Rule("/admin/accounts/<account_id>/reset-password", endpoint="admin_reset", methods=["POST"]),
        Rule("/review/registrations", endpoint="registrations", methods=["GET"]),
        Rule("/review/registrations/<account_id>", endpoint="decide_registration", methods=["GET"]),
        Rule("/api/v1/modules/<module>", endpoint="api_module", methods=["GET"]),
        Rule("/api/v1/sub-accounts", endpoint="api_sub_accounts", methods=["GET", "POST"]),
        Rule("/api/v1/sub-accounts/<account_id>", endpoint="api_sub_account", methods=["PATCH"]),
        Rule("/api/v1/staff-accounts", endpoint="api_staff", methods=["GET", "POST"]),
        Rule("/admin/exam-passes", endpoint="exam_passes", methods=["GET", "POST"]),
    ]

    # ---- module permission probe -------------------------------------------------------------
    def on_api_module(self, request: Request, module: str) -> Response:
        if module not in MODULES:
            raise HTTPNotFound()
        write = request.args.get("write") == "1"
        actor = self.require(request, kinds=("enterprise", "sub"), module=module, write=write)
        return json_response({"module": module, "allowed": True, "account": actor["login"]}, 200)

    # ---- sub-accounts ----------------------------------------------------------------------
    def on_sub_accounts(self, request: Request) -> Response:
        actor = self.require(request, kinds=("enterprise",))
        form, errors, status = {}, {}, 200
        if request.method == "POST":
            form = kept(request, SUB_FIELDS)
            form["permissions"] = request.form.getlist("permissions")
            try:
                self.clients(request).identity.create_sub_account(actor["id"], {
                    **form, "password": request.form.get("password", "")})
                return redirect("/account/users", code=303)
            except ValidationFailed as exc:
                errors, status = exc.fields, 422
        users = self.clients(request).identity.list_sub_accounts(actor["id"])
        return self.render(request, "sub_accounts.html", status=status, users=users, form=form,
                           errors=errors, modules=MODULES)

    def on_sub_account(self, request: Request, account_id: str) -> Response:
        actor = self.require(request, kinds=("enterprise",))
        changes: dict = {}
        if request.form.get("action") in ("disable", "enable"):
            changes["disabled"] = request.form["action"] == "disable"
        else:
            changes["permissions"] = request.form.getlist("permissions")
        self.clients(request).identity.set_sub_account(actor["id"], account_id, changes)
        self.forget_account(account_id)
        return redirect("/account/users", code=303)

    def on_api_sub_accounts(self, request: Request) -> Response:
        actor = self.require(request, kinds=("enterprise",))
        if request.method == "GET":
            return json_response(self.clients(request).identity.list_sub_accounts(actor["id"]), 200)
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(self.clients(request).identity.create_sub_account(actor["id"], payload), 201)

    def on_api_sub_account(self, request: Request, account_id: str) -> Response:
        actor = self.require(request, kinds=("enterprise",))
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        changes = {k: payload[k] for k in ("permissions", "disabled") if k in payload}
        result = self.clients(request).identity.set_sub_account(actor["id"], account_id, changes)
        self.forget_account(account_id)
        return json_response(result, 200)

    # ---- staff accounts (admins) -------------------------------------------------------
    def on_staff(self, request: Request) -> Response:
        actor = self.require(request, kinds=("admin",))
        form, errors, status, reset = {}, {}, 200, None
        if request.method == "POST":
            form = kept(request, STAFF_FIELDS)
            try:
                self.clients(request).identity.create_staff_account(actor["id"], {
                    **form, "password": request.form.get("password", "")})
                return redirect("/admin/staff", code=303)
            except ValidationFailed as exc:
                errors, status = exc.fields, 422
        staff = self.clients(request).identity.list_staff_accounts(actor["id"])
        return self.render(request, "staff.html", status=status, staff=staff, form=form, errors=errors,
                           levels=LEVEL_LABELS, reset=reset)

    # ---- 考试合格数据: the exam-pass register (import: admins; search: reviewers and admins) --------
    def on_exam_passes(self, request: Request) -> Response:
        account = self.require(request, kinds=("reviewer", "admin"))
        actor = actor_from_account(account)
        errors, status = {}, 200
        if request.method == "POST":
            if account.get("kind") != "admin":
                raise HTTPForbidden("只有管理员可以导入考试合格数据")
            try:  # a background job (gateway/views/imports.py): its page shows the progress
                job = self.start_import(request, "exam-passes", actor, uploaded_file(request, "file"))
                return redirect(f"/admin/imports/exam-passes/{job['id']}", code=303)
            except ValidationFailed as exc:
                errors, status = exc.fields, 422
        query = request.args.get("q", "").strip()
        found = self.clients(request).personnel.search_exam_passes(actor, {"q": query}) if query else None
        return self.render(request, "exam_passes.html", status=status, errors=errors,
                           query=query, found=found, admin=account.get("kind") == "admin")

    def on_admin_reset(self, request: Request, account_id: str) -> Response:
        actor = self.require(request, kinds=("reviewer", "admin"))
        result = self.clients(request).identity.admin_reset_password(actor["id"], account_id)
        self.forget_account(account_id)
        return self.render(request, "notice.html", title="密码已重置",
                           message=f"账号 {result['login']} 的临时密码为：{result['temporary_password']}"
                                   "。请通过安全渠道告知本人，首次登录时须修改密码。")

    def on_api_staff(self, request: Request) -> Response:
        actor = self.require(request, kinds=("admin",))
        if request.method == "GET":
            return json_response(self.clients(request).identity.list_staff_accounts(actor["id"]), 200)
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(self.clients(request).identity.create_staff_account(actor["id"], payload), 201)

    # ---- registration review (TSA): a review case, worked in the review console ---------
    def on_registrations(self, request: Request) -> Response:
        self.require(request, kinds=("reviewer", "admin"))
        return redirect("/review/cases?case_type=identity.%2A", code=303)  # the queue filter 企业注册审核

    def on_decide_registration(self, request: Request, account_id: str) -> Response:
        """The old per-registration address: the review case about that account."""
        self.require(request, kinds=("reviewer", "admin"))
        return redirect(f"/review/cases/identity:registration:{account_id}", code=303)
