"""人员管理 pages: home, people, certificate records, transfer out, a type's operations and starting
a declaration."""

from __future__ import annotations

from typing import Any

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from gateway.views.forms import uploaded_file
from gateway.views.personnel.common import (
    NEW_KINDS,
    PERSON_FIELDS,
    RECORD_FIELDS,
    PersonnelBase,
    _errors_of,
    _form_values,
    _inputs_for,
    _message_of,
)
from services.common.errors import FieldErrors, ServiceError


class PersonnelPeoplePages(PersonnelBase):
    """People, records and starting a declaration."""

    # ---- 人员管理 home, people ------------------------------------------------------------------
    def on_personnel_home(self, request: Request) -> Response:
        actor = self._pn_actor(request)
        pending = self._pn(request).list_declarations(actor, {"reported": False, "limit": 10})
        expiring = self._pn(request).expiring(actor, {"within_days": 90})
        return self._pn_page(
            request,
            "personnel_home.html",
            actor,
            pending=pending["items"],
            expiring=expiring["items"][:10],
            expiring_count=len(expiring["items"]),
        )

    def on_personnel_people(self, request: Request) -> Response:
        actor = self._pn_actor(request)
        query = {k: request.args[k] for k in ("q", "type_code", "status", "cursor") if request.args.get(k)}
        page = self._pn(request).list_people(actor, {**query, "limit": 50})
        return self._pn_page(
            request,
            "personnel_people.html",
            actor,
            people=page["items"],
            next_cursor=page.get("next_cursor"),
            query=query,
        )

    def on_personnel_person_new(self, request: Request) -> Response:
        return self._person_form(request, None)

    def on_personnel_person_edit(self, request: Request, person_id: str) -> Response:
        return self._person_form(request, person_id)

    def _person_form(self, request: Request, person_id: str | None) -> Response:
        actor = self._pn_actor(request, write=request.method == "POST")
        errors: FieldErrors = {}
        if request.method == "POST":
            form = {k: request.form.get(k, "").strip() for k in PERSON_FIELDS}
            data = {k: v for k, v in form.items() if v}
            try:
                if person_id is None:
                    person = self._pn(request).create_person(actor, data)
                else:
                    person = self._pn(request).update_person(actor, person_id, data)
            except ServiceError as exc:
                errors = _errors_of(exc)
            else:
                notice = "人员信息已保存" if person_id else "人员已添加，可继续上传照片或办理申报"
                return self._pn_back(f"/personnel/people/{person['id']}", notice=notice)
        elif person_id is not None:
            form = self._pn(request).get_person(actor, person_id)
        else:
            form = {"id_type": "resident_id"}
        return self._pn_page(
            request,
            "personnel_person_form.html",
            actor,
            status=422 if errors else 200,
            form=form,
            errors=errors,
            person_id=person_id,
        )

    def on_personnel_person(self, request: Request, person_id: str) -> Response:
        actor = self._pn_actor(request)
        person = self._pn(request).get_person(actor, person_id)
        return self._pn_page(
            request,
            "personnel_person.html",
            actor,
            person=person,
            notice=request.args.get("notice", ""),
            error=request.args.get("error", ""),
        )

    def on_personnel_photo(self, request: Request, person_id: str) -> Response:
        actor = self._pn_actor(request, write=True)
        try:
            upload = uploaded_file(request, "file") or {"filename": "", "content_b64": ""}
            person = self._pn(request).upload_photo(actor, person_id, upload)
        except ServiceError as exc:
            return self._pn_back(f"/personnel/people/{person_id}", error=_message_of(exc))
        warnings = (person.get("photo") or {}).get("warnings") or []
        return self._pn_back(
            f"/personnel/people/{person_id}",
            notice="照片已上传" + ("；" + "；".join(warnings) if warnings else ""),
        )

    def on_personnel_record_new(self, request: Request, person_id: str) -> Response:
        """信息补录: a certificate the enterprise holds from the old system."""
        return self._pn_record_form(request, person_id, None)

    def on_personnel_record_edit(self, request: Request, certificate_id: str) -> Response:
        """信息补录 修改: an imported record's data, while no declaration was reported for it."""
        return self._pn_record_form(request, None, certificate_id)

    def _pn_record_form(
        self, request: Request, person_id: str | None, certificate_id: str | None
    ) -> Response:
        actor = self._pn_actor(request, write=request.method == "POST")
        certificate = self._pn(request).certificate(actor, certificate_id) if certificate_id else None
        person = certificate["person"] if certificate else self._pn(request).get_person(actor, person_id)
        errors: FieldErrors = {}
        form: dict[str, Any] = (
            dict(certificate) if certificate else {"type_code": request.args.get("type_code", "")}
        )
        if request.method == "POST":
            form = {k: request.form.get(k, "").strip() for k in RECORD_FIELDS}
            form["specialties"] = [s for s in request.form.getlist("specialties") if s]
            data = {k: v for k, v in form.items() if v}
            try:
                if certificate:
                    data.pop("type_code", None)
                    version = request.form.get("version", "")
                    self._pn(request).update_certificate_record(
                        actor,
                        certificate["id"],
                        {**data, "expected_version": int(version) if version.isdigit() else None},
                    )
                else:
                    self._pn(request).add_certificate_record(actor, person["id"], data)
            except ServiceError as exc:
                errors = _errors_of(exc)
                form["type_code"] = certificate["type_code"] if certificate else form["type_code"]
            else:
                return self._pn_back(f"/personnel/people/{person['id']}", notice="证书信息已补录")
        return self._pn_page(
            request,
            "personnel_record_form.html",
            actor,
            status=422 if errors else 200,
            person=person,
            certificate=certificate,
            form=form,
            errors=errors,
        )

    def on_personnel_certificate(self, request: Request, certificate_id: str) -> Response:
        actor = self._pn_actor(request)
        certificate = self._pn(request).certificate(actor, certificate_id)
        type_ = self._type(request, actor, certificate["type_code"])
        return self._pn_page(
            request,
            "personnel_certificate.html",
            actor,
            certificate=certificate,
            type=type_,
            notice=request.args.get("notice", ""),
            error=request.args.get("error", ""),
        )

    def on_personnel_transfer_out(self, request: Request, certificate_id: str) -> Response:
        """调出: the old employer picks the new one by its USCC."""
        actor = self._pn_actor(request, write=True)
        try:
            self._pn(request).transfer_out(
                actor,
                {"certificate_id": certificate_id, "to_uscc": request.form.get("to_uscc", "").strip()},
            )
        except ServiceError as exc:
            return self._pn_back(f"/personnel/certificates/{certificate_id}", error=_message_of(exc))
        return self._pn_back(
            f"/personnel/certificates/{certificate_id}", notice="已办理调出，等待调入企业接收"
        )

    # ---- a type's 申报管理: operations, start a declaration ---------------------------------------
    def on_personnel_type(self, request: Request, type_code: str) -> Response:
        actor = self._pn_actor(request)
        type_ = self._type(request, actor, type_code)
        people = self._pn(request).list_people(actor, {"type_code": type_code, "limit": 200})["items"]
        certificates = [c for p in people for c in p.get("certificates") or [] if c["type_code"] == type_code]
        return self._pn_page(request, "personnel_type.html", actor, type=type_, certificates=certificates)

    def on_personnel_start(self, request: Request, type_code: str, kind: str) -> Response:
        """Pick the person (new kinds) or the certificate, fill what the operation asks, start."""
        actor = self._pn_actor(request, write=request.method == "POST")
        type_ = self._type(request, actor, type_code)
        op = self._operation(type_, kind)
        if kind == "transfer_out" and not op.get("consent"):
            return redirect(f"/personnel/types/{type_code}#transfer", code=303)
        certificate_id = request.values.get("certificate_id") or None
        person_id = request.values.get("person_id") or None
        errors: FieldErrors = {}
        found, form = None, _form_values(request)
        if kind == "re_registration" and request.args.get("name"):
            try:
                found = self._pn(request).find_for_re_registration(
                    actor,
                    {
                        "type_code": type_code,
                        "name": request.args["name"].strip(),
                        "id_number": request.args.get("id_number", "").strip(),
                    },
                )
                certificate_id = found["id"]
            except ServiceError as exc:
                errors = _errors_of(exc)
        if request.method == "POST":
            payload: dict[str, Any] = {"type_code": type_code, "kind": kind, "form": form}
            payload.update(
                {"person_id": person_id} if kind in NEW_KINDS else {"certificate_id": certificate_id}
            )
            try:
                declaration = self._pn(request).new_declaration(actor, payload)
            except ServiceError as exc:
                errors = _errors_of(exc)
            else:
                return self._pn_back(
                    f"/personnel/declarations/{declaration['id']}",
                    notice="申报已保存到“待上报”，请上传附件材料后上报",
                )
        # 重新注册: the record found by name + ID number may be another (former) employer's.
        certificate = found or (
            self._pn(request).certificate(actor, certificate_id) if certificate_id else None
        )
        candidates = (
            []
            if (certificate or kind == "re_registration")
            else self._pn(request).list_people(
                actor,
                {
                    **({} if kind in NEW_KINDS else {"type_code": type_code}),
                    **({"q": request.args["q"]} if request.args.get("q") else {}),
                    "limit": 100,
                },
            )["items"]
        )
        return self._pn_page(
            request,
            "personnel_start.html",
            actor,
            status=422 if errors else 200,
            type=type_,
            op=op,
            certificate=certificate,
            person_id=person_id,
            candidates=candidates,
            inputs=_inputs_for(type_, op, certificate),
            form=form,
            errors=errors,
            q=request.args.get("q", ""),
            found=found,
            search=dict(request.args),
        )
