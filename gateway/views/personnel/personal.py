"""A person's own pages (个人用户, /personal): declarations, withdrawal, transfer requests."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from gateway.views.personnel.common import (
    NEW_KINDS,
    PersonnelBase,
    _errors_of,
    _form_values,
    _inputs_for,
    _message_of,
)
from services.common.errors import FieldErrors, ServiceError


class PersonalPages(PersonnelBase):
    """The 个人空间 pages of 人员管理."""

    # ---- a person's own pages (个人用户) ---------------------------------------------------------
    def _personal_page(
        self,
        request: Request,
        actor: dict,
        status: int = 200,
        error: str = "",
        errors: FieldErrors | None = None,
        form: dict | None = None,
    ) -> Response:
        declarations = self._pn(request).my_declarations(actor)["items"]
        certificates = self._pn(request).my_certificates(actor)["items"]
        transfers = self._pn(request).my_transfers(actor)["items"]
        catalogue = self._catalogue(request, actor)
        consent = {t["code"] for t in catalogue["types"] for op in t["operations"] if op.get("consent")}
        return self.render(
            request,
            "personnel_personal.html",
            status=status,
            declarations=declarations,
            certificates=certificates,
            transferable=[c for c in certificates if c["type_code"] in consent],
            transfers=transfers,
            catalogue=catalogue,
            notice=request.args.get("notice", ""),
            error=error or request.args.get("error", ""),
            errors=errors or {},
            form=form or {},
        )

    def on_personal_declarations(self, request: Request) -> Response:
        return self._personal_page(request, self._person_actor(request))

    def on_personal_start(self, request: Request, type_code: str, kind: str) -> Response:
        """个人申报 (REG): the person fills the operation's inputs and names the employer by USCC;
        the employer then reports the declaration (or returns it)."""
        actor = self._person_actor(request)
        type_ = self._type(request, actor, type_code)
        op = self._operation(type_, kind)
        account = self.require(request)
        certificate_id = request.values.get("certificate_id") or None
        errors: FieldErrors = {}
        form = _form_values(request)
        person = {
            "name": actor.get("name") or account.get("contact_name"),
            "id_number": actor.get("id_number"),
            "id_type": account.get("id_type") or "resident_id",
            "mobile": request.form.get("mobile", account.get("contact_mobile") or "").strip(),
        }
        uscc = request.form.get("enterprise_uscc", "").strip()
        if request.method == "POST":
            payload: dict[str, Any] = {
                "type_code": type_code,
                "kind": kind,
                "form": form,
                "enterprise_uscc": uscc,
            }
            payload.update({"person": person} if kind in NEW_KINDS else {"certificate_id": certificate_id})
            try:
                declaration = self._pn(request).new_personal_declaration(actor, payload)
            except ServiceError as exc:
                errors = _errors_of(exc)
            else:
                return self._pn_back(
                    f"/personal/declarations/{declaration['id']}",
                    notice="个人申报已保存，请上传附件；单位上报后进入审核",
                )
        certificates = [
            c for c in self._pn(request).my_certificates(actor)["items"] if c["type_code"] == type_code
        ]
        certificate = next((c for c in certificates if c["id"] == certificate_id), None)
        return self.render(
            request,
            "personnel_personal_start.html",
            status=422 if errors else 200,
            type=type_,
            op=op,
            person=person,
            uscc=uscc,
            form=form,
            errors=errors,
            certificates=certificates,
            certificate=certificate,
            inputs=_inputs_for(type_, op, certificate),
        )

    def on_personal_declaration(self, request: Request, declaration_id: str) -> Response:
        return self._declaration_page(request, self._person_actor(request), declaration_id)

    def on_personal_save(self, request: Request, declaration_id: str) -> Response:
        return self._pn_save(request, self._person_actor(request), declaration_id)

    def on_personal_attachment(self, request: Request, declaration_id: str) -> Response:
        return self._pn_attach(request, self._person_actor(request), declaration_id)

    def on_personal_action(self, request: Request, declaration_id: str, action: str) -> Response:
        """The person's own draft: 删除, or 修改后重新申报 of a returned one."""
        actor = self._person_actor(request)
        try:
            if action == "delete":
                result = self._pn(request).delete_declarations(actor, {"ids": [declaration_id]})
                failed = [r for r in result["results"] if not r["ok"]]
                if failed:
                    return self._declaration_page(
                        request, actor, declaration_id, status=409, error=failed[0]["message"]
                    )
                return self._pn_back("/personal/declarations", notice="申报已删除")
            self._pn(request).redeclare_declaration(actor, declaration_id)
        except ServiceError as exc:
            return self._declaration_page(request, actor, declaration_id, status=409, error=_message_of(exc))
        return self._pn_back(
            f"/personal/declarations/{declaration_id}", notice="已重新申报，请修改后等待单位上报"
        )

    def on_personal_withdraw(self, request: Request, declaration_id: str) -> Response:
        actor = self._person_actor(request)
        try:
            self._pn(request).request_withdrawal(
                actor, declaration_id, request.form.get("reason", "").strip()
            )
        except ServiceError as exc:
            return self._personal_page(request, actor, status=409, error=_message_of(exc))
        return self._pn_back("/personal/declarations", notice="撤回申请已提交，等待聘用企业确认")

    def on_personal_transfer(self, request: Request) -> Response:
        actor = self._person_actor(request)
        if request.method == "GET":
            return self._personal_page(
                request, actor, form={"certificate_id": request.args.get("certificate_id")}
            )
        form = {k: request.form.get(k, "").strip() for k in ("certificate_id", "direction", "to_uscc")}
        try:
            self._pn(request).request_transfer(actor, {k: v for k, v in form.items() if v})
        except ServiceError as exc:
            return self._personal_page(
                request, actor, status=422, error=_message_of(exc), errors=_errors_of(exc), form=form
            )
        return self._pn_back("/personal/declarations", notice="调动申请已提交，等待企业同意")
