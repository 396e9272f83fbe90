"""The OpenAPI description of /api/v1/review and the enterprise's /api/v1/my."""

from __future__ import annotations

from typing import Any

from gateway.views.review.common import QUEUE_ARGS

_ID = {"type": "string"}
_OBJ = {"type": "object"}


def _op(summary: str, body: str | None = None, ok: str = "200") -> dict[str, Any]:
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    operation: dict[str, Any] = {
        "summary": summary,
        "tags": ["review"],
        "responses": {
            ok: {"description": "ok", "content": {"application/json": {"schema": _OBJ}}},
            "401": {"description": "not signed in", "content": error},
            "403": {"description": "not allowed (audited)", "content": error},
            "404": {"description": "no such case", "content": error},
            "409": {"description": "claimed by someone else / changed", "content": error},
            "422": {"description": "invalid fields or action", "content": error},
        },
    }
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}},
        }
    return operation


def _path_param(name: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": _ID}]


OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/review/cases": {
        "get": {
            **_op("The reviewer's desk queue (keyset pages)"),
            "parameters": [
                {"name": n, "in": "query", "required": False, "schema": _ID} for n in QUEUE_ARGS
            ],
        }
    },
    "/api/v1/review/cases/{case_id}": {
        "get": {
            **_op("A case: fields, attachments, diff, history, clock"),
            "parameters": _path_param("case_id"),
        }
    },
    **{
        f"/api/v1/review/cases/{{case_id}}/{op}": {
            "post": {**_op(summary, body), "parameters": _path_param("case_id")}
        }
        for op, summary, body in (
            ("claim", "Claim a case (exactly one of racing reviewers wins)", None),
            ("release", "Release a claimed case", None),
            ("assign", "Assign / reassign to a reviewer of the same desk", "ReviewAssign"),
            (
                "actions",
                "An opinion: accept / approve / forward / reject / correction / rectification / return",
                "ReviewAction",
            ),
            ("extension", "Extend the statutory time limit with a reason", "ReviewExtension"),
            ("rectification", "Close or escalate a rectification", "ReviewResolveRectification"),
        )
    },
    "/api/v1/review/batch": {
        "post": _op("Approve / forward / return many cases; a result per item", "ReviewBatch")
    },
    "/api/v1/review/workload": {"get": _op("Open cases per reviewer of the desk (admins: per desk); "
                                           "done per reviewer and desk in ?from=&to= (dates), with "
                                           "the average handling time against the legal limit")},
    "/api/v1/review/delegations": {
        "get": _op("Delegations involving me (admins: my desk)"),
        "post": _op("Delegate my cases to a colleague between two dates", "ReviewDelegation", "201"),
    },
    "/api/v1/review/delegations/{delegation_id}": {
        "delete": {**_op("Revoke a delegation"), "parameters": _path_param("delegation_id")}
    },
    "/api/v1/review/campaigns": {
        "get": _op("Self-inspection campaigns (admins)"),
        "post": _op("Start a self-inspection campaign (admins)", "ReviewCampaign", "201"),
    },
    "/api/v1/review/my-cases": {"get": _op("The enterprise's review cases with their clocks")},
    "/api/v1/review/my-cases/{case_key}/history": {
        "get": {
            **_op("审核历史 and 跟踪 of one case (case id or case_ref)"),
            "parameters": _path_param("case_key"),
        }
    },
    "/api/v1/review/todos": {"get": _op("我的待办: corrections, rectifications, self-inspections")},
    "/api/v1/review/attachments/{attachment_id}": {
        "get": {
            "summary": "Download 整改 evidence or a 自查 material (303 to a short-lived URL)",
            "tags": ["review"],
            "parameters": _path_param("attachment_id"),
            "responses": {
                "303": {"description": "redirect to the presigned download URL"},
                "404": {
                    "description": "no such attachment, or not yours / not your jurisdiction",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            },
        }
    },
    "/api/v1/review/rectifications/{rect_id}/evidence": {
        "post": {
            **_op("Submit rectification evidence", "ReviewEvidence"),
            "parameters": _path_param("rect_id"),
        }
    },
    "/api/v1/review/self-inspections/{target_id}": {
        "get": {**_op("A self-inspection to do"), "parameters": _path_param("target_id")},
        "post": {
            **_op("Submit a self-inspection (missing required items refused)", "ReviewSelfInspection"),
            "parameters": _path_param("target_id"),
        },
    },
}
OPENAPI_SCHEMAS: dict[str, Any] = {
    "ReviewAssign": {"type": "object", "required": ["reviewer_id"], "properties": {"reviewer_id": _ID}},
    "ReviewAction": {
        "type": "object",
        "required": ["action"],
        "properties": {
            "action": {
                "type": "string",
                "enum": [
                    "accept",
                    "approve",
                    "forward",
                    "reject",
                    "correction",
                    "rectification",
                    "return",
                ],
            },
            "comment": _ID,
            "deadline": {"type": "string", "format": "date"},
            "expected_version": {"type": "integer"},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "target": {"type": "string", "enum": ["field", "attachment"]},
                        "name": _ID,
                        "reason": _ID,
                    },
                },
            },
            "rectification_items": {
                "type": "array",
                "items": {"type": "object", "properties": {"name": _ID, "requirement": _ID}},
            },
        },
    },
    "ReviewExtension": {
        "type": "object",
        "required": ["days", "reason"],
        "properties": {"days": {"type": "integer", "minimum": 1, "maximum": 30}, "reason": _ID},
    },
    "ReviewResolveRectification": {
        "type": "object",
        "required": ["outcome"],
        "properties": {"outcome": {"type": "string", "enum": ["close", "escalate"]}, "comment": _ID},
    },
    "ReviewBatch": {
        "type": "object",
        "required": ["case_ids", "action"],
        "properties": {
            "case_ids": {"type": "array", "items": _ID},
            "action": {"type": "string", "enum": ["approve", "forward", "return"]},
            "comment": _ID,
        },
    },
    "ReviewDelegation": {
        "type": "object",
        "required": ["to_reviewer", "starts_on", "ends_on"],
        "properties": {
            "to_reviewer": _ID,
            "from_reviewer": _ID,
            "starts_on": {"type": "string", "format": "date"},
            "ends_on": {"type": "string", "format": "date"},
            "reason": _ID,
        },
    },
    "ReviewCampaign": {
        "type": "object",
        "required": ["business_type", "title", "form", "deadline", "targets"],
        "properties": {
            "business_type": _ID,
            "title": _ID,
            "deadline": {"type": "string", "format": "date"},
            "form": {"type": "array", "items": _OBJ},
            "targets": {"type": "array", "items": _OBJ},
        },
    },
    "ReviewUpload": {
        "type": "object",
        "required": ["content_b64"],
        "properties": {"filename": _ID, "content_b64": {"type": "string", "format": "byte"}},
    },
    "ReviewEvidence": {
        "type": "object",
        "required": ["statement", "evidence"],
        "properties": {
            "statement": _ID,
            "evidence": {
                "type": "array",
                "minItems": 1,
                "maxItems": 10,
                "items": {
                    "allOf": [
                        {"$ref": "#/components/schemas/ReviewUpload"},
                        {"type": "object", "properties": {"label": _ID}},
                    ]
                },
            },
        },
    },
    "ReviewSelfInspection": {
        "type": "object",
        "properties": {
            "answers": {"type": "object", "additionalProperties": _ID},
            "files": {
                "type": "object",
                "description": "form item name -> the uploaded file (items of kind attachment)",
                "additionalProperties": {"$ref": "#/components/schemas/ReviewUpload"},
            },
        },
    },
}
