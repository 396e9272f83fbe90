"""The OpenAPI description of /api/v1/enterprise and /api/v1/organisations."""

from __future__ import annotations

from typing import Any

from gateway.openapi import ERROR_CONTENT
from gateway.views.enterprise.common import BASIC_FIELDS

OPENAPI_SCHEMAS: dict[str, Any] = {
    "Enterprise": {
        "type": "object",
        "description": "企业基本信息 as the enterprise service answers it; a field not filled in "
                       "yet is null; field_kinds says editable/locked/read_only",
        "required": ["enterprise_id", "uscc"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "enterprise_id": {"type": "string", "format": "uuid"},
            "uscc": {"type": "string"},
            **{k: {"type": "string", "nullable": True} for k in BASIC_FIELDS
               if k not in ("registered_capital_wan", "net_assets_wan", "established_on",
                            "parent_enterprise_id")},
            "registered_capital_wan": {"type": "number", "nullable": True, "description": "万元"},
            "net_assets_wan": {"type": "number", "nullable": True, "description": "万元"},
            "established_on": {"type": "string", "format": "date", "nullable": True},
            "parent_enterprise_id": {"type": "string", "format": "uuid", "nullable": True},
            "enterprise_type_label": {"type": "string"},
            "region_label": {"type": "string"},
            "profile_status": {"type": "string"},
            "profile_submitted_at": {"type": "string", "format": "date-time", "nullable": True},
            "updated_at": {"type": "string", "format": "date-time", "nullable": True},
            "records_version": {"type": "integer"},
            "imported": {"type": "boolean"},
            "needs_completion": {"type": "boolean"},
            "field_kinds": {"type": "object", "additionalProperties": {
                "type": "string", "enum": ["editable", "locked", "read_only"]}},
            "files": {"type": "object", "description": "business_licence / legal_rep_id → file"},
            "pending_change_request": {"type": "object", "nullable": True},
        },
    },
    "EnterpriseUpdate": {
        "type": "object",
        "description": "企业基本信息 fields to save; numbers and dates may be sent as text",
        "properties": {
            **{k: {"type": "string"} for k in BASIC_FIELDS},
            "files": {"type": "object", "description": "purpose → {filename, content_b64}"},
        },
    },
    "EnterpriseRecord": {
        "type": "object",
        "description": "a staff person, project, equipment or shareholder",
    },
    "RecordList": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/EnterpriseRecord"}},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "summary": {"description": "人员汇总 / 业绩汇总 / 股权合计"},
        },
    },
    "ChangeRequest": {
        "type": "object",
        "properties": {
            "changes": {"type": "object", "description": "locked field → new value"},
            "reason": {"type": "string"},
        },
    },
    "Upload": {
        "type": "object",
        "required": ["purpose", "file"],
        "properties": {
            "purpose": {
                "type": "string",
                "enum": [
                    "business_licence",
                    "legal_rep_id",
                    "staff_document",
                    "project_acceptance",
                    "equipment_proof",
                ],
            },
            "owner_id": {"type": "string"},
            "file": {
                "type": "object",
                "properties": {"filename": {"type": "string"}, "content_b64": {"type": "string"}},
            },
        },
    },
}


def _op(
    summary: str,
    status: str = "200",
    body: str | None = None,
    schema: str | None = None,
    params: list[dict] | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {
            status: {
                "description": "ok",
                **(
                    {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}
                    if schema
                    else {}
                ),
            },
            "401": {"description": "not signed in", "content": ERROR_CONTENT},
            "403": {"description": "no permission / other enterprise", "content": ERROR_CONTENT},
            "404": {"description": "not found (or another enterprise's)", "content": ERROR_CONTENT},
            "422": {"description": "invalid fields", "content": ERROR_CONTENT},
        },
    }
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}},
        }
    if params:
        operation["parameters"] = params
    return operation


_SECTION_PARAM = {
    "name": "section",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": ["staff", "projects", "equipment", "shareholders"]},
}
_LIST_PARAMS = [_SECTION_PARAM] + [
    {"name": n, "in": "query", "required": False, "schema": {"type": t}}
    for n, t in (("category", "string"), ("q", "string"), ("page", "integer"), ("per_page", "integer"))
]
_ID = {"name": "record_id", "in": "path", "required": True, "schema": {"type": "string"}}
_EID = {"name": "enterprise_id", "in": "path", "required": True, "schema": {"type": "string"}}
OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/enterprise": {
        "get": _op("The signed-in enterprise's basic info", schema="Enterprise"),
        "patch": _op(
            "Change directly editable fields (locked ones → 422 locked)",
            body="EnterpriseUpdate",
            schema="Enterprise",
        ),
    },
    "/api/v1/enterprise/summary": {"get": _op("人员汇总, 业绩汇总, equipment and shareholding totals")},
    "/api/v1/enterprise/history": {"get": _op("变更记录: who, when, field, old → new")},
    "/api/v1/enterprise/change-requests": {
        "get": _op("变更申请 of this enterprise"),
        "post": _op(
            "File a change request of locked fields (a name change is refused while cases are open)",
            "201",
            body="ChangeRequest",
        ),
    },
    "/api/v1/enterprise/attachments": {
        "post": _op("Upload a checked attachment (PDF/image by content)", "201", body="Upload")
    },
    "/api/v1/enterprise/registration-profile": {
        "get": _op("Registration step 2: the saved enterprise info", schema="Enterprise"),
        "put": _op("Registration step 2: save a draft (partial allowed)", body="EnterpriseUpdate"),
    },
    "/api/v1/enterprise/registration-profile/submit": {
        "post": _op("Registration step 2: submit (complete, both PDFs)")
    },
    "/api/v1/enterprise/{section}": {
        "get": _op("List a section (paginated, 查询 with q)", schema="RecordList", params=_LIST_PARAMS),
        "post": _op("Add a record", "201", body="EnterpriseRecord", params=[_SECTION_PARAM]),
    },
    "/api/v1/enterprise/{section}/{record_id}": {
        "get": _op("One record", schema="EnterpriseRecord", params=[_SECTION_PARAM, _ID]),
        "put": _op("Change a record", body="EnterpriseRecord", params=[_SECTION_PARAM, _ID]),
        "delete": _op("Delete a record (a licence holder's 技术负责人 / 安全负责人: files a 人员离职申请 "
                      "for review instead and answers {pending, approval, case_ref})",
                      params=[_SECTION_PARAM, _ID]),
    },
    "/api/v1/enterprises/{enterprise_id}": {
        "get": _op(
            "An enterprise's basic info (itself, reviewers, admins; audited)",
            schema="Enterprise",
            params=[_EID],
        )
    },
    "/api/v1/enterprises/{enterprise_id}/{section}": {
        "get": _op(
            "An enterprise's section (itself, reviewers, admins; audited)",
            schema="RecordList",
            params=[_EID, *_LIST_PARAMS],
        )
    },
    "/api/v1/organisations": {
        "get": _op(
            "上级单位 fuzzy search by name",
            params=[{"name": "q", "in": "query", "required": True, "schema": {"type": "string"}}],
        )
    },
}
