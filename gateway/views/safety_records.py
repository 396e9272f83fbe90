"""安全生产事故及行政处罚记录 (issue 15 item 10): admins record, for a 安全生产许可证 holder, each
production-safety accident and each work-safety administrative penalty the authorities report;
permits refuses 不再审查延期 while one falls in the licence's period. Reviewers read the list."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate
from werkzeug.routing import Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from gateway.apischemas.common import ApiSchema, text
from gateway.http import INVALID_JSON, json_body, json_response
from gateway.openapi import Op
from gateway.views.forms import flash
from services.common.errors import ValidationFailed

STAFF = ("reviewer", "admin")
KINDS = [("accident", "生产安全事故"), ("penalty", "安全生产违法行为行政处罚")]


class SafetyRecord(ApiSchema):
    licence_number = text("安全生产许可证号", required=True)
    kind = fields.String(required=True, validate=validate.OneOf([k for k, _ in KINDS]))
    occurred_on = fields.Date(required=True)
    deaths = fields.Integer(validate=validate.Range(min=0))
    summary = fields.String(required=True)
FIELDS = ("licence_number", "kind", "occurred_on", "deaths", "summary")


def form_payload(form: Any) -> dict[str, Any]:
    """The page's form as permits' record_safety payload (deaths blank: 0)."""
    payload: dict[str, Any] = {k: (form.get(k) or "").strip() for k in FIELDS}
    payload["deaths"] = payload["deaths"] or "0"
    return payload


class SafetyRecordViews:
    ROUTES = [
        Rule("/admin/safety-records", endpoint="safety_records", methods=["GET", "POST"]),
        Rule("/api/v1/permits/safety-records", endpoint="api_safety_records", methods=["GET", "POST"]),
    ]
    OPENAPI_OPERATIONS = [
        Op("GET /api/v1/permits/safety-records", "Safety records (accidents, work-safety penalties) of "
           "安全生产许可证 holders (reviewers and admins)", errors=(401, 403, 503)),
        Op("POST /api/v1/permits/safety-records", "Record an accident or a penalty against a 安全生产许可证 "
           "(admins; audited). 不再审查延期 is then refused (409 fatal_accident_in_period / "
           "safety_penalty_in_period) while one falls in the licence's period", body=SafetyRecord, ok=201,
           csrf=True, errors=(400, 401, 403, 422, 503)),
    ]

    def on_safety_records(self, request: Request) -> Response:
        actor = self.actor_for_rpc(request, kinds=STAFF)  # type: ignore[attr-defined]
        errors: dict = {}
        status, form = 200, {}
        if request.method == "POST":
            form = form_payload(request.form)
            try:
                self.clients(request).permits.record_safety(actor, form)  # type: ignore[attr-defined]
                flash(request, "记录已保存；有效期内有死亡事故或行政处罚的企业不能办理不再审查延期。")
                return redirect("/admin/safety-records", code=303)
            except ValidationFailed as exc:
                errors, status = exc.fields, 422
        records = self.clients(request).permits.safety_records(actor)  # type: ignore[attr-defined]
        return self.render(request, "safety_records.html", status=status,  # type: ignore[attr-defined]
                           records=records, errors=errors, form=form, kinds=KINDS,
                           is_admin=actor.get("kind") == "admin")

    def on_api_safety_records(self, request: Request) -> Response:
        actor = self.actor_for_rpc(request, kinds=STAFF)  # type: ignore[attr-defined]
        if request.method == "GET":
            return json_response(self.clients(request).permits.safety_records(actor), 200)  # type: ignore[attr-defined]
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(self.clients(request).permits.record_safety(actor, payload), 201)  # type: ignore[attr-defined]
