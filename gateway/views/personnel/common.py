"""人员管理's constants, form helpers and PersonnelBase (the helpers every page and API view uses)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from gateway.clients.personnel import PersonnelClient
from gateway.views.forms import api_upload
from services.common.access import READ_ONLY, actor_from_account
from services.common.contracts.personnel import ACTIONS, ACTORS, STATUSES
from services.common.errors import FieldErrors, ServiceError

ENTERPRISE_KINDS = ("enterprise", "sub")
STAFF_KINDS = ("reviewer", "admin")
PERSON_KINDS = ("person",)
PERSON_FIELDS = (
    "name",
    "gender",
    "id_type",
    "id_number",
    "birth_date",
    "ethnicity",
    "education",
    "title",
    "title_level",
    "mobile",
    "email",
)
RECORD_FIELDS = (
    "type_code",
    "class_code",
    "registration_number",
    "qualification_number",
    "certificate_number",
    "issued_on",
    "valid_until",
)
# Declaration inputs holding several values (check boxes).
LIST_INPUTS = ("specialties", "reasons", "renew_specialties")
NEW_KINDS = ("initial", "new", "join")
INPUT_LABELS = {
    "class_code": "人员类别",
    "qualification_number": "资格证书编号",
    "certificate_number": "证书编号",
    "specialties": "申报注册专业",
    "specialty": "增项注册专业",
    "exam_certificate_number": "增项专业考试合格证明编号",
    "change_item": "变更事项",
    "new_name": "变更后姓名",
    "new_id_number": "变更后证件号码",
    "reason": "原因说明",
    "reasons": "注销原因",
    "applicant": "申请人",
    "renew_specialties": "延续注册专业",
    "to_enterprise_id": "调入企业",
}
REGISTERED_FILTERS = (
    "name",
    "id_number",
    "type_code",
    "certificate_kind",
    "status",
    "enterprise_name",
    "specialty",
    "valid_until_before",
)
DECLARATION_ACTIONS = ("delete", "return", "cancel", "resubmit", "agree_withdrawal", "refuse_withdrawal")
BULK_ACTIONS = ("delete", "return", "commitment", "report")
# 办理记录 in Chinese: the declaration vocabulary, plus the record-keeping steps it has no verb for.
HISTORY_LABELS = {
    "action": {
        **ACTIONS,
        "create": "新建申报",
        "upload": "上传附件",
        "batch": "编入批次",
        "step_changed": "审核环节变更",
        "case_closed": "审核部门终止办理",
        "issue_failed": "证书生成失败",
        "correct_qualification": "补正资质",
    },
    "actor": ACTORS,
    "status": STATUSES,
}
SYSTEM_LABELS = {
    "CIP": "建筑市场（二级建造师、安管人员）",
    "TSA": "交通运输工程（安管人员）",
    "REG": "勘察设计注册人员",
    "PFL": "承装（修、试）电力设施（电工）",
    "HMQ": "公路养护",
}


def _errors_of(exc: ServiceError) -> FieldErrors:
    return exc.fields or {"_": [{"code": exc.code, "message": exc.message}]}


def _message_of(exc: ServiceError) -> str:
    """One line for a banner: every field message, else the error's own."""
    return "；".join(e["message"] for errs in (exc.fields or {}).values() for e in errs) or exc.message


def _form_values(request: Request, prefix: str = "form.") -> dict[str, Any]:
    """The declaration inputs posted as ``form.<name>`` (check boxes as lists)."""
    values: dict[str, Any] = {}
    for key in request.form:
        if not key.startswith(prefix):
            continue
        name = key[len(prefix) :]
        values[name] = (
            [v for v in request.form.getlist(key) if v]
            if name in LIST_INPUTS
            else request.form.get(key, "").strip()
        )
    return values


def _ids(request: Request) -> list[str]:
    raw = request.form.getlist("ids") or request.values.get("ids", "").split(",")
    return [i.strip() for i in raw if i.strip()]


def _remaining_seconds(letter: dict) -> int:
    """Seconds the server still holds the letter, for the countdown (the server decides)."""
    try:
        opened = datetime.fromisoformat(str(letter["opened_at"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return int(letter.get("seconds_required") or 0)
    if opened.tzinfo is None:
        opened = opened.replace(tzinfo=UTC)
    elapsed = (datetime.now(UTC) - opened).total_seconds()
    return max(0, int(float(letter.get("seconds_required") or 0) - elapsed + 0.999))


def _xlsx_response(export: dict) -> Response:
    data = base64.b64decode(export["content_b64"])
    filename = export.get("filename") or "注册人员.xlsx"
    response = Response(
        data,
        mimetype=export.get("content_type")
        or "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    # RFC 6266: an ASCII fallback plus the UTF-8 name browsers show.
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"registered.xlsx\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


def _inputs_for(type_: dict, op: dict, certificate: dict | None) -> list[str]:
    """What the start page asks for an operation (the service's declaration names its own
    ``inputs`` afterwards; this mirrors personnel.declarations.prefill for the first screen)."""
    kind = op["kind"]
    inputs: list[str] = []
    if kind in NEW_KINDS:
        inputs += ["class_code"] if type_.get("classes") else []
        inputs += [n for n in (type_.get("numbers") or {}) if n == "qualification_number"]
        inputs += ["specialties"] if type_.get("specialties") else []
    if op.get("window") and certificate and len(certificate.get("specialties") or []) > 1:
        inputs.append("renew_specialties")
    if kind == "add_item":
        inputs += ["specialty", "exam_certificate_number"]
    if kind == "change":
        inputs += ["change_item", "new_name", "new_id_number"]
    if kind == "reissue" or (kind == "cancellation" and op.get("reason_text")):
        inputs.append("reason")
    if kind == "cancellation" and op.get("reasons"):
        inputs += ["reasons", *(["applicant"] if op.get("applicants") else [])]
    return inputs


class PersonnelBase:
    """Helpers of the 人员管理 views (prefixed: GatewayApp combines all areas' mixins)."""

    # ---- helpers ------------------------------------------------------------------------------
    def _pn_actor(self, request: Request, write: bool = False, staff: bool = False) -> dict:
        """An enterprise-side actor with the personnel module (``staff``: reviewers/admins too)."""
        kinds = (*ENTERPRISE_KINDS, *STAFF_KINDS) if staff else ENTERPRISE_KINDS
        account = self.require(request, kinds=kinds)
        if account["kind"] in ENTERPRISE_KINDS:
            self.require(request, module="personnel", write=write)
        return actor_from_account(account)

    def _person_actor(self, request: Request) -> dict:
        return actor_from_account(self.require(request, kinds=PERSON_KINDS))

    def _pn(self, request: Request) -> PersonnelClient:
        """The personnel service for this request (gateway/clients/personnel.py)."""
        return self.clients(request).personnel

    @staticmethod
    def _pn_read_only(actor: dict) -> bool:
        return actor["kind"] == "sub" and READ_ONLY in actor["permissions"]

    def _catalogue(self, request: Request, actor: dict) -> dict:
        """The certificate-type catalogue (static data: asked once per gateway process)."""
        cached = getattr(self, "_personnel_catalogue", None)
        if cached is None:
            cached = self._pn(request).catalogue(actor)
            self._personnel_catalogue = cached
        return cached

    def _type(self, request: Request, actor: dict, type_code: str) -> dict:
        for type_ in self._catalogue(request, actor)["types"]:
            if type_["code"] == type_code:
                return type_
        raise HTTPNotFound()

    @staticmethod
    def _operation(type_: dict, kind: str) -> dict:
        for op in type_["operations"]:
            if op["kind"] == kind:
                return op
        raise HTTPNotFound()

    def _pn_page(
        self, request: Request, template: str, actor: dict, status: int = 200, **context: Any
    ) -> Response:
        """A 人员管理 page: the catalogue's menu (types by system) beside it."""
        catalogue = self._catalogue(request, actor)
        systems: dict[str, list[dict]] = {}
        for type_ in catalogue["types"]:
            systems.setdefault(type_["system"], []).append(type_)
        return self.render(
            request,
            template,
            status=status,
            catalogue=catalogue,
            pn_menu=[(SYSTEM_LABELS.get(s, s), types) for s, types in systems.items()],
            read_only=self._pn_read_only(actor),
            pn_actor=actor,
            **context,
        )

    def _pn_back(self, path: str, notice: str = "", error: str = "") -> Response:
        query = urlencode({k: v for k, v in (("notice", notice), ("error", error)) if v})
        joiner = "&" if "?" in path else "?"
        return redirect(path + (f"{joiner}{query}" if query else ""), code=303)


def _base_of(actor: dict) -> str:
    """Where an actor's declaration pages live: the enterprise's 人员管理 or the person's own."""
    return "/personal" if actor["kind"] in PERSON_KINDS else "/personnel"


def _upload_body(payload: dict) -> dict[str, Any]:
    return api_upload(payload)
