"""The OpenAPI document of the JSON API.

The account and health entries are here; every other view mixin (gateway/views/) describes
its own routes in class attributes ``OPENAPI_PATHS`` (path → operations) and
``OPENAPI_SCHEMAS`` (component schemas), which ``document()`` merges. A unit test checks
that every ``/api/`` route appears in the document.
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "stable machine-readable code"},
                "message": {"type": "string", "description": "zh-CN message for people"},
                "fields": {
                    "type": "object",
                    "description": "per field: a list of {code, message}",
                    "additionalProperties": {
                        "type": "array",
                        "items": {"type": "object", "properties": {
                            "code": {"type": "string"}, "message": {"type": "string"}}},
                    },
                },
            },
        }
    },
}


ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
ERROR_STATUS = {
    400: "not JSON, or a page/API request the server cannot read",
    401: "not signed in (or wrong credentials)",
    403: "signed in but not allowed (module permission, kind, missing X-CSRF-Token)",
    404: "no such resource (or not yours: existence does not leak)",
    409: "conflict with the current state",
    422: "invalid fields: error.fields lists a {code, message} per field",
    429: "too_many_attempts: too many logins, registrations or password changes from this "
         "address or on this account; Retry-After gives the seconds to wait",
    503: "a service is unavailable; nothing was changed",
}
CSRF_HEADER = {"name": "X-CSRF-Token", "in": "header", "required": True,
               "schema": {"type": "string"},
               "description": "the session's token (GET /api/v1/session returns it)"}


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def operation(summary: str, *, body: dict | str | None = None, ok: int = 200,
              result: dict | str | None = None, errors: tuple[int, ...] = (401, 503),
              csrf: bool = False, parameters: list[dict] | None = None) -> dict[str, Any]:
    """One OpenAPI operation; ``body``/``result`` are a schema or a component name."""
    def schema(value: dict | str) -> dict:
        return ref(value) if isinstance(value, str) else value

    responses: dict[str, Any] = {str(ok): {"description": "ok"}}
    if result is not None:
        responses[str(ok)]["content"] = {"application/json": {"schema": schema(result)}}
    for status in errors:
        responses[str(status)] = {"description": ERROR_STATUS[status], "content": ERROR_CONTENT}
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    params = list(parameters or [])
    if csrf:
        params.append(CSRF_HEADER)
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": schema(body)}}}
    return op


def path_id(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"},
            "description": description}


def document() -> dict[str, Any]:
    from gateway.views import VIEW_CLASSES  # the views import gateway helpers: import late

    base = _base_document()
    for views in VIEW_CLASSES:
        for path, operations in getattr(views, "OPENAPI_PATHS", {}).items():
            base["paths"].setdefault(path, {}).update(operations)
        base["components"]["schemas"].update(getattr(views, "OPENAPI_SCHEMAS", {}))
    return base


def _base_document() -> dict[str, Any]:
    error = ERROR_CONTENT
    return {
        "openapi": "3.0.3",
        "info": {"title": "资质许可网上办理平台 API", "version": "1.0.0"},
        "paths": {
            "/api/v1/accounts": {
                "post": {
                    "summary": "Register an enterprise account (step 1)",
                    "parameters": [{"name": "X-Idempotency-Key", "in": "header",
                                    "required": False, "schema": {"type": "string"},
                                    "description": "repeating a request with the same key "
                                                   "returns the same account"}],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/RegisterAccount"}}}},
                    "responses": {
                        "201": {"description": "created", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Account"}}}},
                        "400": {"description": "not JSON", "content": error},
                        "422": {"description": "invalid fields", "content": error},
                        "429": {"description": ERROR_STATUS[429], "content": error},
                        "503": {"description": "service unavailable", "content": error},
                    },
                }
            },
            "/api/v1/messages": {
                "get": {
                    "summary": "The signed-in account's messages (我的消息)",
                    "responses": {"200": {"description": "messages"},
                                  "401": {"description": "not signed in", "content": error}},
                }
            },
            "/healthz": {"get": {"summary": "Health of all six services",
                                 "responses": {"200": {"description": "all healthy"},
                                               "503": {"description": "degraded"}}}},
        },
        "components": {
            "schemas": {
                "Error": ERROR_SCHEMA,
                "RegisterAccount": {
                    "type": "object",
                    "required": ["uscc", "contact_name", "contact_mobile", "email", "password"],
                    "properties": {
                        "uscc": {"type": "string", "description": "18 chars, GB 32100 check"},
                        "contact_name": {"type": "string"},
                        "contact_mobile": {"type": "string", "pattern": "^1[3-9]\\d{9}$"},
                        "email": {"type": "string", "format": "email"},
                        "password": {"type": "string", "minLength": 8},
                    },
                },
                "Account": {
                    "type": "object",
                    "properties": {k: {"type": "string"} for k in (
                        "id", "uscc", "contact_name", "contact_mobile", "email", "status",
                        "created_at")},
                },
            }
        },
    }
