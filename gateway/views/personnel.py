"""人员管理: people and their certificates, declarations (申报) per certificate type and operation
(the catalogue's menus: CIP 二级建造师 / 安管人员, TSA, REG, PFL), 申报列表 (待上报 / 已上报 ×
单个 / 批次) with batch actions and a result per item, the commitment letter whose clock the
server keeps, tracking and 审核历史 (review's case_history), printable application tables,
transfers (调出 / 调入, TSA consent), a person's own pages (/personal), 人员到期预警, 注册人员查询
with Excel download, 申辩; JSON API under /api/v1/personnel. The personnel service re-checks
every actor (docs/contracts.md, Personnel): these views are the first door."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from werkzeug.exceptions import Forbidden as HTTPForbidden
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.routing import Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from gateway.http import INVALID_JSON, json_body, json_response
from gateway.openapi import operation, path_id, ref
from gateway.views.forms import api_upload, csrf_ok, uploaded_file
from services.common.access import READ_ONLY, actor_from_account
from services.common.contracts.personnel import ACTIONS, ACTORS, ANOMALY_KINDS, STATUSES
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


def _declaration_schema() -> dict:
    strings = (
        "id",
        "enterprise_id",
        "enterprise_name",
        "person_id",
        "certificate_id",
        "type_code",
        "type_name",
        "kind",
        "kind_label",
        "case_type",
        "status",
        "status_label",
        "origin",
        "level",
        "batch_id",
        "batch_title",
        "case_ref",
        "case_id",
        "review_step",
        "correction_deadline",
        "reported_at",
        "decided_at",
        "decision_reason",
        "created_at",
        "updated_at",
    )
    return {
        "type": "object",
        "properties": {
            **{k: {"type": "string", "nullable": True} for k in strings},
            "version": {"type": "integer", "description": "send it back as expected_version to change it"},
            "revision": {"type": "integer"},
            "person": ref("Person"),
            "certificate": {**ref("Certificate"), "nullable": True},
            "form": {"type": "object"},
            "fields": {"type": "object", "description": "{name: {label, value}}: what review sees"},
            "inputs": {"type": "array", "items": {"type": "string"}},
            "attachments": {"type": "array", "items": {"type": "object"}},
            "required_attachments": {
                "type": "array",
                "items": {"type": "object", "description": "{code, name, required, photo, uploaded}"},
            },
            "correction_items": {"type": "array", "items": {"type": "object"}},
            "withdrawal": {"type": "object", "nullable": True},
            "history": {"type": "array", "items": {"type": "object"}},
            "allowed_actions": {"type": "array", "items": {"type": "string"}},
        },
    }


def _page_of(name: str) -> dict:
    return {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": ref(name)},
            "next_cursor": {"type": "string", "nullable": True},
        },
    }


RESULTS = {
    "type": "object",
    "properties": {
        "results": {
            "type": "array",
            "items": {"type": "object", "description": "{id, ok, status, code, message}: one per item"},
        },
        "summary": {"type": "string"},
    },
}
UPLOAD_BODY = {
    "type": "object",
    "required": ["content_b64"],
    "properties": {"filename": {"type": "string"}, "content_b64": {"type": "string"}},
}
IDS_BODY = {
    "type": "object",
    "required": ["ids"],
    "properties": {"ids": {"type": "array", "items": {"type": "string"}}, "reason": {"type": "string"}},
}
ID = {
    "person": path_id("person_id", "the person"),
    "cert": path_id("certificate_id", "the certificate record"),
    "decl": path_id("declaration_id", "the declaration"),
    "batch": path_id("batch_id", "the batch"),
    "transfer": path_id("transfer_id", "the transfer"),
    "appeal": path_id("appeal_id", "the appeal"),
}
READ_ERRORS = (401, 403, 404, 503)
WRITE_ERRORS = (400, 401, 403, 404, 409, 422, 503)


class PersonnelViews:
    OPENAPI_PATHS = {
        "/api/v1/personnel/catalogue": {
            "get": operation(
                "Certificate types with classes, specialties, number formats and operations (attachments, "
                "reasons, change items, flags); ID types, genders, education, title levels",
                result={"type": "object"},
                errors=(401, 403, 503),
            )
        },
        "/api/v1/personnel/people": {
            "get": operation(
                "People the enterprise holds or declared (?q name or ID number, ?type_code, "
                "?status, ?limit, ?cursor)",
                result=_page_of("Person"),
                errors=READ_ERRORS,
            ),
            "post": operation(
                "Add a person (ID number with the GB 11643 check; 422 per field)",
                body="PersonInput",
                ok=201,
                result="Person",
                csrf=True,
                errors=WRITE_ERRORS,
            ),
        },
        "/api/v1/personnel/people/{person_id}": {
            "get": operation(
                "A person with certificates, open declarations and transfers",
                parameters=[ID["person"]],
                result="Person",
                errors=READ_ERRORS,
            ),
            "patch": operation(
                "Change a person (409 open_declaration while a reported declaration is open)",
                parameters=[ID["person"]],
                body="PersonInput",
                result="Person",
                csrf=True,
                errors=WRITE_ERRORS,
            ),
        },
        "/api/v1/personnel/people/{person_id}/photo": {
            "post": operation(
                "Upload the photo (jpg/png under 1 MB; a warning when the background is not one colour)",
                parameters=[ID["person"]],
                body=UPLOAD_BODY,
                result="Person",
                csrf=True,
                errors=WRITE_ERRORS,
            )
        },
        "/api/v1/personnel/people/{person_id}/certificates": {
            "post": operation(
                "信息补录: record a certificate the enterprise holds from the old system (409 "
                "employed_elsewhere names the holder)",
                parameters=[ID["person"]],
                body="CertificateInput",
                ok=201,
                result="Certificate",
                csrf=True,
                errors=WRITE_ERRORS,
            )
        },
        "/api/v1/personnel/certificates/{certificate_id}": {
            "get": operation(
                "A certificate record with its history",
                parameters=[ID["cert"]],
                result="Certificate",
                errors=READ_ERRORS,
            ),
            "patch": operation(
                "信息补录 edit of an imported record (needs expected_version; refused once a "
                "declaration was reported: supplement_closed / open_declaration)",
                parameters=[ID["cert"]],
                body="CertificateInput",
                result="Certificate",
                csrf=True,
                errors=WRITE_ERRORS,
            ),
        },
        "/api/v1/personnel/declarations": {
            "get": operation(
                "申报列表: ?reported=1|0 (已上报 / 待上报), ?batch=1|0 (批次 / 单个), ?batch_id, "
                "?type_code, ?kind, ?status, ?q, ?limit, ?cursor",
                result=_page_of("Declaration"),
                errors=READ_ERRORS,
            ),
            "post": operation(
                "Start a declaration: {type_code, kind, person_id | person | certificate_id, "
                "form}; eligibility is checked (Chinese message and code)",
                body={
                    "type": "object",
                    "required": ["type_code", "kind"],
                    "properties": {
                        "type_code": {"type": "string"},
                        "kind": {"type": "string"},
                        "person_id": {"type": "string"},
                        "person": ref("PersonInput"),
                        "certificate_id": {"type": "string"},
                        "form": {"type": "object"},
                    },
                },
                ok=201,
                result="Declaration",
                csrf=True,
                errors=WRITE_ERRORS,
            ),
        },
        "/api/v1/personnel/declarations/{declaration_id}": {
            "get": operation(
                "A declaration with fields, attachments, history and allowed actions",
                parameters=[ID["decl"]],
                result="Declaration",
                errors=READ_ERRORS,
            ),
            "patch": operation(
                "Save a draft's form ({form, expected_version}; 409 stale_version); in 补正 "
                "only the reopened fields",
                parameters=[ID["decl"]],
                body={
                    "type": "object",
                    "required": ["form"],
                    "properties": {"form": {"type": "object"}, "expected_version": {"type": "integer"}},
                },
                result="Declaration",
                csrf=True,
                errors=WRITE_ERRORS,
            ),
        },
        "/api/v1/personnel/declarations/{declaration_id}/attachments/{code}": {
            "post": operation(
                "Upload a required material (catalogue code; jpg/png under 2 MB or PDF, checked by content)",
                parameters=[ID["decl"], path_id("code", "the material's code")],
                body=UPLOAD_BODY,
                result="Declaration",
                csrf=True,
                errors=WRITE_ERRORS,
            )
        },
        "/api/v1/personnel/declarations/{declaration_id}/{action}": {
            "post": operation(
                "resubmit (after 补正), cancel ({reason}: 取消申请), "
                "withdrawal-decision ({agree, reason}: the enterprise on a person's withdrawal request), "
                "correct-qualification ({qualification_number, copy?}: 补正资质)",
                parameters=[
                    ID["decl"],
                    {
                        **path_id("action", "the step"),
                        "schema": {
                            "type": "string",
                            "enum": ["resubmit", "cancel", "withdrawal-decision", "correct-qualification"],
                        },
                    },
                ],
                body={
                    "type": "object",
                    "properties": {
                        "reason": {"type": "string"},
                        "agree": {"type": "boolean"},
                        "qualification_number": {"type": "string"},
                        "copy": UPLOAD_BODY,
                    },
                },
                result="Declaration",
                csrf=True,
                errors=WRITE_ERRORS,
            )
        },
        "/api/v1/personnel/bulk/{action}": {
            "post": operation(
                "Several declarations at once, a result per item: delete / return ({ids, reason}); "
                "commitment ({declaration_ids | batch_id}: opens the letter, answers {token, opened_at, "
                "seconds_required, text}); report ({declaration_ids | batch_id, commitment_token, confirmed, "
                "form_key}: refused as a whole before the letter was open the configured seconds, 422 "
                "commitment_too_soon; the same form_key answers the first results)",
                parameters=[
                    {
                        **path_id("action", "the action"),
                        "schema": {"type": "string", "enum": list(BULK_ACTIONS)},
                    }
                ],
                body={
                    "type": "object",
                    "properties": {
                        "ids": {"type": "array", "items": {"type": "string"}},
                        "declaration_ids": {"type": "array", "items": {"type": "string"}},
                        "batch_id": {"type": "string"},
                        "reason": {"type": "string"},
                        "commitment_token": {"type": "string"},
                        "confirmed": {"type": "boolean"},
                        "form_key": {"type": "string"},
                    },
                },
                result=RESULTS,
                csrf=True,
                errors=WRITE_ERRORS,
            )
        },
        "/api/v1/personnel/attachments/{attachment_id}": {
            "get": operation(
                "303 to a short-lived download URL of a declaration file or photo",
                ok=303,
                parameters=[path_id("attachment_id", "the file")],
                errors=(401, 404),
            )
        },
        "/api/v1/personnel/batches": {
            "get": operation("申报批次 (?reported=1|0)", result={"type": "object"}, errors=READ_ERRORS),
            "post": operation(
                "Create a batch of drafts ({title, declaration_ids})",
                body={
                    "type": "object",
                    "required": ["title"],
                    "properties": {
                        "title": {"type": "string"},
                        "declaration_ids": {"type": "array", "items": {"type": "string"}},
                    },
                },
                ok=201,
                result={"type": "object"},
                csrf=True,
                errors=WRITE_ERRORS,
            ),
        },
        "/api/v1/personnel/batches/{batch_id}": {
            "get": operation(
                "One batch with its declarations",
                parameters=[ID["batch"]],
                result={"type": "object"},
                errors=READ_ERRORS,
            )
        },
        "/api/v1/personnel/batches/{batch_id}/{action}": {
            "post": operation(
                "add / remove drafts ({declaration_ids})",
                parameters=[
                    ID["batch"],
                    {
                        **path_id("action", "add or remove"),
                        "schema": {"type": "string", "enum": ["add", "remove"]},
                    },
                ],
                body={
                    "type": "object",
                    "properties": {"declaration_ids": {"type": "array", "items": {"type": "string"}}},
                },
                result={"type": "object"},
                csrf=True,
                errors=WRITE_ERRORS,
            )
        },
        "/api/v1/personnel/transfers": {
            "get": operation(
                "Transfers (?direction=incoming|outgoing)", result={"type": "object"}, errors=READ_ERRORS
            ),
            "post": operation(
                "调出: the old employer names the new one ({certificate_id, to_uscc})",
                body={
                    "type": "object",
                    "required": ["certificate_id", "to_uscc"],
                    "properties": {"certificate_id": {"type": "string"}, "to_uscc": {"type": "string"}},
                },
                ok=201,
                result={"type": "object"},
                csrf=True,
                errors=WRITE_ERRORS,
            ),
        },
        "/api/v1/personnel/transfers/decision": {
            "post": operation(
                "TSA: the enterprise consents to or refuses persons' transfer requests ({ids, decision: "
                "consent|refuse, reason}), a result per item",
                body={
                    "type": "object",
                    "required": ["ids", "decision"],
                    "properties": {
                        "ids": {"type": "array", "items": {"type": "string"}},
                        "decision": {"type": "string", "enum": ["consent", "refuse"]},
                        "reason": {"type": "string"},
                    },
                },
                result=RESULTS,
                csrf=True,
                errors=WRITE_ERRORS,
            )
        },
        "/api/v1/personnel/transfers/{transfer_id}/{action}": {
            "post": operation(
                "调入: accept (opens the transfer_in draft, answers the declaration) or "
                "return ({reason}; until that declaration is reported); "
                "cancel (the old employer, before acceptance)",
                parameters=[
                    ID["transfer"],
                    {
                        **path_id("action", "accept, return or cancel"),
                        "schema": {"type": "string", "enum": ["accept", "return", "cancel"]},
                    },
                ],
                body={"type": "object", "properties": {"reason": {"type": "string"}}},
                result={"type": "object"},
                csrf=True,
                errors=WRITE_ERRORS,
            )
        },
        "/api/v1/personnel/re-registration": {
            "get": operation(
                "重新注册: find a cancelled record by ?type_code, ?name, ?id_number (409 still_registered)",
                result="Certificate",
                errors=(401, 403, 404, 409, 503),
            )
        },
        "/api/v1/personnel/expiring": {
            "get": operation(
                "人员到期预警: certificates expiring within ?within_days (default 90), ?type_code",
                result={"type": "object"},
                errors=READ_ERRORS,
            )
        },
        "/api/v1/personnel/registered": {
            "get": operation(
                "注册人员查询: ?" + ", ?".join(REGISTERED_FILTERS) + ", ?limit, ?cursor (enterprises: their "
                "staff; reviewers and admins: their region)",
                result=_page_of("Certificate"),
                errors=READ_ERRORS,
            )
        },
        "/api/v1/personnel/registered/export": {
            "get": operation(
                "The same search as an Excel file (Chinese headers; UTF-8 file name in Content-Disposition)",
                errors=READ_ERRORS,
            )
        },
        "/api/v1/personnel/appeals": {
            "get": operation(
                "申辩管理: anomalies raised by reviewers (?status); enterprises see theirs, "
                "reviewers their region",
                result={"type": "object"},
                errors=READ_ERRORS,
            ),
            "post": operation(
                "Reviewers: raise an anomaly {enterprise_id, person_id, kind, detail, deadline}",
                body={
                    "type": "object",
                    "required": ["enterprise_id", "person_id", "kind"],
                    "properties": {
                        k: {"type": "string"}
                        for k in ("enterprise_id", "person_id", "kind", "detail", "deadline")
                    },
                },
                result={"type": "object"},
                csrf=True,
                errors=WRITE_ERRORS,
            ),
        },
        "/api/v1/personnel/appeals/{appeal_id}/close": {
            "post": operation(
                "Reviewers: decide an answered appeal {outcome: uphold|dismiss|ask_more, opinion}",
                parameters=[ID["appeal"]],
                body={
                    "type": "object",
                    "required": ["outcome"],
                    "properties": {
                        "outcome": {"type": "string", "enum": ["uphold", "dismiss", "ask_more"]},
                        "opinion": {"type": "string"},
                    },
                },
                result={"type": "object"},
                csrf=True,
                errors=WRITE_ERRORS,
            )
        },
        "/api/v1/personnel/appeals/{appeal_id}/answer": {
            "post": operation(
                "Answer an appeal: {explanation, evidence: [{filename, content_b64}]}",
                parameters=[ID["appeal"]],
                body={
                    "type": "object",
                    "required": ["explanation"],
                    "properties": {
                        "explanation": {"type": "string"},
                        "evidence": {"type": "array", "items": UPLOAD_BODY},
                    },
                },
                result={"type": "object"},
                csrf=True,
                errors=WRITE_ERRORS,
            )
        },
        "/api/v1/personnel/me/declarations": {
            "post": operation(
                "个人用户 (REG): file a personal declaration {type_code, kind, enterprise_uscc, person?, "
                "certificate_id?, form}; the named enterprise reports or returns it",
                body={"type": "object", "required": ["type_code", "kind", "enterprise_uscc"]},
                ok=201,
                result="Declaration",
                csrf=True,
                errors=WRITE_ERRORS,
            ),
            "get": operation(
                "个人用户: the person's own declarations", result={"type": "object"}, errors=(401, 403, 503)
            ),
        },
        "/api/v1/personnel/me/certificates": {
            "get": operation(
                "个人用户: the person's own certificates", result={"type": "object"}, errors=(401, 403, 503)
            )
        },
        "/api/v1/personnel/me/declarations/{declaration_id}/withdrawal": {
            "post": operation(
                "个人用户: ask to withdraw a declaration still at 省级未受理 / 部级未受理 ({reason}; 409 "
                "withdrawal_not_allowed)",
                parameters=[ID["decl"]],
                body={"type": "object", "properties": {"reason": {"type": "string"}}},
                result="Declaration",
                csrf=True,
                errors=WRITE_ERRORS,
            )
        },
        "/api/v1/personnel/me/transfers": {
            "get": operation(
                "个人用户: the person's own transfers", result={"type": "object"}, errors=(401, 403, 503)
            ),
            "post": operation(
                "个人用户 (TSA): ask to transfer ({certificate_id, direction: out|in, to_uscc}); the "
                "enterprise consents, then the reviewers",
                body={
                    "type": "object",
                    "required": ["certificate_id", "direction"],
                    "properties": {
                        "certificate_id": {"type": "string"},
                        "direction": {"type": "string", "enum": ["out", "in"]},
                        "to_uscc": {"type": "string"},
                    },
                },
                ok=201,
                result={"type": "object"},
                csrf=True,
                errors=WRITE_ERRORS,
            ),
        },
    }
    OPENAPI_SCHEMAS = {
        "PersonInput": {
            "type": "object",
            "required": ["name", "id_type", "id_number", "mobile"],
            "properties": {
                **{k: {"type": "string"} for k in PERSON_FIELDS},
                "id_type": {"type": "string", "enum": ["resident_id", "officer_id", "police_id", "passport"]},
                "gender": {"type": "string", "enum": ["male", "female"]},
            },
        },
        "Person": {
            "type": "object",
            "properties": {
                **{
                    k: {"type": "string", "nullable": True}
                    for k in ("id", *PERSON_FIELDS, "gender_label", "id_type_label")
                },
                "photo": {"type": "object", "nullable": True},
                "certificates": {"type": "array", "items": ref("Certificate")},
                "declarations": {"type": "array", "items": {"type": "object"}},
                "transfers": {"type": "array", "items": {"type": "object"}},
            },
        },
        "CertificateInput": {
            "type": "object",
            "properties": {
                **{k: {"type": "string"} for k in RECORD_FIELDS},
                "specialties": {"type": "array", "items": {"type": "string"}},
                "expected_version": {"type": "integer"},
            },
        },
        "Certificate": {
            "type": "object",
            "properties": {
                **{
                    k: {"type": "string", "nullable": True}
                    for k in (
                        "id",
                        "person_id",
                        "type_name",
                        "certificate_kind",
                        "class_label",
                        *RECORD_FIELDS,
                        "status",
                        "status_label",
                        "enterprise_id",
                        "enterprise_name",
                        "transfer_to",
                        "cancelled_on",
                        "reissued_on",
                    )
                },
                "specialties": {"type": "array", "items": {"type": "string"}},
                "imported": {"type": "boolean"},
                "version": {"type": "integer"},
                "renewal_window": {"type": "object", "nullable": True},
            },
        },
        "Declaration": _declaration_schema(),
    }

    ROUTES = [
        Rule("/personnel", endpoint="personnel_home", methods=["GET"]),
        Rule("/personnel/people", endpoint="personnel_people", methods=["GET"]),
        Rule("/personnel/people/new", endpoint="personnel_person_new", methods=["GET", "POST"]),
        Rule("/personnel/people/<person_id>", endpoint="personnel_person", methods=["GET"]),
        Rule("/personnel/people/<person_id>/edit", endpoint="personnel_person_edit", methods=["GET", "POST"]),
        Rule("/personnel/people/<person_id>/photo", endpoint="personnel_photo", methods=["POST"]),
        Rule(
            "/personnel/people/<person_id>/certificates",
            endpoint="personnel_record_new",
            methods=["GET", "POST"],
        ),
        Rule("/personnel/certificates/<certificate_id>", endpoint="personnel_certificate", methods=["GET"]),
        Rule(
            "/personnel/certificates/<certificate_id>/supplement",
            endpoint="personnel_record_edit",
            methods=["GET", "POST"],
        ),
        Rule(
            "/personnel/certificates/<certificate_id>/transfer-out",
            endpoint="personnel_transfer_out",
            methods=["POST"],
        ),
        Rule("/personnel/types/<type_code>", endpoint="personnel_type", methods=["GET"]),
        Rule("/personnel/types/<type_code>/<kind>", endpoint="personnel_start", methods=["GET", "POST"]),
        Rule("/personnel/declarations", endpoint="personnel_declarations", methods=["GET"]),
        Rule("/personnel/declarations/bulk", endpoint="personnel_bulk", methods=["POST"]),
        Rule("/personnel/declarations/<declaration_id>", endpoint="personnel_declaration", methods=["GET"]),
        Rule("/personnel/declarations/<declaration_id>/save", endpoint="personnel_save", methods=["POST"]),
        Rule(
            "/personnel/declarations/<declaration_id>/attachment",
            endpoint="personnel_attachment",
            methods=["POST"],
        ),
        Rule(
            "/personnel/declarations/<declaration_id>/do/<action>",
            endpoint="personnel_action",
            methods=["POST"],
        ),
        Rule("/personnel/declarations/<declaration_id>/history", endpoint="personnel_history",
            methods=["GET"]),
        Rule(
            "/personnel/declarations/<declaration_id>/qualification",
            endpoint="personnel_qualification",
            methods=["POST"],
        ),
        Rule("/personnel/declarations/<declaration_id>/print", endpoint="personnel_print", methods=["GET"]),
        Rule(
            "/personnel/batches/<batch_id>/<any(report, delete, remove):action>",
            endpoint="personnel_batch_action",
            methods=["POST"],
        ),
        Rule("/personnel/commitment", endpoint="personnel_commitment", methods=["GET", "POST"]),
        Rule("/personnel/files/<attachment_id>", endpoint="personnel_file", methods=["GET"]),
        Rule("/personnel/transfers", endpoint="personnel_transfers", methods=["GET"]),
        Rule(
            "/personnel/transfers/<transfer_id>/<any(accept, return, cancel):action>",
            endpoint="personnel_transfer_action",
            methods=["POST"],
        ),
        Rule("/personnel/requests", endpoint="personnel_requests", methods=["GET", "POST"]),
        Rule("/personnel/expiring", endpoint="personnel_expiring", methods=["GET"]),
        Rule("/personnel/registered", endpoint="personnel_registered", methods=["GET"]),
        Rule("/personnel/registered/export", endpoint="personnel_export", methods=["GET"]),
        Rule("/personnel/appeals", endpoint="personnel_appeals", methods=["GET"]),
        Rule("/personnel/appeals/<appeal_id>/answer", endpoint="personnel_appeal_answer", methods=["POST"]),
        Rule("/personnel/appeals/raise", endpoint="personnel_appeal_raise", methods=["POST"]),
        Rule("/personnel/appeals/<appeal_id>/close", endpoint="personnel_appeal_close", methods=["POST"]),
        Rule("/personal/declarations", endpoint="personal_declarations", methods=["GET"]),
        Rule(
            "/personal/declarations/<declaration_id>/withdraw", endpoint="personal_withdraw", methods=["POST"]
        ),
        Rule("/personal/transfer", endpoint="personal_transfer", methods=["GET", "POST"]),
        Rule("/personal/start/<type_code>/<kind>", endpoint="personal_start", methods=["GET", "POST"]),
        Rule("/personal/declarations/<declaration_id>", endpoint="personal_declaration", methods=["GET"]),
        Rule("/personal/declarations/<declaration_id>/save", endpoint="personal_save", methods=["POST"]),
        Rule(
            "/personal/declarations/<declaration_id>/attachment",
            endpoint="personal_attachment",
            methods=["POST"],
        ),
        Rule(
            "/personal/declarations/<declaration_id>/do/<any(delete, redeclare):action>",
            endpoint="personal_action",
            methods=["POST"],
        ),
        Rule("/api/v1/personnel/catalogue", endpoint="api_personnel_catalogue", methods=["GET"]),
        Rule("/api/v1/personnel/people", endpoint="api_personnel_people", methods=["GET", "POST"]),
        Rule(
            "/api/v1/personnel/people/<person_id>", endpoint="api_personnel_person", methods=["GET", "PATCH"]
        ),
        Rule("/api/v1/personnel/people/<person_id>/photo", endpoint="api_personnel_photo", methods=["POST"]),
        Rule(
            "/api/v1/personnel/people/<person_id>/certificates",
            endpoint="api_personnel_record_new",
            methods=["POST"],
        ),
        Rule(
            "/api/v1/personnel/certificates/<certificate_id>",
            endpoint="api_personnel_certificate",
            methods=["GET", "PATCH"],
        ),
        Rule(
            "/api/v1/personnel/declarations", endpoint="api_personnel_declarations", methods=["GET", "POST"]
        ),
        Rule(
            "/api/v1/personnel/declarations/<declaration_id>",
            endpoint="api_personnel_declaration",
            methods=["GET", "PATCH"],
        ),
        Rule(
            "/api/v1/personnel/declarations/<declaration_id>/attachments/<code>",
            endpoint="api_personnel_attachment",
            methods=["POST"],
        ),
        Rule(
            "/api/v1/personnel/declarations/<declaration_id>/"
            '<any("resubmit", "cancel", "withdrawal-decision", "correct-qualification"):action>',
            endpoint="api_personnel_action",
            methods=["POST"],
        ),
        Rule(
            f"/api/v1/personnel/bulk/<any({', '.join(BULK_ACTIONS)}):action>",
            endpoint="api_personnel_bulk",
            methods=["POST"],
        ),
        Rule("/api/v1/personnel/attachments/<attachment_id>", endpoint="api_personnel_file", methods=["GET"]),
        Rule("/api/v1/personnel/batches", endpoint="api_personnel_batches", methods=["GET", "POST"]),
        Rule("/api/v1/personnel/batches/<batch_id>", endpoint="api_personnel_batch", methods=["GET"]),
        Rule(
            "/api/v1/personnel/batches/<batch_id>/<any(add, remove):action>",
            endpoint="api_personnel_batch_action",
            methods=["POST"],
        ),
        Rule("/api/v1/personnel/transfers", endpoint="api_personnel_transfers", methods=["GET", "POST"]),
        Rule(
            "/api/v1/personnel/transfers/decision",
            endpoint="api_personnel_transfer_decision",
            methods=["POST"],
        ),
        Rule(
            "/api/v1/personnel/transfers/<transfer_id>/<any(accept, return, cancel):action>",
            endpoint="api_personnel_transfer_action",
            methods=["POST"],
        ),
        Rule("/api/v1/personnel/re-registration", endpoint="api_personnel_re_registration", methods=["GET"]),
        Rule("/api/v1/personnel/expiring", endpoint="api_personnel_expiring", methods=["GET"]),
        Rule("/api/v1/personnel/registered", endpoint="api_personnel_registered", methods=["GET"]),
        Rule("/api/v1/personnel/registered/export", endpoint="api_personnel_export", methods=["GET"]),
        Rule("/api/v1/personnel/appeals", endpoint="api_personnel_appeals", methods=["GET", "POST"]),
        Rule(
            "/api/v1/personnel/appeals/<appeal_id>/close",
            endpoint="api_personnel_appeal_close",
            methods=["POST"],
        ),
        Rule(
            "/api/v1/personnel/appeals/<appeal_id>/answer",
            endpoint="api_personnel_appeal_answer",
            methods=["POST"],
        ),
        Rule(
            "/api/v1/personnel/me/declarations", endpoint="api_personal_declarations", methods=["GET", "POST"]
        ),
        Rule("/api/v1/personnel/me/certificates", endpoint="api_personal_certificates", methods=["GET"]),
        Rule(
            "/api/v1/personnel/me/declarations/<declaration_id>/withdrawal",
            endpoint="api_personal_withdraw",
            methods=["POST"],
        ),
        Rule("/api/v1/personnel/me/transfers", endpoint="api_personal_transfer", methods=["GET", "POST"]),
    ]

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

    def _pn(self, request: Request, method: str, *args: Any) -> Any:
        return self.call(request, "personnel", method, *args)

    def _pn_csrf(self, request: Request) -> None:
        if not csrf_ok(request):
            raise HTTPForbidden("页面已过期，请刷新后重新提交。")

    @staticmethod
    def _pn_read_only(actor: dict) -> bool:
        return actor["kind"] == "sub" and READ_ONLY in actor["permissions"]

    def _catalogue(self, request: Request, actor: dict) -> dict:
        """The certificate-type catalogue (static data: asked once per gateway process)."""
        cached = getattr(self, "_personnel_catalogue", None)
        if cached is None:
            cached = self._pn(request, "catalogue", actor)
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

    # ---- 人员管理 home, people ------------------------------------------------------------------
    def on_personnel_home(self, request: Request) -> Response:
        actor = self._pn_actor(request)
        pending = self._pn(request, "list_declarations", actor, {"reported": False, "limit": 10})
        expiring = self._pn(request, "expiring", actor, {"within_days": 90})
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
        page = self._pn(request, "list_people", actor, {**query, "limit": 50})
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
            self._pn_csrf(request)
            form = {k: request.form.get(k, "").strip() for k in PERSON_FIELDS}
            data = {k: v for k, v in form.items() if v}
            try:
                if person_id is None:
                    person = self._pn(request, "create_person", actor, data)
                else:
                    person = self._pn(request, "update_person", actor, person_id, data)
            except ServiceError as exc:
                errors = _errors_of(exc)
            else:
                notice = "人员信息已保存" if person_id else "人员已添加，可继续上传照片或办理申报"
                return self._pn_back(f"/personnel/people/{person['id']}", notice=notice)
        elif person_id is not None:
            form = self._pn(request, "get_person", actor, person_id)
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
        person = self._pn(request, "get_person", actor, person_id)
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
        self._pn_csrf(request)
        try:
            upload = uploaded_file(request, "file") or {"filename": "", "content_b64": ""}
            person = self._pn(request, "upload_photo", actor, person_id, upload)
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
        certificate = self._pn(request, "certificate", actor, certificate_id) if certificate_id else None
        person = certificate["person"] if certificate else self._pn(request, "get_person", actor, person_id)
        errors: FieldErrors = {}
        form: dict[str, Any] = (
            dict(certificate) if certificate else {"type_code": request.args.get("type_code", "")}
        )
        if request.method == "POST":
            self._pn_csrf(request)
            form = {k: request.form.get(k, "").strip() for k in RECORD_FIELDS}
            form["specialties"] = [s for s in request.form.getlist("specialties") if s]
            data = {k: v for k, v in form.items() if v}
            try:
                if certificate:
                    data.pop("type_code", None)
                    version = request.form.get("version", "")
                    self._pn(
                        request,
                        "update_certificate_record",
                        actor,
                        certificate["id"],
                        {**data, "expected_version": int(version) if version.isdigit() else None},
                    )
                else:
                    self._pn(request, "add_certificate_record", actor, person["id"], data)
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
        certificate = self._pn(request, "certificate", actor, certificate_id)
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
        self._pn_csrf(request)
        try:
            self._pn(
                request,
                "transfer_out",
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
        people = self._pn(request, "list_people", actor, {"type_code": type_code, "limit": 200})["items"]
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
                found = self._pn(
                    request,
                    "find_for_re_registration",
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
            self._pn_csrf(request)
            payload: dict[str, Any] = {"type_code": type_code, "kind": kind, "form": form}
            payload.update(
                {"person_id": person_id} if kind in NEW_KINDS else {"certificate_id": certificate_id}
            )
            try:
                declaration = self._pn(request, "new_declaration", actor, payload)
            except ServiceError as exc:
                errors = _errors_of(exc)
            else:
                return self._pn_back(
                    f"/personnel/declarations/{declaration['id']}",
                    notice="申报已保存到“待上报”，请上传附件材料后上报",
                )
        # 重新注册: the record found by name + ID number may be another (former) employer's.
        certificate = found or (
            self._pn(request, "certificate", actor, certificate_id) if certificate_id else None
        )
        candidates = (
            []
            if (certificate or kind == "re_registration")
            else self._pn(
                request,
                "list_people",
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
        declaration = self._pn(request, "get_declaration", actor, declaration_id)
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
        self._pn_csrf(request)
        form = _form_values(request)
        version = request.form.get("version", "")
        try:
            self._pn(
                request,
                "update_declaration",
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
        self._pn_csrf(request)
        code = request.form.get("code", "")
        try:
            upload = uploaded_file(request, "file") or {"filename": "", "content_b64": ""}
            self._pn(request, "upload_declaration_attachment", actor, declaration_id, code, upload)
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
        self._pn_csrf(request)
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
                method = "delete_declarations" if action == "delete" else "return_declarations"
                result = self._pn(
                    request,
                    method,
                    actor,
                    {"ids": [declaration_id], "reason": reason}
                    if action == "return"
                    else {"ids": [declaration_id]},
                )
                failed = [r for r in result["results"] if not r["ok"]]
                if failed:
                    return self._declaration_page(
                        request, actor, declaration_id, status=409, error=failed[0]["message"]
                    )
            elif action == "cancel":
                self._pn(request, "cancel_declaration", actor, declaration_id, reason)
            elif action == "resubmit":
                self._pn(request, "resubmit_declaration", actor, declaration_id)
            else:
                self._pn(
                    request,
                    "decide_withdrawal",
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
        self._pn_csrf(request)
        try:
            copy = uploaded_file(request, "copy")
            self._pn(
                request,
                "correct_qualification",
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
        declaration = self._pn(request, "get_declaration", actor, declaration_id)
        case = None
        if declaration.get("reported_at"):
            account = self.require(request)
            review_actor = {**actor, "name": account.get("contact_name") or account.get("login")}
            try:
                case = self.call(request, "review", "case_history", review_actor, declaration["case_ref"])
            except ServiceError:
                case = None  # review has not opened the case yet
        return self._pn_page(
            request, "personnel_history.html", actor, d=declaration, case=case, labels=HISTORY_LABELS
        )

    def on_personnel_print(self, request: Request, declaration_id: str) -> Response:
        actor = self._pn_actor(request, staff=True)
        declaration = self._pn(request, "get_declaration", actor, declaration_id)
        return self._pn_page(request, "personnel_print.html", actor, d=declaration)

    def on_personnel_file(self, request: Request, attachment_id: str) -> Response:
        actor = actor_from_account(self.require(request))
        return redirect(self._pn(request, "attachment_url", actor, attachment_id)["url"], code=303)

    # ---- 申报列表, batches, reporting -------------------------------------------------------------
    def _lists(self, request: Request, actor: dict, reported: bool, mode: str) -> dict[str, Any]:
        query: dict[str, Any] = {
            k: request.args[k] for k in ("type_code", "kind", "q", "cursor") if request.args.get(k)
        }
        if mode == "batch":
            return {
                "batches": self._pn(request, "list_batches", actor, {"reported": reported})["items"],
                "declarations": [],
                "next_cursor": None,
            }
        # 单个 lists every declaration one by one, batched or not (seed 001: tracking, 审核历史 and
        # printing happen in 已上报（单个）); 批次 lists the batches.
        page = self._pn(request, "list_declarations", actor, {**query, "reported": reported, "limit": 50})
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
        self._pn_csrf(request)
        ids, action = _ids(request), request.form.get("action", "")
        if not ids:
            return self._lists_page(request, actor, False, "single", status=422, error="请先勾选申报")
        if action == "report":
            return redirect("/personnel/commitment?" + urlencode({"ids": ",".join(ids)}), code=303)
        try:
            if action == "batch":
                batch = self._pn(
                    request,
                    "create_batch",
                    actor,
                    {"title": request.form.get("title", "").strip() or "申报批次", "declaration_ids": ids},
                )
                return self._pn_back(
                    "/personnel/declarations?mode=batch",
                    notice=f"已组成批次“{batch['title']}”（{len(ids)}项）",
                )
            if action == "delete":
                results = self._pn(request, "delete_declarations", actor, {"ids": ids})["results"]
            elif action == "return":
                results = self._pn(
                    request,
                    "return_declarations",
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
        self._pn_csrf(request)
        if action == "report":
            return redirect("/personnel/commitment?" + urlencode({"batch": batch_id}), code=303)
        try:
            if action == "remove":
                self._pn(request, "remove_from_batch", actor, batch_id, {"declaration_ids": _ids(request)})
                return self._pn_back("/personnel/declarations?mode=batch", notice="已移出批次")
            batch = self._pn(request, "get_batch", actor, batch_id)
            results = self._pn(
                request, "delete_declarations", actor, {"ids": [d["id"] for d in batch["declarations"]]}
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
            letter = self._pn(request, "open_commitment", actor, target)
            return self._commitment_page(request, actor, letter, batch_id, ids)
        self._pn_csrf(request)
        letter = {k: request.form.get(k, "") for k in ("token", "opened_at", "seconds_required", "text")}
        try:
            result = self._pn(
                request,
                "report",
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
            self._pn(request, "get_batch", actor, batch_id)["declarations"]
            if batch_id
            else [self._pn(request, "get_declaration", actor, i) for i in ids]
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

    # ---- transfers, persons' requests ---------------------------------------------------------
    def on_personnel_transfers(self, request: Request) -> Response:
        actor = self._pn_actor(request)
        incoming = self._pn(request, "list_transfers", actor, {"direction": "incoming"})["items"]
        outgoing = self._pn(request, "list_transfers", actor, {"direction": "outgoing"})["items"]
        return self._pn_page(
            request,
            "personnel_transfers.html",
            actor,
            incoming=incoming,
            outgoing=outgoing,
            notice=request.args.get("notice", ""),
            error=request.args.get("error", ""),
        )

    def on_personnel_transfer_action(self, request: Request, transfer_id: str, action: str) -> Response:
        actor = self._pn_actor(request, write=True)
        self._pn_csrf(request)
        try:
            if action == "accept":
                declaration = self._pn(request, "accept_transfer", actor, transfer_id)
                return self._pn_back(
                    f"/personnel/declarations/{declaration['id']}",
                    notice="已接收调入，请补充调入申报材料后上报",
                )
            if action == "return":
                self._pn(
                    request, "return_transfer", actor, transfer_id, request.form.get("reason", "").strip()
                )
            else:
                self._pn(request, "cancel_transfer", actor, transfer_id)
        except ServiceError as exc:
            return self._pn_back("/personnel/transfers", error=_message_of(exc))
        return self._pn_back(
            "/personnel/transfers", notice="已退回原单位" if action == "return" else "已撤销调出"
        )

    def on_personnel_requests(self, request: Request) -> Response:
        """个人申请: persons' transfer requests (TSA, consent) and withdrawal requests (REG), one by
        one or several at once, with a result per item."""
        actor = self._pn_actor(request, write=request.method == "POST")
        results, error = None, ""
        if request.method == "POST":
            self._pn_csrf(request)
            ids, reason = _ids(request), request.form.get("reason", "").strip()
            decision = request.form.get("decision", "")
            try:
                if not ids:
                    error = "请先勾选申请"
                elif request.form.get("what") == "transfers":
                    results = self._pn(
                        request,
                        "decide_transfers",
                        actor,
                        {"ids": ids, "decision": decision, "reason": reason},
                    )["results"]
                else:
                    results = [
                        self._withdrawal_decision(request, actor, i, decision == "agree", reason) for i in ids
                    ]
            except ServiceError as exc:
                error = _message_of(exc)
        transfers = [
            t
            for t in self._pn(request, "list_transfers", actor, {"direction": None})["items"]
            if t.get("mode") == "consent"
        ]
        withdrawals = self._pn(
            request,
            "list_declarations",
            actor,
            {"reported": True, "status": "withdrawal_requested", "limit": 200},
        )["items"]
        return self._pn_page(
            request,
            "personnel_requests.html",
            actor,
            status=422 if error else 200,
            transfers=transfers,
            withdrawals=withdrawals,
            results=results,
            error=error,
        )

    def _withdrawal_decision(
        self, request: Request, actor: dict, declaration_id: str, agree: bool, reason: str
    ) -> dict:
        try:
            d = self._pn(
                request, "decide_withdrawal", actor, declaration_id, {"agree": agree, "reason": reason}
            )
        except ServiceError as exc:
            return {"id": declaration_id, "ok": False, "code": exc.code, "message": exc.message}
        return {
            "id": declaration_id,
            "ok": True,
            "status": d["status"],
            "code": "ok",
            "message": f"{d['person']['name']}：{d['status_label']}",
        }

    # ---- 人员到期预警, 注册人员查询, 申辩 ------------------------------------------------------------
    def on_personnel_expiring(self, request: Request) -> Response:
        actor = self._pn_actor(request)
        days = request.args.get("within_days", "90")
        query: dict[str, Any] = {"within_days": int(days) if days.isdigit() else 90}
        if request.args.get("type_code"):
            query["type_code"] = request.args["type_code"]
        items = self._pn(request, "expiring", actor, query)["items"]
        return self._pn_page(request, "personnel_expiring.html", actor, items=items, query=query)

    def _registered_filters(self, request: Request) -> dict[str, Any]:
        return {k: request.args[k].strip() for k in REGISTERED_FILTERS if request.args.get(k, "").strip()}

    def on_personnel_registered(self, request: Request) -> Response:
        actor = self._pn_actor(request, staff=True)
        filters = self._registered_filters(request)
        page = self._pn(
            request,
            "search_registered",
            actor,
            {
                **filters,
                "limit": 50,
                **({"cursor": request.args["cursor"]} if request.args.get("cursor") else {}),
            },
        )
        return self._pn_page(
            request,
            "personnel_registered.html",
            actor,
            anomaly_kinds=ANOMALY_KINDS,
            items=page["items"],
            next_cursor=page.get("next_cursor"),
            filters=filters,
            export_query=urlencode(filters),
        )

    def on_personnel_export(self, request: Request) -> Response:
        actor = self._pn_actor(request, staff=True)
        return _xlsx_response(
            self._pn(request, "export_registered", actor, self._registered_filters(request))
        )

    def on_personnel_appeals(self, request: Request) -> Response:
        """申辩管理: the enterprise answers; reviewers and admins see their region's and decide."""
        actor = self._pn_actor(request, staff=True)
        status = request.args.get("status") or None
        appeals = self._pn(request, "list_appeals", actor, {"status": status} if status else {})["items"]
        return self._pn_page(
            request,
            "personnel_appeals.html",
            actor,
            appeals=appeals,
            staff=actor["kind"] in STAFF_KINDS,
            anomaly_kinds=ANOMALY_KINDS,
            notice=request.args.get("notice", ""),
            error=request.args.get("error", ""),
        )

    def on_personnel_appeal_raise(self, request: Request) -> Response:
        """A reviewer raises an anomaly from 注册人员查询 (e.g. the same person at two employers)."""
        actor = actor_from_account(self.require(request, kinds=STAFF_KINDS))
        self._pn_csrf(request)
        fields = ("enterprise_id", "person_id", "kind", "detail", "deadline")
        try:
            self._pn(
                request, "raise_anomaly", actor, {k: request.form.get(k, "").strip() or None for k in fields}
            )
        except ServiceError as exc:
            return self._pn_back("/personnel/registered", error=_message_of(exc))
        return self._pn_back("/personnel/appeals", notice="已发起申辩，等待企业说明")

    def on_personnel_appeal_close(self, request: Request, appeal_id: str) -> Response:
        actor = actor_from_account(self.require(request, kinds=STAFF_KINDS))
        self._pn_csrf(request)
        try:
            self._pn(
                request,
                "close_appeal",
                actor,
                appeal_id,
                {
                    "outcome": request.form.get("outcome", ""),
                    "opinion": request.form.get("opinion", "").strip(),
                },
            )
        except ServiceError as exc:
            return self._pn_back("/personnel/appeals", error=_message_of(exc))
        return self._pn_back("/personnel/appeals", notice="审核结论已保存")

    def on_personnel_appeal_answer(self, request: Request, appeal_id: str) -> Response:
        actor = self._pn_actor(request, write=True)
        self._pn_csrf(request)
        try:
            evidence = [uploaded_file(request, "evidence")] if request.files.get("evidence") else []
            self._pn(
                request,
                "answer_appeal",
                actor,
                appeal_id,
                {
                    "explanation": request.form.get("explanation", "").strip(),
                    "evidence": [e for e in evidence if e],
                },
            )
        except ServiceError as exc:
            return self._pn_back("/personnel/appeals", error=_message_of(exc))
        return self._pn_back("/personnel/appeals", notice="申辩已提交")

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
        declarations = self._pn(request, "my_declarations", actor)["items"]
        certificates = self._pn(request, "my_certificates", actor)["items"]
        transfers = self._pn(request, "my_transfers", actor)["items"]
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
            self._pn_csrf(request)
            payload: dict[str, Any] = {
                "type_code": type_code,
                "kind": kind,
                "form": form,
                "enterprise_uscc": uscc,
            }
            payload.update({"person": person} if kind in NEW_KINDS else {"certificate_id": certificate_id})
            try:
                declaration = self._pn(request, "new_personal_declaration", actor, payload)
            except ServiceError as exc:
                errors = _errors_of(exc)
            else:
                return self._pn_back(
                    f"/personal/declarations/{declaration['id']}",
                    notice="个人申报已保存，请上传附件；单位上报后进入审核",
                )
        certificates = [
            c for c in self._pn(request, "my_certificates", actor)["items"] if c["type_code"] == type_code
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
        self._pn_csrf(request)
        try:
            if action == "delete":
                result = self._pn(request, "delete_declarations", actor, {"ids": [declaration_id]})
                failed = [r for r in result["results"] if not r["ok"]]
                if failed:
                    return self._declaration_page(
                        request, actor, declaration_id, status=409, error=failed[0]["message"]
                    )
                return self._pn_back("/personal/declarations", notice="申报已删除")
            self._pn(request, "redeclare_declaration", actor, declaration_id)
        except ServiceError as exc:
            return self._declaration_page(request, actor, declaration_id, status=409, error=_message_of(exc))
        return self._pn_back(
            f"/personal/declarations/{declaration_id}", notice="已重新申报，请修改后等待单位上报"
        )

    def on_personal_withdraw(self, request: Request, declaration_id: str) -> Response:
        actor = self._person_actor(request)
        self._pn_csrf(request)
        try:
            self._pn(
                request, "request_withdrawal", actor, declaration_id, request.form.get("reason", "").strip()
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
        self._pn_csrf(request)
        form = {k: request.form.get(k, "").strip() for k in ("certificate_id", "direction", "to_uscc")}
        try:
            self._pn(request, "request_transfer", actor, {k: v for k, v in form.items() if v})
        except ServiceError as exc:
            return self._personal_page(
                request, actor, status=422, error=_message_of(exc), errors=_errors_of(exc), form=form
            )
        return self._pn_back("/personal/declarations", notice="调动申请已提交，等待企业同意")

    # ---- JSON API --------------------------------------------------------------------------------
    def _api_read(self, request: Request, method: str, *args: Any, staff: bool = False) -> Response:
        return json_response(self._pn(request, method, self._pn_actor(request, staff=staff), *args), 200)

    def _api_write(
        self,
        request: Request,
        method: str,
        *args: Any,
        status: int = 200,
        person: bool = False,
        shape: Any = None,
    ) -> Response:
        """A JSON change: write permission, X-CSRF-Token, a JSON body (400 if not), then
        personnel.<method>(actor, *args, shape(body)); ``shape`` None passes the body as is,
        False passes nothing."""
        actor = self._person_actor(request) if person else self._pn_actor(request, write=True)
        self.require_api_csrf(request)
        payload = json_body(request) if request.data else {}
        if payload is None:
            return json_response(INVALID_JSON, 400)
        tail = [] if shape is False else [payload if shape is None else shape(payload)]
        return json_response(self._pn(request, method, actor, *args, *tail), status)

    def on_api_personnel_catalogue(self, request: Request) -> Response:
        actor = self._pn_actor(request, staff=True)
        return json_response(self._catalogue(request, actor), 200)

    def on_api_personnel_people(self, request: Request) -> Response:
        if request.method == "GET":
            query = {
                k: request.args[k] for k in ("q", "type_code", "status", "cursor") if request.args.get(k)
            }
            if request.args.get("limit", "").isdigit():
                query["limit"] = int(request.args["limit"])
            return self._api_read(request, "list_people", query)
        return self._api_write(request, "create_person", status=201)

    def on_api_personnel_person(self, request: Request, person_id: str) -> Response:
        if request.method == "GET":
            return self._api_read(request, "get_person", person_id)
        return self._api_write(request, "update_person", person_id)

    def on_api_personnel_photo(self, request: Request, person_id: str) -> Response:
        return self._api_write(request, "upload_photo", person_id, shape=_upload_body)

    def on_api_personnel_record_new(self, request: Request, person_id: str) -> Response:
        return self._api_write(request, "add_certificate_record", person_id, status=201)

    def on_api_personnel_certificate(self, request: Request, certificate_id: str) -> Response:
        if request.method == "GET":
            return self._api_read(request, "certificate", certificate_id, staff=True)
        return self._api_write(request, "update_certificate_record", certificate_id)

    def on_api_personnel_declarations(self, request: Request) -> Response:
        if request.method == "POST":
            return self._api_write(request, "new_declaration", status=201)
        args = request.args
        query: dict[str, Any] = {
            k: args[k] for k in ("batch_id", "type_code", "kind", "status", "q", "cursor") if args.get(k)
        }
        for flag in ("reported", "batch"):
            if args.get(flag) in ("0", "1"):
                query[flag] = args[flag] == "1"
        if args.get("limit", "").isdigit():
            query["limit"] = int(args["limit"])
        return self._api_read(request, "list_declarations", query)

    def on_api_personnel_declaration(self, request: Request, declaration_id: str) -> Response:
        if request.method == "GET":
            return self._api_read(request, "get_declaration", declaration_id, staff=True)
        return self._api_write(request, "update_declaration", declaration_id)

    def on_api_personnel_attachment(self, request: Request, declaration_id: str, code: str) -> Response:
        return self._api_write(
            request, "upload_declaration_attachment", declaration_id, code, shape=_upload_body
        )

    def on_api_personnel_action(self, request: Request, declaration_id: str, action: str) -> Response:
        if action == "resubmit":
            return self._api_write(request, "resubmit_declaration", declaration_id, shape=False)
        if action == "cancel":
            return self._api_write(
                request, "cancel_declaration", declaration_id, shape=lambda p: str(p.get("reason") or "")
            )
        if action == "withdrawal-decision":
            return self._api_write(
                request,
                "decide_withdrawal",
                declaration_id,
                shape=lambda p: {"agree": bool(p.get("agree")), "reason": p.get("reason") or ""},
            )
        return self._api_write(request, "correct_qualification", declaration_id)

    def on_api_personnel_bulk(self, request: Request, action: str) -> Response:
        method = {
            "delete": "delete_declarations",
            "return": "return_declarations",
            "commitment": "open_commitment",
            "report": "report",
        }[action]
        return self._api_write(request, method)

    def on_api_personnel_file(self, request: Request, attachment_id: str) -> Response:
        return self.on_personnel_file(request, attachment_id)

    def on_api_personnel_batches(self, request: Request) -> Response:
        if request.method == "GET":
            query = (
                {"reported": request.args["reported"] == "1"}
                if request.args.get("reported") in ("0", "1")
                else {}
            )
            return self._api_read(request, "list_batches", query)
        return self._api_write(request, "create_batch", status=201)

    def on_api_personnel_batch(self, request: Request, batch_id: str) -> Response:
        return self._api_read(request, "get_batch", batch_id)

    def on_api_personnel_batch_action(self, request: Request, batch_id: str, action: str) -> Response:
        return self._api_write(request, "add_to_batch" if action == "add" else "remove_from_batch", batch_id)

    def on_api_personnel_transfers(self, request: Request) -> Response:
        if request.method == "GET":
            direction = request.args.get("direction")
            return self._api_read(
                request,
                "list_transfers",
                {"direction": direction if direction in ("incoming", "outgoing") else None},
            )
        return self._api_write(request, "transfer_out", status=201)

    def on_api_personnel_transfer_decision(self, request: Request) -> Response:
        return self._api_write(request, "decide_transfers")

    def on_api_personnel_transfer_action(self, request: Request, transfer_id: str, action: str) -> Response:
        if action == "return":
            return self._api_write(
                request, "return_transfer", transfer_id, shape=lambda p: str(p.get("reason") or "")
            )
        return self._api_write(request, f"{action}_transfer", transfer_id, shape=False)

    def on_api_personnel_re_registration(self, request: Request) -> Response:
        return self._api_read(
            request,
            "find_for_re_registration",
            {k: request.args.get(k, "").strip() for k in ("type_code", "name", "id_number")},
        )

    def on_api_personnel_expiring(self, request: Request) -> Response:
        days = request.args.get("within_days", "90")
        query: dict[str, Any] = {"within_days": int(days) if days.isdigit() else 90}
        if request.args.get("type_code"):
            query["type_code"] = request.args["type_code"]
        return self._api_read(request, "expiring", query)

    def on_api_personnel_registered(self, request: Request) -> Response:
        query: dict[str, Any] = self._registered_filters(request)
        if request.args.get("cursor"):
            query["cursor"] = request.args["cursor"]
        if request.args.get("limit", "").isdigit():
            query["limit"] = int(request.args["limit"])
        return self._api_read(request, "search_registered", query, staff=True)

    def on_api_personnel_export(self, request: Request) -> Response:
        return self.on_personnel_export(request)

    def _api_staff_write(self, request: Request, method: str, *args: Any) -> Response:
        actor = actor_from_account(self.require(request, kinds=STAFF_KINDS))
        self.require_api_csrf(request)
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(self._pn(request, method, actor, *args, payload), 200)

    def on_api_personnel_appeal_close(self, request: Request, appeal_id: str) -> Response:
        return self._api_staff_write(request, "close_appeal", appeal_id)

    def on_api_personnel_appeals(self, request: Request) -> Response:
        if request.method == "POST":
            return self._api_staff_write(request, "raise_anomaly")
        query = {"status": request.args["status"]} if request.args.get("status") else {}
        return self._api_read(request, "list_appeals", query, staff=True)

    def on_api_personnel_appeal_answer(self, request: Request, appeal_id: str) -> Response:
        return self._api_write(request, "answer_appeal", appeal_id)

    def on_api_personal_declarations(self, request: Request) -> Response:
        if request.method == "POST":
            return self._api_write(request, "new_personal_declaration", person=True, status=201)
        return json_response(self._pn(request, "my_declarations", self._person_actor(request)), 200)

    def on_api_personal_certificates(self, request: Request) -> Response:
        return json_response(self._pn(request, "my_certificates", self._person_actor(request)), 200)

    def on_api_personal_withdraw(self, request: Request, declaration_id: str) -> Response:
        return self._api_write(
            request,
            "request_withdrawal",
            declaration_id,
            person=True,
            shape=lambda p: str(p.get("reason") or ""),
        )

    def on_api_personal_transfer(self, request: Request) -> Response:
        if request.method == "GET":
            return json_response(self._pn(request, "my_transfers", self._person_actor(request)), 200)
        return self._api_write(request, "request_transfer", person=True, status=201)


def _base_of(actor: dict) -> str:
    """Where an actor's declaration pages live: the enterprise's 人员管理 or the person's own."""
    return "/personal" if actor["kind"] in PERSON_KINDS else "/personnel"


def _upload_body(payload: dict) -> dict[str, Any]:
    return api_upload(payload)
