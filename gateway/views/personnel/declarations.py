"""人员管理 pages: one declaration (edit, attach, act, history, print), 申报列表, batches and the
commitment letter."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from gateway.views.forms import uploaded_file
from gateway.views.personnel.common import (
    DECLARATION_ACTIONS,
    HISTORY_LABELS,
    PERSON_KINDS,
    PersonnelBase,
    _base_of,
    _errors_of,
    _form_values,
    _ids,
    _message_of,
    _remaining_seconds,
)
from services.common.access import actor_from_account
from services.common.errors import FieldErrors, ServiceError


class PersonnelDeclarationPages(PersonnelBase):
    """One declaration and the declaration lists."""

    # ---- one declaration ------------------------------------------------------------------------
    def _declaration_page(
        self,
        request: Request,
        actor: dict,
        declaration_id: str,
        status: int = 200,
        errors: FieldErrors | None = None,
        form: dict | None = None,
        error: str = "",
    ) -> Response:
        """One declaration, for its enterprise (/personnel/…) or its person (/personal/…)."""
        declaration = self._pn(request).get_declaration(actor, declaration_id)
        type_ = self._type(request, actor, declaration["type_code"])
        context = {
            "d": declaration,
            "type": type_,
            "op": self._operation(type_, declaration["kind"]),
            "form": {**(declaration.get("form") or {}), **(form or {})},
            "errors": errors or {},
            "notice": request.args.get("notice", ""),
            "error": error or request.args.get("error", ""),
            "decl_base": _base_of(actor),
            "labels": HISTORY_LABELS,
        }
        if actor["kind"] in PERSON_KINDS:
            return self.render(
                request,
                "personnel_declaration.html",
                status=status,
                read_only=False,
                catalogue=self._catalogue(request, actor),
                **context,
            )
        return self._pn_page(request, "personnel_declaration.html", actor, status=status, **context)

    def on_personnel_declaration(self, request: Request, declaration_id: str) -> Response:
        return self._declaration_page(request, self._pn_actor(request), declaration_id)

    def on_personnel_save(self, request: Request, declaration_id: str) -> Response:
        return self._pn_save(request, self._pn_actor(request, write=True), declaration_id)

    def on_personnel_attachment(self, request: Request, declaration_id: str) -> Response:
        return self._pn_attach(request, self._pn_actor(request, write=True), declaration_id)

    def _pn_save(self, request: Request, actor: dict, declaration_id: str) -> Response:
        form = _form_values(request)
        version = request.form.get("version", "")
        try:
            self._pn(request).update_declaration(
                actor,
                declaration_id,
                {"form": form, "expected_version": int(version) if version.isdigit() else None},
            )
        except ServiceError as exc:
            return self._declaration_page(
                request,
                actor,
                declaration_id,
                status=422 if exc.fields else 409,
                errors=_errors_of(exc),
                form=form,
                error=_message_of(exc),
            )
        return self._pn_back(f"{_base_of(actor)}/declarations/{declaration_id}", notice="申报信息已保存")

    def _pn_attach(self, request: Request, actor: dict, declaration_id: str) -> Response:
        code = request.form.get("code", "")
        try:
            upload = uploaded_file(request, "file") or {"filename": "", "content_b64": ""}
            self._pn(request).upload_declaration_attachment(actor, declaration_id, code, upload)
        except ServiceError as exc:
            message = _message_of(exc)
            return self._declaration_page(
                request,
                actor,
                declaration_id,
                status=422,
                errors={f"attachment.{code}": [{"code": exc.code, "message": message}]},
                error=message,
            )
        return self._pn_back(f"{_base_of(actor)}/declarations/{declaration_id}", notice="附件已上传")

    def on_personnel_action(self, request: Request, declaration_id: str, action: str) -> Response:
        actor = self._pn_actor(request, write=True)
        if action not in DECLARATION_ACTIONS:
            raise HTTPNotFound()
        reason = request.form.get("reason", "").strip()
        notices = {
            "delete": "申报已删除",
            "return": "申报已退回申报人",
            "cancel": "已取消申请",
            "resubmit": "补正内容已重新提交",
            "agree_withdrawal": "已同意撤回",
            "refuse_withdrawal": "已不同意撤回，申报继续办理",
        }
        try:
            if action in ("delete", "return"):
                personnel = self._pn(request)
                result = (
                    personnel.delete_declarations(actor, {"ids": [declaration_id]})
                    if action == "delete"
                    else personnel.return_declarations(actor, {"ids": [declaration_id], "reason": reason})
                )
                failed = [r for r in result["results"] if not r["ok"]]
                if failed:
                    return self._declaration_page(
                        request, actor, declaration_id, status=409, error=failed[0]["message"]
                    )
            elif action == "cancel":
                self._pn(request).cancel_declaration(actor, declaration_id, reason)
            elif action == "resubmit":
                self._pn(request).resubmit_declaration(actor, declaration_id)
            else:
                self._pn(request).decide_withdrawal(
                    actor,
                    declaration_id,
                    {"agree": action == "agree_withdrawal", "reason": reason},
                )
        except ServiceError as exc:
            return self._declaration_page(request, actor, declaration_id, status=409, error=_message_of(exc))
        if action == "delete":
            return self._pn_back("/personnel/declarations", notice=notices[action])
        return self._pn_back(f"/personnel/declarations/{declaration_id}", notice=notices[action])

    def on_personnel_qualification(self, request: Request, declaration_id: str) -> Response:
        """补正资质 (REG): a pre-registered person's declaration gets the enterprise's qualification
        number, with a copy of the qualification certificate."""
        actor = self._pn_actor(request, write=True)
        try:
            copy = uploaded_file(request, "copy")
            self._pn(request).correct_qualification(
                actor,
                declaration_id,
                {"qualification_number": request.form.get("qualification_number", "").strip(), "copy": copy},
            )
        except ServiceError as exc:
            return self._declaration_page(
                request, actor, declaration_id, status=422, errors=_errors_of(exc), error=_message_of(exc)
            )
        return self._pn_back(f"/personnel/declarations/{declaration_id}", notice="资质信息已补正")

    def on_personnel_history(self, request: Request, declaration_id: str) -> Response:
        """申报跟踪 / 审核历史: review's case_history of the declaration's case."""
        actor = self._pn_actor(request, staff=True)
        declaration = self._pn(request).get_declaration(actor, declaration_id)
        case = None
        if declaration.get("reported_at"):
            account = self.require(request)
            review_actor = {**actor, "name": account.get("contact_name") or account.get("login")}
            try:
                case = self.clients(request).review.case_history(review_actor, declaration["case_ref"])
            except ServiceError:
                case = None  # review has not opened the case yet
        return self._pn_page(
            request, "personnel_history.html", actor, d=declaration, case=case, labels=HISTORY_LABELS
        )

    def on_personnel_print(self, request: Request, declaration_id: str) -> Response:
        actor = self._pn_actor(request, staff=True)
        declaration = self._pn(request).get_declaration(actor, declaration_id)
        return self._pn_page(request, "personnel_print.html", actor, d=declaration)

    def on_personnel_file(self, request: Request, attachment_id: str) -> Response:
        actor = actor_from_account(self.require(request))
        return redirect(self._pn(request).attachment_url(actor, attachment_id)["url"], code=303)

    # ---- 申报列表, batches, reporting -------------------------------------------------------------
    def _lists(self, request: Request, actor: dict, reported: bool, mode: str) -> dict[str, Any]:
        query: dict[str, Any] = {
            k: request.args[k] for k in ("type_code", "kind", "q", "cursor") if request.args.get(k)
        }
        if mode == "batch":
            return {
                "batches": self._pn(request).list_batches(actor, {"reported": reported})["items"],
                "declarations": [],
                "next_cursor": None,
            }
        # 单个 lists every declaration one by one, batched or not (seed 001: tracking, 审核历史 and
        # printing happen in 已上报（单个）); 批次 lists the batches.
        page = self._pn(request).list_declarations(actor, {**query, "reported": reported, "limit": 50})
        return {"batches": [], "declarations": page["items"], "next_cursor": page.get("next_cursor")}

    def _lists_page(
        self,
        request: Request,
        actor: dict,
        reported: bool,
        mode: str,
        status: int = 200,
        results: list | None = None,
        error: str = "",
        notice: str = "",
    ) -> Response:
        return self._pn_page(
            request,
            "personnel_declarations.html",
            actor,
            status=status,
            reported=reported,
            mode=mode,
            results=results,
            error=error or request.args.get("error", ""),
            notice=notice or request.args.get("notice", ""),
            query={k: request.args.get(k, "") for k in ("type_code", "kind", "q")},
            **self._lists(request, actor, reported, mode),
        )

    def on_personnel_declarations(self, request: Request) -> Response:
        actor = self._pn_actor(request)
        reported = request.args.get("reported") == "1"
        mode = "batch" if request.args.get("mode") == "batch" else "single"
        return self._lists_page(request, actor, reported, mode)

    def on_personnel_bulk(self, request: Request) -> Response:
        """Checked rows of 待上报: 上报 (through the commitment letter), 组成批次, 退回, 删除."""
        actor = self._pn_actor(request, write=True)
        ids, action = _ids(request), request.form.get("action", "")
        if not ids:
            return self._lists_page(request, actor, False, "single", status=422, error="请先勾选申报")
        if action == "report":
            return redirect("/personnel/commitment?" + urlencode({"ids": ",".join(ids)}), code=303)
        try:
            if action == "batch":
                batch = self._pn(request).create_batch(
                    actor,
                    {"title": request.form.get("title", "").strip() or "申报批次", "declaration_ids": ids},
                )
                return self._pn_back(
                    "/personnel/declarations?mode=batch",
                    notice=f"已组成批次“{batch['title']}”（{len(ids)}项）",
                )
            if action == "delete":
                results = self._pn(request).delete_declarations(actor, {"ids": ids})["results"]
            elif action == "return":
                results = self._pn(request).return_declarations(
                    actor,
                    {"ids": ids, "reason": request.form.get("reason", "").strip()},
                )["results"]
            else:
                raise HTTPNotFound()
        except ServiceError as exc:
            return self._lists_page(request, actor, False, "single", status=422, error=_message_of(exc))
        return self._lists_page(request, actor, False, "single", results=results)

    def on_personnel_batch_action(self, request: Request, batch_id: str, action: str) -> Response:
        actor = self._pn_actor(request, write=True)
        if action == "report":
            return redirect("/personnel/commitment?" + urlencode({"batch": batch_id}), code=303)
        try:
            if action == "remove":
                self._pn(request).remove_from_batch(actor, batch_id, {"declaration_ids": _ids(request)})
                return self._pn_back("/personnel/declarations?mode=batch", notice="已移出批次")
            batch = self._pn(request).get_batch(actor, batch_id)
            results = self._pn(request).delete_declarations(
                actor, {"ids": [d["id"] for d in batch["declarations"]]}
            )["results"]
        except ServiceError as exc:
            return self._lists_page(request, actor, False, "batch", status=422, error=_message_of(exc))
        return self._lists_page(request, actor, False, "batch", results=results)

    def on_personnel_commitment(self, request: Request) -> Response:
        """承诺书: GET opens the letter (the server notes the moment); POST reports, refused by the
        server until the letter was open long enough; then a result per declaration."""
        actor = self._pn_actor(request, write=True)
        batch_id = request.values.get("batch") or None
        ids = _ids(request)
        target: dict[str, Any] = {"batch_id": batch_id} if batch_id else {"declaration_ids": ids}
        if not batch_id and not ids:
            return self._pn_back("/personnel/declarations", error="请先勾选要上报的申报")
        if request.method == "GET":
            letter = self._pn(request).open_commitment(actor, target)
            return self._commitment_page(request, actor, letter, batch_id, ids)
        letter = {k: request.form.get(k, "") for k in ("token", "opened_at", "seconds_required", "text")}
        try:
            result = self._pn(request).report(
                actor,
                {
                    **target,
                    "commitment_token": letter["token"],
                    "confirmed": request.form.get("confirmed") == "1",
                    "form_key": request.form.get("form_key") or None,
                },
            )
        except ServiceError as exc:
            return self._commitment_page(
                request, actor, letter, batch_id, ids, status=422, error=_message_of(exc)
            )
        return self._pn_page(
            request,
            "personnel_results.html",
            actor,
            results=result["results"],
            summary=result.get("summary", ""),
            title="上报结果",
        )

    def _commitment_page(
        self,
        request: Request,
        actor: dict,
        letter: dict,
        batch_id: str | None,
        ids: list[str],
        status: int = 200,
        error: str = "",
    ) -> Response:
        declarations = (
            self._pn(request).get_batch(actor, batch_id)["declarations"]
            if batch_id
            else [self._pn(request).get_declaration(actor, i) for i in ids]
        )
        return self._pn_page(
            request,
            "personnel_commitment.html",
            actor,
            status=status,
            letter=letter,
            remaining=_remaining_seconds(letter),
            batch_id=batch_id,
            ids=ids,
            declarations=declarations,
            error=error,
            form_key=request.form.get("form_key") or uuid.uuid4().hex,
        )
