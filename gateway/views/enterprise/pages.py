"""企业信息 pages: 基本信息, 变更申请, the record sections, registration step 2, downloads."""

from __future__ import annotations

from typing import Any

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from gateway.views.enterprise.common import (
    BASIC_FIELDS,
    EDITABLE,
    FILE_FIELDS,
    NESTED,
    NESTED_ROWS,
    OWNER_PURPOSE,
    ROSTER_PAGE,
    SECTION_COLUMNS,
    SECTION_FIELDS,
    SECTION_TITLES,
    EnterpriseBase,
    _record_from_form,
    _upload_from,
)
from gateway.views.forms import uploaded_file
from services.common.access import actor_from_account
from services.common.errors import FieldErrors, ServiceError, ValidationFailed


class EnterprisePages(EnterpriseBase):
    """The 企业信息 pages."""

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
            files = {n: u for n in FILE_FIELDS if (u := _upload_from(request, n, errors))}
            if not errors:
                try:
                    self.clients(request).enterprise.update_basic_info(
                        actor, eid, {**form, "files": files}
                    )
                    return redirect("/enterprise?saved=1", code=303)
                except ValidationFailed as exc:
                    errors = exc.fields
            status = 422 if errors and status == 200 else status
        enterprise = self.clients(request).enterprise.get_enterprise(actor, eid)
        summary = self.clients(request).enterprise.summary(actor, eid)
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
        found = self.clients(request).enterprise.search_organisations(actor, query) if query else []
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
            changes = {k: v for k, v in form.items() if v and k != "reason"}
            try:
                files = {"business_licence": uploaded_file(request, "business_licence")}
                self.clients(request).enterprise.request_change(
                    actor,
                    eid,
                    {"changes": changes, "reason": form.get("reason") or None,
                     "files": {k: v for k, v in files.items() if v}},
                )
                return redirect("/enterprise/changes", code=303)
            except ServiceError as exc:
                errors = exc.fields or {"_": [{"code": exc.code, "message": exc.message}]}
                status = 422 if isinstance(exc, ValidationFailed) else 409
        enterprise = self.clients(request).enterprise.get_enterprise(actor, eid)
        requests_ = self.clients(request).enterprise.list_change_requests(actor, eid)
        page = max(1, request.args.get("page", 1, type=int) or 1)
        history = self.clients(request).enterprise.change_history(
            actor, eid, {"page": page, "per_page": 50}
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
        listing = self.clients(request).enterprise.list_records(actor, eid, section, query)
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
            self.clients(request).enterprise.get_record(actor, eid, section, record_id)
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
            upload = _upload_from(request, "attachment", errors) if section in OWNER_PURPOSE else None
            if not errors:
                try:
                    saved = self.clients(request).enterprise.save_record(
                        actor,
                        eid,
                        section,
                        {k: v for k, v in form.items() if k != "attachments"},
                    )
                    if upload is not None:
                        self.clients(request).enterprise.upload_attachment(
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
        self.clients(request).enterprise.delete_record(actor, actor["enterprise_id"], section, record_id)
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
            files = {n: u for n in FILE_FIELDS if (u := _upload_from(request, n, errors))}
            try:
                self.clients(request).enterprise.save_registration_profile(
                    actor, {**form, "files": files}
                )
                if not errors and request.form.get("action") == "submit":
                    self.clients(request).enterprise.submit_registration_profile(actor)
                    submitted = True
            except ServiceError as exc:
                errors = {**errors, **(exc.fields or {"_": [{"code": exc.code, "message": exc.message}]})}
            if errors:
                status = 422
        profile = self.clients(request).enterprise.registration_profile(actor, actor["enterprise_id"])
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
        result = self.clients(request).enterprise.attachment_url(actor, attachment_id)
        return redirect(result["url"], code=303)
