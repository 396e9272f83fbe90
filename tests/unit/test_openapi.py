"""Every JSON API route is in the OpenAPI document, with each of its methods."""

import re

from gateway.openapi import document
from gateway.views import VIEW_CLASSES

WERKZEUG_VARIABLE = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def api_routes():
    for views in VIEW_CLASSES:
        for rule in views.ROUTES:
            if rule.rule.startswith("/api/v1/"):
                methods = {m.lower() for m in (rule.methods or {"GET"})} - {"head", "options"}
                yield WERKZEUG_VARIABLE.sub(r"{\1}", rule.rule), methods or {"get"}


def test_every_api_route_and_method_is_documented():
    paths = document()["paths"]
    missing = [f"{method.upper()} {path}" for path, methods in api_routes()
               for method in sorted(methods) if method not in paths.get(path, {})]
    assert missing == []


def test_every_schema_reference_resolves():
    doc = document()
    names = set(doc["components"]["schemas"])
    refs = set(re.findall(r"#/components/schemas/(\w+)", str(doc)))
    assert refs - names == set()


def test_the_checker_sees_routes():
    assert ("/api/v1/sub-accounts/{account_id}", {"patch"}) in list(api_routes())
