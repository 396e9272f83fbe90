"""The URL rules of 企业信息 (pages under /enterprise, registration step 2, the API)."""

from __future__ import annotations

from werkzeug.routing import Rule

from gateway.views.enterprise.common import SECTIONS

ROUTES = [
    Rule("/enterprise", endpoint="enterprise_basic", methods=["GET", "POST"]),
    Rule("/enterprise/changes", endpoint="enterprise_changes", methods=["GET", "POST"]),
    Rule("/enterprise/organisations", endpoint="enterprise_organisations", methods=["GET"]),
    Rule(f"/enterprise/<{SECTIONS}:section>", endpoint="enterprise_section", methods=["GET"]),
    Rule(
        f"/enterprise/<{SECTIONS}:section>/new", endpoint="enterprise_record_new", methods=["GET", "POST"]
    ),
    Rule(
        f"/enterprise/<{SECTIONS}:section>/<record_id>/edit",
        endpoint="enterprise_record_edit",
        methods=["GET", "POST"],
    ),
    Rule(
        f"/enterprise/<{SECTIONS}:section>/<record_id>/delete",
        endpoint="enterprise_record_delete",
        methods=["POST"],
    ),
    Rule("/register/enterprise", endpoint="register_enterprise", methods=["GET", "POST"]),
    Rule("/files/enterprise/<attachment_id>", endpoint="enterprise_file", methods=["GET"]),
    Rule("/api/v1/enterprise", endpoint="api_enterprise", methods=["GET", "PATCH"]),
    Rule("/api/v1/enterprise/summary", endpoint="api_enterprise_summary", methods=["GET"]),
    Rule("/api/v1/enterprise/history", endpoint="api_enterprise_history", methods=["GET"]),
    Rule(
        "/api/v1/enterprise/change-requests", endpoint="api_enterprise_changes", methods=["GET", "POST"]
    ),
    Rule("/api/v1/enterprise/attachments", endpoint="api_enterprise_attachments", methods=["POST"]),
    Rule(
        "/api/v1/enterprise/registration-profile",
        endpoint="api_registration_profile",
        methods=["GET", "PUT"],
    ),
    Rule(
        "/api/v1/enterprise/registration-profile/submit",
        endpoint="api_registration_submit",
        methods=["POST"],
    ),
    Rule(
        f"/api/v1/enterprise/<{SECTIONS}:section>",
        endpoint="api_enterprise_section",
        methods=["GET", "POST"],
    ),
    Rule(
        f"/api/v1/enterprise/<{SECTIONS}:section>/<record_id>",
        endpoint="api_enterprise_record",
        methods=["GET", "PUT", "DELETE"],
    ),
    Rule("/api/v1/enterprises/<enterprise_id>", endpoint="api_enterprise_of", methods=["GET"]),
    Rule(
        f"/api/v1/enterprises/<enterprise_id>/<{SECTIONS}:section>", endpoint="api_enterprise_of_section"
    , methods=["GET"]),
    Rule("/api/v1/organisations", endpoint="api_organisations", methods=["GET"]),
]
