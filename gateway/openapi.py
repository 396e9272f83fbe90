"""The OpenAPI document of the JSON API, generated with apispec from marshmallow schemas.

Every view mixin (gateway/views/) lists its API operations in a class attribute
``OPENAPI_OPERATIONS``: a table of ``Op`` entries (an area package keeps its table in
``gateway/views/<area>/openapi.py``, next to its ``routes.py``). An entry names the route
("METHOD /api/v1/path/{var}"), a summary, the request and answer bodies as marshmallow schemas
(``gateway/apischemas/``), the success status and the error statuses (``ERROR_STATUS``, the
statuses of gateway/errors.py's table). ``document()`` feeds them to an ``APISpec`` with the
marshmallow plugin, which turns each schema into a component. A unit test checks that every
``/api/`` route appears in the document; the fuzz tier (tests/integration/test_api_fuzz.py)
checks the answers against it.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema
from werkzeug.routing import Rule

from gateway.apischemas.common import Error
from gateway.queries import QUERY_SCHEMAS

# A request or answer body: a marshmallow schema (class, or instance such as ``X(many=True)``),
# or, for a body that is not JSON, {content type: schema}.
Body = type[Schema] | Schema | dict[str, Any] | None

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
OK_STATUS = {200: "ok", 201: "created", 202: "accepted", 204: "no content",
             303: "redirect to a short-lived download URL"}
_PATH_VARIABLE = re.compile(r"{([^}]+)}")
_WERKZEUG_VARIABLE = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def path_param(name: str, description: str = "", enum: list[str] | tuple[str, ...] | None = None) -> dict:
    """A path parameter (every ``{name}`` of a route is one; this adds a description or choices)."""
    schema: dict[str, Any] = {"type": "string"}
    if enum is not None:
        schema["enum"] = list(enum)
    param = {"name": name, "in": "path", "required": True, "schema": schema}
    return {**param, "description": description} if description else param


def query(schema: type[Schema]) -> dict:
    """The query parameters a marshmallow schema declares (apispec expands it)."""
    return {"in": "query", "schema": schema}


def header(name: str, description: str, *, required: bool = False) -> dict:
    return {"name": name, "in": "header", "required": required, "schema": {"type": "string"},
            "description": description}


CSRF_HEADER = header("X-CSRF-Token", "the session's token (GET /api/v1/session returns it)", required=True)
IDEMPOTENCY_HEADER = header("X-Idempotency-Key", "repeating a request with the same key returns the "
                                                 "same result")


@dataclass(frozen=True)
class Op:
    """One API operation: ``Op("POST /api/v1/x/{id}", "what it does", body=In, result=Out, ...)``."""

    route: str
    summary: str
    body: Body = None
    result: Body = None
    ok: int = 200
    errors: tuple[int, ...] = (401, 503)
    csrf: bool = False
    params: tuple[dict, ...] = ()
    # other answers that are not the error body: (status, description, body or None)
    answers: tuple[tuple[int, str, Body], ...] = ()

    @property
    def method(self) -> str:
        return self.route.split(" ", 1)[0].lower()

    @property
    def path(self) -> str:
        return self.route.split(" ", 1)[1]

    def operation(self) -> dict[str, Any]:
        responses: dict[str, Any] = {str(self.ok): {"description": OK_STATUS.get(self.ok, "ok")}}
        if self.result is not None:
            responses[str(self.ok)]["content"] = _content(self.result)
        for status in self.errors:
            responses[str(status)] = {"description": ERROR_STATUS[status],
                                      "content": {"application/json": {"schema": Error}}}
        for status, description, body in self.answers:
            responses[str(status)] = {"description": description,
                                      **({"content": _content(body)} if body is not None else {})}
        named = {p.get("name") for p in self.params}
        params = [path_param(name) for name in _PATH_VARIABLE.findall(self.path) if name not in named]
        params += [*self.params, *([CSRF_HEADER] if self.csrf else [])]
        op: dict[str, Any] = {"summary": self.summary, "responses": responses}
        if params:
            op["parameters"] = params
        if self.body is not None:
            op["requestBody"] = {"required": True, "content": _content(self.body)}
        return op


def _content(body: Body) -> dict[str, Any]:
    if isinstance(body, dict):
        return {kind: {"schema": schema} for kind, schema in body.items()}
    return {"application/json": {"schema": body}}


def document() -> dict[str, Any]:
    """The document (a fresh copy: callers may change it)."""
    return copy.deepcopy(_document())


@functools.cache
def _document() -> dict[str, Any]:
    from gateway.views import VIEW_CLASSES  # the views import gateway helpers: import late

    plugin = MarshmallowPlugin()
    spec = APISpec(title="资质许可网上办理平台 API", version="1.0.0", openapi_version="3.0.3",
                   plugins=[plugin])
    spec.components.schema("Error", schema=Error)
    endpoints = {(route, method): rule.endpoint for views in VIEW_CLASSES for rule in views.ROUTES
                 for route, methods in [api_route(rule)] for method in methods}
    paths: dict[str, dict[str, Any]] = {}
    for views in VIEW_CLASSES:
        for entry in getattr(views, "OPENAPI_OPERATIONS", ()):
            operations = paths.setdefault(entry.path, {})
            if entry.method in operations:
                raise ValueError(f"{entry.route} is documented twice")
            operation = entry.operation()
            checked = QUERY_SCHEMAS.get(endpoints.get((entry.path, entry.method), ""))
            if checked is not None and entry.method == "get":
                _add_checked_query(operation, checked, plugin)
            operations[entry.method] = operation
    for route, operations in paths.items():
        spec.path(path=route, operations=operations)
    return spec.to_dict()


def api_route(rule: Rule) -> tuple[str, set[str]]:
    """A Werkzeug rule as the document names it: its path with {variables}, its methods."""
    methods = {m.lower() for m in (rule.methods or {"GET"})} - {"head", "options"}
    return _WERKZEUG_VARIABLE.sub(r"{\1}", rule.rule), methods or {"get"}


def _add_checked_query(operation: dict[str, Any], checked: type[Schema], plugin: MarshmallowPlugin) -> None:
    """The query parameters gateway/queries.py checks for this route (they win over the table's
    own of the same name) and its 422 invalid_query."""
    def expand(param: dict) -> list[dict]:
        if param.get("in") == "query" and "name" not in param:
            return plugin.converter.schema2parameters(param["schema"], location="query")
        return [param]

    params = {(p["name"], p["in"]): p for param in operation.get("parameters", []) for p in expand(param)}
    for param in plugin.converter.schema2parameters(checked, location="query"):
        params[(param["name"], "query")] = param
    operation["parameters"] = list(params.values())
    operation["responses"].setdefault("422", {"description": ERROR_STATUS[422],
                                              "content": {"application/json": {"schema": Error}}})
