"""企业空间 > 企业信息 (basic info, rosters, projects, equipment, shareholding, change requests),
registration step 2 (/register/enterprise), attachment downloads and the JSON API.

Every call passes the actor dict; the enterprise service re-checks it (the gateway's module
check is the first door). Enterprise-side actors only ever name their own enterprise here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from gateway.http import INVALID_JSON, json_body, json_response
from gateway.openapi import ERROR_CONTENT
from gateway.views.forms import CSRF_ERROR, csrf_ok, uploaded_file
from services.common.access import actor_from_account
from services.common.errors import FieldErrors, ServiceError, ValidationFailed

SECTIONS = "any(staff, projects, equipment, shareholders)"
BASIC_FIELDS = (
    "name",
    "enterprise_type",
    "legal_person",
    "legal_representative",
    "registered_address",
    "current_address",
    "region_code",
    "contact_name",
    "contact_phone",
    "email",
    "registered_capital_wan",
    "net_assets_wan",
    "established_on",
    "business_scope",
    "parent_enterprise_id",
    "parent_name",
)
EDITABLE = (
    "current_address",
    "region_code",
    "contact_name",
    "contact_phone",
    "email",
    "registered_capital_wan",
    "net_assets_wan",
    "established_on",
    "business_scope",
    "parent_enterprise_id",
)
FILE_FIELDS = ("business_licence", "legal_rep_id")
ROSTER_PAGE = 50
NESTED_ROWS = 3  # rows of certificates / work experience / training shown in a form

# (name, label, kind, required, options) per section form; kind: text, number, date, select
SECTION_FIELDS: dict[str, list[tuple[str, str, str, bool, str | None]]] = {
    "staff": [
        ("category", "人员类别", "select", True, "staff_categories"),
        ("name", "姓名", "text", True, None),
        ("id_type", "证件类型", "select", True, "id_types"),
        ("id_number", "证件号码", "text", True, None),
        ("gender", "性别", "text", False, None),
        ("education", "学历", "text", False, None),
        ("mobile", "手机号码", "text", False, None),
        ("title", "职称", "text", False, None),
        ("title_level", "职称等级", "select", False, "levels"),
        ("skill_level", "技能等级", "select", False, "levels"),
        ("specialty", "专业", "text", False, None),
        ("years_experience", "工作年限（年）", "number", False, None),
        ("witness_phone", "证明人手机号码", "text", False, None),
    ],
    "projects": [
        ("name", "项目名称", "text", True, None),
        ("client", "发包单位", "text", True, None),
        ("category", "业绩类别", "select", True, "project_categories"),
        ("grade", "等级", "text", False, None),
        ("voltage_kv", "电压等级（kV）", "number", False, None),
        ("contract_amount_wan", "合同金额（万元）", "number", True, None),
        ("length_km", "线路长度（km）", "number", False, None),
        ("started_on", "开工日期", "date", True, None),
        ("completed_on", "竣工日期", "date", False, None),
    ],
    "equipment": [
        ("name", "设备名称", "text", True, None),
        ("kind", "设备类别", "text", False, None),
        ("model", "规格型号", "text", False, None),
        ("quantity", "数量", "number", True, None),
    ],
    "shareholders": [
        ("holder", "股东名称", "text", True, None),
        ("holder_kind", "股东类型", "text", False, None),
        ("share_percent", "持股比例（%）", "number", True, None),
    ],
}
SECTION_TITLES = {"staff": "主要人员", "projects": "业绩", "equipment": "设备", "shareholders": "股权结构"}
SECTION_COLUMNS = {
    "staff": [
        ("name", "姓名"),
        ("category_label", "人员类别"),
        ("id_number", "证件号码"),
        ("title", "职称"),
        ("specialty", "专业"),
        ("years_experience", "工作年限"),
    ],
    "projects": [
        ("name", "项目名称"),
        ("client", "发包单位"),
        ("category_label", "类别"),
        ("voltage_kv", "电压等级(kV)"),
        ("contract_amount_wan", "合同金额(万元)"),
        ("completed_on", "竣工日期"),
    ],
    "equipment": [("name", "设备名称"), ("kind", "类别"), ("model", "规格型号"), ("quantity", "数量")],
    "shareholders": [("holder", "股东名称"), ("holder_kind", "股东类型"), ("share_percent", "持股比例(%)")],
}
NESTED = {
    "certificates": (
        "证书",
        [
            ("kind", "证书类别", "select", "certificate_kinds"),
            ("number", "证书编号", "text", None),
            ("specialty", "证书专业", "text", None),
            ("valid_until", "有效期至", "date", None),
        ],
    ),
    "work_experience": (
        "工作经历（安全负责人）",
        [
            ("employer", "工作单位", "text", None),
            ("position", "职务", "text", None),
            ("started_on", "开始日期", "date", None),
            ("ended_on", "结束日期", "date", None),
            ("witness", "证明人", "text", None),
            ("witness_phone", "证明人手机", "text", None),
        ],
    ),
    "training_history": (
        "培训经历（安全负责人）",
        [
            ("course", "培训内容", "text", None),
            ("organiser", "培训机构", "text", None),
            ("started_on", "开始日期", "date", None),
            ("ended_on", "结束日期", "date", None),
            ("hours", "学时", "text", None),
        ],
    ),
}
OWNER_PURPOSE = {"staff": "staff_document", "projects": "project_acceptance", "equipment": "equipment_proof"}


def _record_from_form(request: Request, section: str) -> dict[str, Any]:
    data: dict[str, Any] = {name: request.form.get(name, "") for name, *_ in SECTION_FIELDS[section]}
    if section == "staff":
        for nested, (_, columns) in NESTED.items():
            rows = []
            for index in range(NESTED_ROWS):
                row = {key: request.form.get(f"{nested}.{index}.{key}", "") for key, *_ in columns}
                rows.append(row)
            data[nested] = rows
    return data


def _upload_from(request: Request, name: str, errors: FieldErrors) -> dict[str, str] | None:
    """uploaded_file, with a too-large file noted in the form's errors instead of raised."""
    try:
        return uploaded_file(request, name)
    except ValidationFailed as exc:
        errors.update(exc.fields)
        return None


class EnterpriseViews:
    ROUTES = [
        Rule("/enterprise", endpoint="enterprise_basic", methods=["GET", "POST"]),
        Rule("/enterprise/changes", endpoint="enterprise_changes", methods=["GET", "POST"]),
        Rule("/enterprise/organisations", endpoint="enterprise_organisations", methods=["GET"]),
        Rule(f"/enterprise/<{SECTIONS}:section>", endpoint="enterprise_section", methods=["GET"]),
        Rule(
            f"/enterprise/<{SECTIONS}:section>/new", endpoint="enterprise_record_new", methods=["GET", "POST"]
        ),
        Rule(
            f"/enterprise/<{SECTIONS}:section>/<record_id>/edit",
            endpoint="enterprise_record_edit",
            methods=["GET", "POST"],
        ),
        Rule(
            f"/enterprise/<{SECTIONS}:section>/<record_id>/delete",
            endpoint="enterprise_record_delete",
            methods=["POST"],
        ),
        Rule("/register/enterprise", endpoint="register_enterprise", methods=["GET", "POST"]),
        Rule("/files/enterprise/<attachment_id>", endpoint="enterprise_file", methods=["GET"]),
        Rule("/api/v1/enterprise", endpoint="api_enterprise", methods=["GET", "PATCH"]),
        Rule("/api/v1/enterprise/summary", endpoint="api_enterprise_summary", methods=["GET"]),
        Rule("/api/v1/enterprise/history", endpoint="api_enterprise_history", methods=["GET"]),
        Rule(
            "/api/v1/enterprise/change-requests", endpoint="api_enterprise_changes", methods=["GET", "POST"]
        ),
        Rule("/api/v1/enterprise/attachments", endpoint="api_enterprise_attachments", methods=["POST"]),
        Rule(
            "/api/v1/enterprise/registration-profile",
            endpoint="api_registration_profile",
            methods=["GET", "PUT"],
        ),
        Rule(
            "/api/v1/enterprise/registration-profile/submit",
            endpoint="api_registration_submit",
            methods=["POST"],
        ),
        Rule(
            f"/api/v1/enterprise/<{SECTIONS}:section>",
            endpoint="api_enterprise_section",
            methods=["GET", "POST"],
        ),
        Rule(
            f"/api/v1/enterprise/<{SECTIONS}:section>/<record_id>",
            endpoint="api_enterprise_record",
            methods=["GET", "PUT", "DELETE"],
        ),
        Rule("/api/v1/enterprises/<enterprise_id>", endpoint="api_enterprise_of", methods=["GET"]),
        Rule(
            f"/api/v1/enterprises/<enterprise_id>/<{SECTIONS}:section>", endpoint="api_enterprise_of_section"
        , methods=["GET"]),
        Rule("/api/v1/organisations", endpoint="api_organisations", methods=["GET"]),
    ]

    # ---- helpers --------------------------------------------------------------------------
    def _ent_actor(self, request: Request, write: bool = False) -> dict:
        return self.actor_for_rpc(request, kinds=("enterprise", "sub"), module="enterprise", write=write)

    def _reference(self, request: Request) -> dict:
        cached = getattr(self, "_enterprise_reference", None)
        if cached is None:
            cached = self.call(request, "enterprise", "reference_data")
            self._enterprise_reference = cached
        return cached

    def _page(
        self, request: Request, template: str, actor: dict, status: int = 200, **context: Any
    ) -> Response:
        return self.render(
            request,
            template,
            status=status,
            ref=self._reference(request),
            read_only=not self._may_write(actor),
            tab=context.pop("tab", "basic"),
            **context,
        )

    @staticmethod
    def _may_write(actor: dict) -> bool:
        return actor["kind"] == "enterprise" or (
            "enterprise" in actor["permissions"] and "read_only" not in actor["permissions"]
        )

    # ---- 基本信息 -------------------------------------------------------------------------------
    def on_enterprise_basic(self, request: Request) -> Response:
        write = request.method == "POST"
        actor = self._ent_actor(request, write=write)
        eid = actor["enterprise_id"]
        errors: FieldErrors = {}
        form: dict[str, Any] = {}
        status = 200
        if write:
            form = {name: request.form[name] for name in EDITABLE if name in request.form}
            if not csrf_ok(request):
                errors, status = CSRF_ERROR, 400
            else:
                files = {n: u for n in FILE_FIELDS if (u := _upload_from(request, n, errors))}
                if not errors:
                    try:
                        self.call(
                            request, "enterprise", "update_basic_info", actor, eid, {**form, "files": files}
                        )
                        return redirect("/enterprise?saved=1", code=303)
                    except ValidationFailed as exc:
                        errors = exc.fields
                status = 422 if errors and status == 200 else status
        enterprise = self.call(request, "enterprise", "get_enterprise", actor, eid)
        summary = self.call(request, "enterprise", "summary", actor, eid)
        return self._page(
            request,
            "enterprise_basic.html",
            actor,
            status=status,
            enterprise=enterprise,
            form=form,
            errors=errors,
            summary=summary,
            tab="basic",
            saved=request.args.get("saved") == "1",
        )

    def on_enterprise_organisations(self, request: Request) -> Response:
        actor = self._ent_actor(request)
        query = request.args.get("q", "").strip()
        found = self.call(request, "enterprise", "search_organisations", actor, query) if query else []
        return self._page(
            request, "enterprise_organisations.html", actor, query=query, found=found, tab="basic"
        )

    # ---- 变更申请 / 变更记录 ----------------------------------------------------------------------
    def on_enterprise_changes(self, request: Request) -> Response:
        write = request.method == "POST"
        actor = self._ent_actor(request, write=write)
        eid = actor["enterprise_id"]
        errors: FieldErrors = {}
        form: dict[str, Any] = {}
        status = 200
        if write:
            form = {
                name: request.form.get(name, "").strip()
                for name in (
                    "name",
                    "enterprise_type",
                    "legal_person",
                    "legal_representative",
                    "registered_address",
                    "reason",
                )
            }
            if not csrf_ok(request):
                errors, status = CSRF_ERROR, 400
            else:
                changes = {k: v for k, v in form.items() if v and k != "reason"}
                try:
                    files = {"business_licence": uploaded_file(request, "business_licence")}
                    self.call(
                        request,
                        "enterprise",
                        "request_change",
                        actor,
                        eid,
                        {"changes": changes, "reason": form.get("reason") or None,
                         "files": {k: v for k, v in files.items() if v}},
                    )
                    return redirect("/enterprise/changes", code=303)
                except ServiceError as exc:
                    errors = exc.fields or {"_": [{"code": exc.code, "message": exc.message}]}
                    status = 422 if isinstance(exc, ValidationFailed) else 409
        enterprise = self.call(request, "enterprise", "get_enterprise", actor, eid)
        requests_ = self.call(request, "enterprise", "list_change_requests", actor, eid)
        page = max(1, request.args.get("page", 1, type=int) or 1)
        history = self.call(
            request, "enterprise", "change_history", actor, eid, {"page": page, "per_page": 50}
        )
        return self._page(
            request,
            "enterprise_changes.html",
            actor,
            status=status,
            enterprise=enterprise,
            change_requests=requests_,
            history=history,
            form=form,
            errors=errors,
            tab="changes",
        )

    # ---- 主要人员 / 业绩 / 设备 / 股权结构 ----------------------------------------------------------
    def on_enterprise_section(self, request: Request, section: str) -> Response:
        actor = self._ent_actor(request)
        eid = actor["enterprise_id"]
        category = request.args.get("category") or ("technical_lead" if section == "staff" else None)
        query = {
            "q": request.args.get("q") or None,
            "page": max(1, request.args.get("page", 1, type=int) or 1),
            "per_page": ROSTER_PAGE,
        }
        if section == "staff" and category != "summary":
            query["category"] = category
        listing = self.call(request, "enterprise", "list_records", actor, eid, section, query)
        pages = max(1, -(-listing["total"] // ROSTER_PAGE))
        return self._page(
            request,
            "enterprise_section.html",
            actor,
            section=section,
            listing=listing,
            category=category,
            q=request.args.get("q", ""),
            pages=pages,
            tab=section,
            columns=SECTION_COLUMNS[section],
            title=SECTION_TITLES[section],
        )

    def on_enterprise_record_new(self, request: Request, section: str) -> Response:
        return self._record_form(request, section, None)

    def on_enterprise_record_edit(self, request: Request, section: str, record_id: str) -> Response:
        return self._record_form(request, section, record_id)

    def _record_form(self, request: Request, section: str, record_id: str | None) -> Response:
        write = request.method == "POST"
        actor = self._ent_actor(request, write=True)
        eid = actor["enterprise_id"]
        errors: FieldErrors = {}
        status = 200
        record = (
            self.call(request, "enterprise", "get_record", actor, eid, section, record_id)
            if record_id
            else {"category": request.args.get("category") or "technical_lead", "id_type": "resident_id"}
        )
        form = record
        if write:
            form = {
                **_record_from_form(request, section),
                "id": record_id,
                "attachments": record.get("attachments", []),
            }
            if not csrf_ok(request):
                errors, status = CSRF_ERROR, 400
            else:
                upload = _upload_from(request, "attachment", errors) if section in OWNER_PURPOSE else None
                if not errors:
                    try:
                        saved = self.call(
                            request,
                            "enterprise",
                            "save_record",
                            actor,
                            eid,
                            section,
                            {k: v for k, v in form.items() if k != "attachments"},
                        )
                        if upload is not None:
                            self.call(
                                request,
                                "enterprise",
                                "upload_attachment",
                                actor,
                                eid,
                                {"purpose": OWNER_PURPOSE[section], "owner_id": saved["id"], "file": upload},
                            )
                        back = f"/enterprise/{section}"
                        if section == "staff":
                            back += f"?category={saved['category']}"
                        return redirect(back, code=303)
                    except ValidationFailed as exc:
                        errors = {("attachment" if k == "file" else k): v for k, v in exc.fields.items()}
                status = 422 if status == 200 else status
        return self._page(
            request,
            "enterprise_record.html",
            actor,
            status=status,
            section=section,
            record_id=record_id,
            form=form,
            errors=errors,
            fields=SECTION_FIELDS[section],
            nested=NESTED if section == "staff" else {},
            nested_rows=NESTED_ROWS,
            title=SECTION_TITLES[section],
            tab=section,
            has_attachment=section in OWNER_PURPOSE,
        )

    def on_enterprise_record_delete(self, request: Request, section: str, record_id: str) -> Response:
        actor = self._ent_actor(request, write=True)
        if not csrf_ok(request):
            return self.render(request, "error.html", status=400, message="页面已过期，请刷新后重新提交。")
        self.call(request, "enterprise", "delete_record", actor, actor["enterprise_id"], section, record_id)
        back = request.form.get("back", "")
        return redirect(
            back if back.startswith(f"/enterprise/{section}") else f"/enterprise/{section}", code=303
        )

    # ---- registration step 2 ------------------------------------------------------------------
    def on_register_enterprise(self, request: Request) -> Response:
        account = self.require(request, kinds=("enterprise",), allow_registering=True)
        if account.get("status") == "active":
            return redirect("/enterprise", code=303)
        actor = actor_from_account(account)
        errors: FieldErrors = {}
        form: dict[str, Any] = {}
        status = 200
        submitted = False
        if request.method == "POST":
            form = {name: request.form[name] for name in BASIC_FIELDS if name in request.form}
            if not csrf_ok(request):
                errors, status = CSRF_ERROR, 400
            else:
                files = {n: u for n in FILE_FIELDS if (u := _upload_from(request, n, errors))}
                try:
                    self.call(
                        request, "enterprise", "save_registration_profile", actor, {**form, "files": files}
                    )
                    if not errors and request.form.get("action") == "submit":
                        self.call(request, "enterprise", "submit_registration_profile", actor)
                        submitted = True
                except ServiceError as exc:
                    errors = {**errors, **(exc.fields or {"_": [{"code": exc.code, "message": exc.message}]})}
                if errors:
                    status = 422
        profile = self.call(request, "enterprise", "registration_profile", actor, actor["enterprise_id"])
        if request.method == "POST" and not errors:
            form = {}
        return self.render(
            request,
            "register_enterprise.html",
            status=status,
            profile=profile,
            form=form,
            errors=errors,
            ref=self._reference(request),
            submitted=submitted,
            saved=request.method == "POST" and not errors,
        )

    # ---- downloads --------------------------------------------------------------------------------
    def on_enterprise_file(self, request: Request, attachment_id: str) -> Response:
        account = self.require(request, allow_registering=True)
        actor = actor_from_account(account)
        result = self.call(request, "enterprise", "attachment_url", actor, attachment_id)
        return redirect(result["url"], code=303)

    # ---- JSON API ----------------------------------------------------------------------------------
    def _own_read(self, request: Request, method: str, *args: Any) -> Response:
        """GET for the actor's own enterprise: enterprise.<method>(actor, enterprise_id, *args)."""
        actor = self._ent_actor(request)
        return json_response(self.call(request, "enterprise", method, actor, actor["enterprise_id"], *args),
                             200)

    def _own_write(self, request: Request, method: str, *args: Any, status: int = 200,
                   shape: Callable[[dict], dict] = lambda payload: payload) -> Response:
        """A JSON change to the actor's own enterprise: write permission, X-CSRF-Token, a JSON
        body (400 if not), then enterprise.<method>(actor, enterprise_id, *args, shape(body))."""
        actor = self._ent_actor(request, write=True)
        self.require_api_csrf(request)
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(
            self.call(request, "enterprise", method, actor, actor["enterprise_id"], *args, shape(payload)),
            status)

    def on_api_enterprise(self, request: Request) -> Response:
        if request.method == "GET":
            return self._own_read(request, "get_enterprise")
        return self._own_write(request, "update_basic_info")

    def on_api_enterprise_summary(self, request: Request) -> Response:
        return self._own_read(request, "summary")

    def on_api_enterprise_history(self, request: Request) -> Response:
        return self._own_read(request, "change_history", dict(request.args))

    def on_api_enterprise_changes(self, request: Request) -> Response:
        if request.method == "GET":
            return self._own_read(request, "list_change_requests")
        return self._own_write(request, "request_change", status=201)

    def on_api_enterprise_attachments(self, request: Request) -> Response:
        return self._own_write(request, "upload_attachment", status=201)

    def on_api_registration_profile(self, request: Request) -> Response:
        actor = actor_from_account(self.require(request, kinds=("enterprise",), allow_registering=True))
        if request.method == "GET":
            return json_response(
                self.call(request, "enterprise", "registration_profile", actor, actor["enterprise_id"]), 200
            )
        self.require_api_csrf(request)
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(
            self.call(request, "enterprise", "save_registration_profile", actor, payload), 200
        )

    def on_api_registration_submit(self, request: Request) -> Response:
        actor = actor_from_account(self.require(request, kinds=("enterprise",), allow_registering=True))
        self.require_api_csrf(request)
        return json_response(self.call(request, "enterprise", "submit_registration_profile", actor), 200)

    def on_api_enterprise_section(self, request: Request, section: str) -> Response:
        if request.method == "GET":
            return self._own_read(request, "list_records", section, dict(request.args))
        # POST creates: an id in the body is ignored
        return self._own_write(request, "save_record", section, status=201,
                               shape=lambda payload: {k: v for k, v in payload.items() if k != "id"})

    def on_api_enterprise_record(self, request: Request, section: str, record_id: str) -> Response:
        if request.method == "GET":
            return self._own_read(request, "get_record", section, record_id)
        if request.method == "DELETE":
            actor = self._ent_actor(request, write=True)
            self.require_api_csrf(request)
            return json_response(
                self.call(
                    request, "enterprise", "delete_record", actor, actor["enterprise_id"], section, record_id
                ),
                200,
            )
        return self._own_write(request, "save_record", section,
                               shape=lambda payload: {**payload, "id": record_id})

    def on_api_enterprise_of(self, request: Request, enterprise_id: str) -> Response:
        """One enterprise's basic info by id: the enterprise itself, reviewers and admins (audited)."""
        actor = self.actor_for_rpc(request)
        if actor["kind"] == "sub":
            self.require(request, module="enterprise")
        return json_response(self.call(request, "enterprise", "get_enterprise", actor, enterprise_id), 200)

    def on_api_enterprise_of_section(self, request: Request, enterprise_id: str, section: str) -> Response:
        actor = self.actor_for_rpc(request)
        if actor["kind"] == "sub":
            self.require(request, module="enterprise")
        return json_response(
            self.call(
                request, "enterprise", "list_records", actor, enterprise_id, section, dict(request.args)
            ),
            200,
        )

    def on_api_organisations(self, request: Request) -> Response:
        actor = self.actor_for_rpc(request)
        return json_response(
            self.call(request, "enterprise", "search_organisations", actor, request.args.get("q", "")), 200
        )

    # ---- OpenAPI --------------------------------------------------------------------------------
    OPENAPI_SCHEMAS: dict[str, Any] = {
        "Enterprise": {
            "type": "object",
            "description": "企业基本信息 as the enterprise service answers it; a field not filled in "
                           "yet is null; field_kinds says editable/locked/read_only",
            "required": ["enterprise_id", "uscc"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "enterprise_id": {"type": "string", "format": "uuid"},
                "uscc": {"type": "string"},
                **{k: {"type": "string", "nullable": True} for k in BASIC_FIELDS
                   if k not in ("registered_capital_wan", "net_assets_wan", "established_on",
                                "parent_enterprise_id")},
                "registered_capital_wan": {"type": "number", "nullable": True, "description": "万元"},
                "net_assets_wan": {"type": "number", "nullable": True, "description": "万元"},
                "established_on": {"type": "string", "format": "date", "nullable": True},
                "parent_enterprise_id": {"type": "string", "format": "uuid", "nullable": True},
                "enterprise_type_label": {"type": "string"},
                "region_label": {"type": "string"},
                "profile_status": {"type": "string"},
                "profile_submitted_at": {"type": "string", "format": "date-time", "nullable": True},
                "updated_at": {"type": "string", "format": "date-time", "nullable": True},
                "records_version": {"type": "integer"},
                "imported": {"type": "boolean"},
                "needs_completion": {"type": "boolean"},
                "field_kinds": {"type": "object", "additionalProperties": {
                    "type": "string", "enum": ["editable", "locked", "read_only"]}},
                "files": {"type": "object", "description": "business_licence / legal_rep_id → file"},
                "pending_change_request": {"type": "object", "nullable": True},
            },
        },
        "EnterpriseUpdate": {
            "type": "object",
            "description": "企业基本信息 fields to save; numbers and dates may be sent as text",
            "properties": {
                **{k: {"type": "string"} for k in BASIC_FIELDS},
                "files": {"type": "object", "description": "purpose → {filename, content_b64}"},
            },
        },
        "EnterpriseRecord": {
            "type": "object",
            "description": "a staff person, project, equipment or shareholder",
        },
        "RecordList": {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/EnterpriseRecord"}},
                "total": {"type": "integer"},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "summary": {"description": "人员汇总 / 业绩汇总 / 股权合计"},
            },
        },
        "ChangeRequest": {
            "type": "object",
            "properties": {
                "changes": {"type": "object", "description": "locked field → new value"},
                "reason": {"type": "string"},
            },
        },
        "Upload": {
            "type": "object",
            "required": ["purpose", "file"],
            "properties": {
                "purpose": {
                    "type": "string",
                    "enum": [
                        "business_licence",
                        "legal_rep_id",
                        "staff_document",
                        "project_acceptance",
                        "equipment_proof",
                    ],
                },
                "owner_id": {"type": "string"},
                "file": {
                    "type": "object",
                    "properties": {"filename": {"type": "string"}, "content_b64": {"type": "string"}},
                },
            },
        },
    }


def _op(
    summary: str,
    status: str = "200",
    body: str | None = None,
    schema: str | None = None,
    params: list[dict] | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {
            status: {
                "description": "ok",
                **(
                    {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}
                    if schema
                    else {}
                ),
            },
            "401": {"description": "not signed in", "content": ERROR_CONTENT},
            "403": {"description": "no permission / other enterprise", "content": ERROR_CONTENT},
            "404": {"description": "not found (or another enterprise's)", "content": ERROR_CONTENT},
            "422": {"description": "invalid fields", "content": ERROR_CONTENT},
        },
    }
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}},
        }
    if params:
        operation["parameters"] = params
    return operation


_SECTION_PARAM = {
    "name": "section",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": ["staff", "projects", "equipment", "shareholders"]},
}
_LIST_PARAMS = [_SECTION_PARAM] + [
    {"name": n, "in": "query", "required": False, "schema": {"type": t}}
    for n, t in (("category", "string"), ("q", "string"), ("page", "integer"), ("per_page", "integer"))
]
_ID = {"name": "record_id", "in": "path", "required": True, "schema": {"type": "string"}}
_EID = {"name": "enterprise_id", "in": "path", "required": True, "schema": {"type": "string"}}
EnterpriseViews.OPENAPI_PATHS = {
    "/api/v1/enterprise": {
        "get": _op("The signed-in enterprise's basic info", schema="Enterprise"),
        "patch": _op(
            "Change directly editable fields (locked ones → 422 locked)",
            body="EnterpriseUpdate",
            schema="Enterprise",
        ),
    },
    "/api/v1/enterprise/summary": {"get": _op("人员汇总, 业绩汇总, equipment and shareholding totals")},
    "/api/v1/enterprise/history": {"get": _op("变更记录: who, when, field, old → new")},
    "/api/v1/enterprise/change-requests": {
        "get": _op("变更申请 of this enterprise"),
        "post": _op(
            "File a change request of locked fields (a name change is refused while cases are open)",
            "201",
            body="ChangeRequest",
        ),
    },
    "/api/v1/enterprise/attachments": {
        "post": _op("Upload a checked attachment (PDF/image by content)", "201", body="Upload")
    },
    "/api/v1/enterprise/registration-profile": {
        "get": _op("Registration step 2: the saved enterprise info", schema="Enterprise"),
        "put": _op("Registration step 2: save a draft (partial allowed)", body="EnterpriseUpdate"),
    },
    "/api/v1/enterprise/registration-profile/submit": {
        "post": _op("Registration step 2: submit (complete, both PDFs)")
    },
    "/api/v1/enterprise/{section}": {
        "get": _op("List a section (paginated, 查询 with q)", schema="RecordList", params=_LIST_PARAMS),
        "post": _op("Add a record", "201", body="EnterpriseRecord", params=[_SECTION_PARAM]),
    },
    "/api/v1/enterprise/{section}/{record_id}": {
        "get": _op("One record", schema="EnterpriseRecord", params=[_SECTION_PARAM, _ID]),
        "put": _op("Change a record", body="EnterpriseRecord", params=[_SECTION_PARAM, _ID]),
        "delete": _op("Delete a record (a licence holder's 技术负责人 / 安全负责人: files a 人员离职申请 "
                      "for review instead and answers {pending, approval, case_ref})",
                      params=[_SECTION_PARAM, _ID]),
    },
    "/api/v1/enterprises/{enterprise_id}": {
        "get": _op(
            "An enterprise's basic info (itself, reviewers, admins; audited)",
            schema="Enterprise",
            params=[_EID],
        )
    },
    "/api/v1/enterprises/{enterprise_id}/{section}": {
        "get": _op(
            "An enterprise's section (itself, reviewers, admins; audited)",
            schema="RecordList",
            params=[_EID, *_LIST_PARAMS],
        )
    },
    "/api/v1/organisations": {
        "get": _op(
            "上级单位 fuzzy search by name",
            params=[{"name": "q", "in": "query", "required": True, "schema": {"type": "string"}}],
        )
    },
}
