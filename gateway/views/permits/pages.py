"""资质许可 pages: 资质申报, the wizard, 申报批次, 我的资质 / 我的证书, credit, verify."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from gateway.clients.permits import PermitsClient
from gateway.views.forms import uploaded_file
from gateway.views.permits.common import PAGE_ACTIONS, PermitsBase, _version, _with_page_links, licence_form
from services.common.errors import ServiceError


class PermitsPages(PermitsBase):
    """The 资质许可 pages."""

    # ---- 资质申报: choose ----------------------------------------------------------------------
    def on_permits_home(self, request: Request) -> Response:
        actor = self._permits_actor(request)
        types = self._permits(request).catalogue_types(actor) or []
        drafts = self._permits(request).list_applications(actor, {"state_group": "pending"}) or []
        return self.render(
            request, "permits_home.html", types=types, drafts=drafts, read_only=self._read_only(actor)
        )

    def on_permits_new(self, request: Request) -> Response:
        actor = self._permits_actor(request, write=request.method == "POST")
        type_code = request.values.get("type") or request.values.get("type_code") or ""
        try:
            business_type = self._permits(request).catalogue_type(actor, type_code)
        except ServiceError:
            raise HTTPNotFound() from None
        errors: dict[str, Any] = {}
        form = dict(request.form) if request.method == "POST" else {}
        licence_id = request.values.get("licence") or request.values.get("original_licence_id") or ""
        licence = self._permits(request).get_licence(actor, licence_id) if licence_id else None
        if licence is not None and request.method != "POST":
            form = licence_form(request.args.get("kind") or "", licence)
        lanes = self._permits(request).lane_options(actor, type_code,
                          form.get("transaction_kind") or request.args.get("kind") or "new")
        if request.method == "POST":
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
                app = self._permits(request).create_draft(actor, payload)
                app = (
                    self._permits(request).run_precheck(actor, app["id"])
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
        app = _with_page_links(self._permits(request).get_application(actor, application_id))
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
            return self.clients(request).review.case_history(actor, app["case_ref"]).get("clock")
        except ServiceError:
            return None  # review has not opened the case yet (or another desk's reviewer reads)

    def on_permits_commitment(self, request: Request, application_id: str) -> Response:
        """Opening the page opens the letter: the server starts the clock the confirm is held to."""
        actor = self._permits_actor(request, write=True)
        app = self._permits(request).open_commitment(actor, application_id)
        return self.render(request, "permits_commitment.html", app=app)

    def on_permits_values(self, request: Request, application_id: str) -> Response:
        """The 申报表's typed fields (prefilled from 企业空间) changed while the application is a draft."""
        actor = self._permits_actor(request, write=True)
        values = {k[7:]: v.strip() for k, v in request.form.items() if k.startswith("values.")}
        try:
            self._permits(request).update_draft(actor, application_id,
                      {"version": _version(request), "values": values})
        except ServiceError as exc:
            return self._back(application_id, error=exc.message)
        return self._back(application_id, notice="申报表填写项已保存")

    def on_permits_correction(self, request: Request, application_id: str) -> Response:
        """补正: the enterprise types the reopened 申报表 fields (only those) and saves them."""
        actor = self._permits_actor(request, write=True)
        values = {k: v.strip() for k, v in request.form.items() if k not in ("csrf_token", "version")}
        try:
            self._permits(request).update_correction(actor, application_id, values,
                      _version(request))
        except ServiceError as exc:
            app = _with_page_links(self._permits(request).get_application(actor, application_id))
            return self.render(request, "permits_application.html", status=422, app=app, read_only=False,
                               notice="", error=exc.message, form_key="")
        return redirect(f"/permits/applications/{application_id}?notice={quote('补正内容已保存')}", code=303)

    def on_permits_action(self, request: Request, application_id: str, action: str) -> Response:
        actor = self._permits_actor(request, write=True)
        if action not in PAGE_ACTIONS:
            raise HTTPNotFound()
        method = PAGE_ACTIONS[action]
        args: list[Any] = [actor, application_id]
        if method in (PermitsClient.submit, PermitsClient.resubmit):
            args += [request.form.get("form_key") or None, _version(request)]
        elif method in (PermitsClient.withdraw, PermitsClient.terminate):
            args.append(request.form.get("reason", ""))
        elif method is not PermitsClient.discard:
            args.append(_version(request))
        try:
            app = method(self._permits(request), *args)
        except ServiceError as exc:
            if action == "confirm":
                app = self._permits(request).get_application(actor, application_id)
                return self.render(request, "permits_commitment.html", status=409, app=app, error=exc.message)
            return self.render(
                request,
                "permits_application.html",
                status=409 if exc.code != "validation_failed" else 422,
                app=_with_page_links(self._permits(request).get_application(actor, application_id)),
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

    def _upload_step(
        self, request: Request, application_id: str, method: Callable[..., Any], *extra: Any
    ) -> Response:
        actor = self._permits_actor(request, write=True)
        try:
            upload = uploaded_file(request, "file")
            method(
                self._permits(request),
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
                app=_with_page_links(self._permits(request).get_application(actor, application_id)),
                read_only=False,
                notice="",
                error="；".join(messages),
                form_key=uuid.uuid4().hex,
            )
        return self._back(application_id, notice="文件已上传")

    def on_permits_scan(self, request: Request, application_id: str) -> Response:
        return self._upload_step(request, application_id, PermitsClient.upload_signed_scan)

    def on_permits_material(self, request: Request, application_id: str) -> Response:
        code = request.form.get("code", "")
        return self._upload_step(request, application_id, PermitsClient.upload_material, code)

    def on_permits_file(self, request: Request, attachment_id: str) -> Response:
        actor = self.actor_for_rpc(request)
        link = self._permits(request).attachment_url(actor, attachment_id)
        return redirect(link["url"], code=303)

    # ---- 申报批次, 我的资质, 我的证书 ----------------------------------------------------------
    def on_permits_batches(self, request: Request) -> Response:
        actor = self._permits_actor(request, write=request.method == "POST")
        error = ""
        if request.method == "POST":
            try:
                self._permits(request).create_batch(actor, request.form.get("name", ""))
            except ServiceError as exc:
                error = exc.message
        tab = request.args.get("tab") if request.args.get("tab") in ("pending", "submitted") else "pending"
        mode = request.args.get("mode") if request.args.get("mode") in ("single", "batch") else "single"
        batches = [
            b
            for b in self._permits(request).list_batches(actor)
            if (b["status"] == "submitted") == (tab == "submitted")
        ]
        singles = self._permits(request).list_applications(
            actor, {"state_group": tab, "batched": False}
        )
        drafts = self._permits(request).list_applications(actor, {"state_group": "pending"})
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
        results, error = None, ""
        try:
            if action == "add":
                self._permits(request).add_to_batch(
                    actor,
                    batch_id,
                    request.form.get("application_id", ""),
                )
            elif action == "submit":
                results = self._permits(request).submit_batch(
                    actor, batch_id, request.form.get("form_key") or None
                )["results"]
            else:
                results = self._permits(request).delete_batch(actor, batch_id)["results"]
        except ServiceError as exc:
            error = exc.message
        if results is None and not error:
            return redirect("/permits/batches?mode=batch", code=303)
        batches = [
            b for b in self._permits(request).list_batches(actor) if b["status"] == "pending"
        ]
        singles = self._permits(request).list_applications(
            actor, {"state_group": "pending", "batched": False}
        )
        drafts = self._permits(request).list_applications(actor, {"state_group": "pending"})
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
        apps = self._permits(request).list_applications(actor, {"state_group": "all"})
        return self.render(request, "permits_mine.html", apps=apps)

    def on_permits_licences(self, request: Request) -> Response:
        actor = self._permits_actor(request)
        return self.render(
            request, "permits_licences.html", licences=self._permits(request).my_licences(actor)
        )

    def on_permits_credit(self, request: Request) -> Response:
        actor = self.actor_for_rpc(request, kinds=("reviewer", "admin"))
        error, notice = "", ""
        if request.method == "POST":
            try:
                self._permits(request).set_credit(
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
        records = self._permits(request).credit_register(actor)
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
            try:
                licence = self._permits(request).set_licence_status(actor,
                                    request.form.get("licence_id", ""), request.form.get("status", ""),
                                    request.form.get("reason", ""))
                notice = f"证书 {licence['number']} 已设为“{licence['status_label']}”"
            except ServiceError as exc:
                error = "；".join(e["message"] for errs in (exc.fields or {}).values() for e in errs) \
                    or exc.message
        at_risk = request.values.get("at_risk") == "1"
        found = self._permits(request).find_licences(actor, query, at_risk)
        return self.render(request, "permits_admin_licences.html", licences=found, q=query,
                           at_risk=at_risk,
                           error=error, notice=notice, is_admin=actor["kind"] == "admin",
                           status=422 if error else 200)

    def on_verify_licence(self, request: Request, token: str) -> Response:
        self.current_actor(request)
        try:
            licence = self._permits(request).verify_licence(token)
        except ServiceError as exc:
            return self.render(request, "verify_licence.html", status=404, licence=None, message=exc.message)
        return self.render(request, "verify_licence.html", licence=licence, message="")
