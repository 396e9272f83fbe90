"""Every JSON API route is in the OpenAPI document, with each of its methods."""

import re

from gateway.openapi import api_route, document
from gateway.views import VIEW_CLASSES


def api_routes():
    for views in VIEW_CLASSES:
        for rule in views.ROUTES:
            if rule.rule.startswith("/api/v1/"):
                yield api_route(rule)


def test_every_api_route_and_method_is_documented():
    paths = document()["paths"]
    missing = [f"{method.upper()} {path}" for path, methods in api_routes()
               for method in sorted(methods) if method not in paths.get(path, {})]
    assert missing == []


def test_every_documented_operation_is_a_route():
    """The tables (gateway/views/*/openapi.py, OPENAPI_OPERATIONS) name routes by hand: a typo
    would document a path nobody serves and leave the real one out."""
    routes = {(path, method) for path, methods in api_routes() for method in methods}
    documented = {(path, method) for path, ops in document()["paths"].items() for method in ops
                  if path.startswith("/api/v1/")}
    assert documented - routes == set()


def test_the_document_is_built_without_clashing_schema_names():
    """Two marshmallow schemas of one class name would become X and X1 (apispec only warns)."""
    import warnings

    from gateway.openapi import _document

    _document.cache_clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        doc = _document()
    assert {"Error", "Enterprise", "Declaration", "PermitApplication", "MessageList", "Todo"} \
        <= set(doc["components"]["schemas"])


def test_the_query_checks_of_gateway_queries_are_documented():
    """A list route's query schema (gateway/queries.py, checked before the view) is its documented
    query parameters, with the 422 its refusal answers."""
    operation = document()["paths"]["/api/v1/permits/applications"]["get"]
    params = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert params["state_group"]["enum"] == ["pending", "submitted", "all"]
    assert "422" in operation["responses"]
    queue = {p["name"]: p["schema"] for p in document()["paths"]["/api/v1/review/cases"]["get"]["parameters"]}
    assert queue["limit"] == {"type": "integer", "minimum": 1, "maximum": 200}
    assert "enterprise" in queue  # the table's own parameter stays


def test_every_schema_reference_resolves():
    doc = document()
    names = set(doc["components"]["schemas"])
    refs = set(re.findall(r"#/components/schemas/(\w+)", str(doc)))
    assert refs - names == set()


def test_the_checker_sees_routes():
    assert ("/api/v1/sub-accounts/{account_id}", {"patch"}) in list(api_routes())


def json_schema(openapi_schema, components):
    """An OpenAPI 3.0 schema as JSON Schema: $refs inlined, ``nullable`` as a null type."""
    if isinstance(openapi_schema, list):
        return [json_schema(item, components) for item in openapi_schema]
    if not isinstance(openapi_schema, dict):
        return openapi_schema
    if "$ref" in openapi_schema:
        return json_schema(components[openapi_schema["$ref"].rsplit("/", 1)[1]], components)
    out = {k: json_schema(v, components) for k, v in openapi_schema.items() if k != "nullable"}
    if openapi_schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


def conforms(value, name):
    import jsonschema_rs

    components = document()["components"]["schemas"]
    validator = jsonschema_rs.validator_for(json_schema(components[name], components))
    return [error.message for error in validator.iter_errors(value)]


def test_a_new_enterprise_as_the_service_answers_it_conforms_to_the_document():
    """Issue 14 item 7: a draft enterprise (nothing filled in yet) answered null where the document
    said string, and numbers (注册资本, 净资产) where it said string."""
    import uuid
    from datetime import date

    from services.enterprise.models import Enterprise
    from services.enterprise.usecases.views import enterprise_view

    row = Enterprise(id=uuid.uuid4(), uscc="911501003334174285", profile_status="draft",
                     records_version=0, imported=False, needs_completion=False)
    view = {**enterprise_view(row), "files": {}, "pending_change_request": None}
    assert conforms(view, "Enterprise") == []
    row.net_assets_wan, row.registered_capital_wan, row.established_on = 3200.5, 5000.0, date(2008, 5, 1)
    row.business_scope, row.region_code = "电力设施承装", "150105"
    assert conforms(enterprise_view(row), "Enterprise") == []


def test_unread_messages_and_open_todos_conform_to_the_document():
    message = {"id": "m1", "title": "t", "body": "b", "link": None, "created_at": "2026-12-06T00:00:00Z",
               "read_at": None}
    assert conforms({"messages": [message], "unread": 1, "todos_open": 0}, "MessageList") == []
    todo = {"id": "t1", "kind": "k", "title": "t", "created_at": "2026-12-06T00:00:00Z", "subject_ref": None,
            "body": None, "link": None, "due_date": None, "read_at": None, "done_at": None,
            "done_reason": None}
    assert conforms(todo, "Todo") == []
