"""The OpenAPI description of /api/v1/personnel (merged by gateway.openapi.document)."""

from __future__ import annotations

from gateway.openapi import operation, path_id, ref
from gateway.views.personnel.common import BULK_ACTIONS, PERSON_FIELDS, RECORD_FIELDS, REGISTERED_FILTERS


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
