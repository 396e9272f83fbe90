"""The OpenAPI description of /api/v1/permits (merged by gateway.openapi.document)."""

from __future__ import annotations

from gateway.openapi import operation, path_id, ref
from gateway.views.permits.common import API_ACTIONS

APPLICATION_SCHEMA = {
    "type": "object",
    "properties": {
        **{
            k: {"type": "string"}
            for k in (
                "id",
                "number",
                "enterprise_id",
                "type_code",
                "type_name",
                "transaction_kind",
                "transaction_label",
                "selection",
                "lane",
                "state",
                "state_label",
                "case_ref",
                "submitted_at",
                "form_attachment_id",
                "signed_scan_id",
                "licence_id",
            )
        },
        "version": {
            "type": "integer",
            "description": "optimistic lock: send it back to change the application",
        },
        "revision": {"type": "integer"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"category": {"type": "string"}, "grade": {"type": "string"}},
            },
        },
        "precheck": {
            "type": "object",
            "description": "passed, summary, items [{key, label, status, required, "
            "actual, fix_link, details}]",
        },
        "allowed_actions": {"type": "array", "items": {"type": "string"}},
        "commitment_remaining_seconds": {"type": "number", "nullable": True},
        "history": {"type": "array", "items": {"type": "object"}},
        "attachments": {"type": "array", "items": {"type": "object"}},
        "correction_items": {"type": "array", "items": {"type": "object"}},
    },
}


OPENAPI_PATHS = {
    "/api/v1/permits/catalogue": {
        "get": operation(
            "Qualification and licence types: categories, grades, transaction kinds, lanes",
            result={"type": "array", "items": {"type": "object"}},
            errors=(401,),
        ),
    },
    "/api/v1/permits/catalogue/{type_code}": {
        "get": operation(
            "One type with its admission standards per grade and required attachments",
            parameters=[path_id("type_code", "e.g. hmq_maintenance, pfl_power, cip_safety")],
            result={"type": "object"},
            errors=(401, 404),
        ),
    },
    "/api/v1/permits/applications": {
        "get": operation(
            "The enterprise's applications (?state_group=pending|submitted|all, ?batched=1|0)",
            result={"type": "array", "items": ref("PermitApplication")},
            errors=(401, 403),
        ),
        "post": operation(
            "Create an application draft (X-Idempotency-Key: the same key returns the same draft)",
            body="PermitDraft",
            ok=201,
            result="PermitApplication",
            csrf=True,
            errors=(400, 401, 403, 409, 422, 503),
        ),
    },
    "/api/v1/permits/applications/{application_id}": {
        "get": operation(
            "One application with pre-check, materials, history timeline",
            parameters=[path_id("application_id", "the application")],
            result="PermitApplication",
            errors=(401, 404),
        ),
        "patch": operation(
            "Change a draft's 申报表 values / lane / owed standards (needs `version`; a stale "
            "version is 409 stale_version)",
            parameters=[path_id("application_id", "the application")],
            body={
                "type": "object",
                "required": ["version"],
                "properties": {
                    "version": {"type": "integer"},
                    "values": {"type": "object"},
                    "lane": {"type": "string"},
                    "owed_standards": {"type": "array", "items": {"type": "string"}},
                },
            },
            result="PermitApplication",
            csrf=True,
            errors=(400, 401, 403, 404, 409, 422),
        ),
    },
    "/api/v1/permits/applications/{application_id}/{action}": {
        "post": operation(
            "A lifecycle step: precheck, form (申报表 PDF), signed-scan ({filename, content_b64}), "
            "preview, "
            "commitment-open, commitment-confirm (refused until the letter was open the configured "
            "seconds), submit / resubmit (X-Idempotency-Key), withdraw / terminate ({reason}), discard. "
            "Optional `version` in the body: 409 when stale; an illegal step is 409 invalid_transition "
            "quoting the rule",
            parameters=[
                path_id("application_id", "the application"),
                {
                    **path_id("action", "the step"),
                    "schema": {"type": "string", "enum": list(API_ACTIONS)},
                },
            ],
            body={
                "type": "object",
                "properties": {
                    "version": {"type": "integer"},
                    "reason": {"type": "string"},
                    "filename": {"type": "string"},
                    "content_b64": {"type": "string"},
                },
            },
            result="PermitApplication",
            csrf=True,
            errors=(400, 401, 403, 404, 409, 422, 503),
        ),
    },
    "/api/v1/permits/applications/{application_id}/correction": {
        "put": operation(
            "补正: change the 申报表 fields review reopened (values: {field name as review named it, "
            "its value key or values.<key>: new text}); any other field is 422 not_reopened; only "
            "while the application waits for 补正 (else 409 invalid_transition); optional `version` "
            "(409 stale_version). Resubmit with POST .../resubmit",
            parameters=[path_id("application_id", "the application")],
            body={
                "type": "object",
                "required": ["values"],
                "properties": {
                    "version": {"type": "integer"},
                    "values": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
            result="PermitApplication",
            csrf=True,
            errors=(400, 401, 403, 404, 409, 422),
        ),
    },
    "/api/v1/permits/catalogue/{type_code}/lanes": {
        "get": operation(
            "The lanes (一般程序 / 容缺受理 / 自贸区) the signed-in enterprise may use for `kind` "
            "(query, default new) of this type: code, label, available, reasons (why not)",
            parameters=[path_id("type_code", "e.g. pfl_power")],
            result={"type": "array", "items": {"type": "object", "properties": {
                "code": {"type": "string"}, "label": {"type": "string"},
                "available": {"type": "boolean"},
                "reasons": {"type": "array", "items": {"type": "string"}}}}},
            errors=(401, 403, 404),
        ),
    },
    "/api/v1/permits/applications/{application_id}/materials/{code}": {
        "post": operation(
            "Upload a required material (catalogue attachment code), an owed material or a "
            "corrected attachment",
            parameters=[path_id("application_id", "the application"), path_id("code", "attachment code")],
            body={
                "type": "object",
                "required": ["content_b64"],
                "properties": {"filename": {"type": "string"}, "content_b64": {"type": "string"}},
            },
            result="PermitApplication",
            csrf=True,
            errors=(400, 401, 403, 404, 409, 422),
        ),
    },
    "/api/v1/permits/attachments/{attachment_id}": {
        "get": operation(
            "303 to a short-lived download URL of an application file or certificate",
            ok=303,
            parameters=[path_id("attachment_id", "the file")],
            errors=(401, 404),
        ),
    },
    "/api/v1/permits/batches": {
        "get": operation(
            "申报批次 with their applications",
            result={"type": "array", "items": {"type": "object"}},
            errors=(401, 403),
        ),
        "post": operation(
            "Create a batch",
            body={"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
            ok=201,
            result={"type": "object"},
            csrf=True,
            errors=(400, 401, 403, 422),
        ),
    },
    "/api/v1/permits/batches/{batch_id}": {
        "get": operation(
            "One batch",
            parameters=[path_id("batch_id", "the batch")],
            result={"type": "object"},
            errors=(401, 404),
        ),
    },
    "/api/v1/permits/batches/{batch_id}/{action}": {
        "post": operation(
            "add / remove ({application_id}); submit (X-Idempotency-Key) and delete answer "
            "{results: [{application_id, ok, code, message}]}, one per item",
            parameters=[
                path_id("batch_id", "the batch"),
                {
                    **path_id("action", "add, remove, submit or delete"),
                    "schema": {"type": "string", "enum": ["add", "remove", "submit", "delete"]},
                },
            ],
            body={"type": "object", "properties": {"application_id": {"type": "string"}}},
            result={"type": "object"},
            csrf=True,
            errors=(400, 401, 403, 404, 409),
        ),
    },
    "/api/v1/permits/licences": {
        "get": operation(
            "我的证书: the enterprise's licences with live status and, when flagged, why "
            "their standards are no longer met (at_risk)",
            result={"type": "array", "items": ref("Licence")},
            errors=(401, 403),
        ),
    },
    "/api/v1/permits/credit": {
        "get": operation(
            "The local credit register (容缺受理 eligibility; reviewers, admins)",
            result={"type": "array", "items": {"type": "object"}},
            errors=(401, 403),
        ),
        "put": operation(
            "Set an enterprise's credit (good / fair / poor; admins)",
            body={
                "type": "object",
                "required": ["enterprise_id", "rating"],
                "properties": {
                    "enterprise_id": {"type": "string"},
                    "rating": {"type": "string", "enum": ["good", "fair", "poor"]},
                    "note": {"type": "string"},
                },
            },
            result={"type": "object"},
            csrf=True,
            errors=(400, 401, 403, 422),
        ),
    },
    "/api/v1/verify/{token}": {
        "get": operation(
            "Public: a licence's non-sensitive fields and live status (the QR code's target)",
            parameters=[path_id("token", "from the certificate's QR code")],
            result="PublicLicence",
            errors=(404,),
        ),
    },
}
OPENAPI_SCHEMAS = {
    "PermitDraft": {
        "type": "object",
        "required": ["type_code", "items"],
        "properties": {
            "type_code": {"type": "string"},
            "transaction_kind": {"type": "string", "default": "new"},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"category": {"type": "string"}, "grade": {"type": "string"}},
                },
            },
            "lane": {"type": "string", "enum": ["normal", "fast_track", "free_trade_zone"]},
            "nature": {"type": "string"},
            "submitter": {"type": "string"},
            "original_licence_id": {"type": "string"},
            "values": {"type": "object"},
            "batch_id": {"type": "string"},
        },
    },
    "PermitApplication": APPLICATION_SCHEMA,
    "Licence": {"allOf": [ref("PublicLicence"), {"type": "object", "properties": {
        "id": {"type": "string"}, "type_code": {"type": "string"},
        "verify_path": {"type": "string"},
        "actions": {"type": "array", "description": "我的换证 / 遗失补办 / 延续 for this certificate: "
                    "kind, label, available, reasons (why not), path (the page that starts it)",
                    "items": {"type": "object", "properties": {
                        "kind": {"type": "string"}, "label": {"type": "string"},
                        "available": {"type": "boolean"},
                        "reasons": {"type": "array", "items": {"type": "string"}},
                        "path": {"type": "string"}}}},
        "at_risk": {"type": "string", "nullable": True,
                    "description": "set by permits when the enterprise's records no longer "
                                   "meet the licence's standards: each unmet standard with "
                                   "what is required and what the records show"}}}]},
    "PublicLicence": {
        "type": "object",
        "properties": {
            k: {"type": "string"}
            for k in (
                "number",
                "certificate_name",
                "type_name",
                "authority",
                "holder_name",
                "holder_uscc",
                "issued_on",
                "valid_from",
                "valid_until",
                "status",
                "status_label",
            )
        },
    },
}
