"""The URL rules of 资质许可 (pages under /permits, API under /api/v1/permits, verify)."""

from __future__ import annotations

from werkzeug.routing import Rule

from gateway.views.permits.common import _API_ACTION_RULE

ROUTES = [
    Rule("/permits", endpoint="permits_home", methods=["GET"]),
    Rule("/permits/new", endpoint="permits_new", methods=["GET", "POST"]),
    Rule("/permits/applications/<application_id>", endpoint="permits_application", methods=["GET"]),
    Rule("/permits/applications/<application_id>/commitment", endpoint="permits_commitment",
        methods=["GET"]),
    Rule("/permits/applications/<application_id>/values", endpoint="permits_values", methods=["POST"]),
    Rule("/permits/applications/<application_id>/correction", endpoint="permits_correction",
         methods=["POST"]),
    Rule("/permits/applications/<application_id>/scan", endpoint="permits_scan", methods=["POST"]),
    Rule(
        "/permits/applications/<application_id>/material", endpoint="permits_material", methods=["POST"]
    ),
    Rule(
        "/permits/applications/<application_id>/do/<action>", endpoint="permits_action", methods=["POST"]
    ),
    Rule("/permits/files/<attachment_id>", endpoint="permits_file", methods=["GET"]),
    Rule("/permits/batches", endpoint="permits_batches", methods=["GET", "POST"]),
    Rule(
        "/permits/batches/<batch_id>/<any(submit, delete, add):action>",
        endpoint="permits_batch_action",
        methods=["POST"],
    ),
    Rule("/permits/mine", endpoint="permits_mine", methods=["GET"]),
    Rule("/permits/licences", endpoint="permits_licences", methods=["GET"]),
    Rule("/admin/credit", endpoint="permits_credit", methods=["GET", "POST"]),
    Rule("/admin/licences", endpoint="permits_admin_licences", methods=["GET", "POST"]),
    Rule("/verify/<token>", endpoint="verify_licence", methods=["GET"]),
    Rule("/api/v1/permits/catalogue", endpoint="api_permits_catalogue", methods=["GET"]),
    Rule("/api/v1/permits/catalogue/<type_code>", endpoint="api_permits_type", methods=["GET"]),
    Rule("/api/v1/permits/applications", endpoint="api_permits_applications", methods=["GET", "POST"]),
    Rule(
        "/api/v1/permits/applications/<application_id>",
        endpoint="api_permits_application",
        methods=["GET", "PATCH"],
    ),
    Rule(
        f"/api/v1/permits/applications/<application_id>/<{_API_ACTION_RULE}:action>",
        endpoint="api_permits_action",
        methods=["POST"],
    ),
    Rule("/api/v1/permits/applications/<application_id>/correction", endpoint="api_permits_correction",
         methods=["PUT"]),
    Rule("/api/v1/permits/catalogue/<type_code>/lanes", endpoint="api_permits_lanes", methods=["GET"]),
    Rule(
        "/api/v1/permits/applications/<application_id>/materials/<code>",
        endpoint="api_permits_material",
        methods=["POST"],
    ),
    Rule("/api/v1/permits/attachments/<attachment_id>", endpoint="api_permits_file", methods=["GET"]),
    Rule("/api/v1/permits/batches", endpoint="api_permits_batches", methods=["GET", "POST"]),
    Rule("/api/v1/permits/batches/<batch_id>", endpoint="api_permits_batch", methods=["GET"]),
    Rule(
        "/api/v1/permits/batches/<batch_id>/<any(add, remove, submit, delete):action>",
        endpoint="api_permits_batch_action",
        methods=["POST"],
    ),
    Rule("/api/v1/permits/licences", endpoint="api_permits_licences", methods=["GET"]),
    Rule("/api/v1/permits/credit", endpoint="api_permits_credit", methods=["GET", "PUT"]),
    Rule("/api/v1/verify/<token>", endpoint="api_verify_licence", methods=["GET"]),
]
