"""The URL rules of 人员管理 (pages under /personnel and /personal, API under /api/v1/personnel)."""

from __future__ import annotations

from werkzeug.routing import Rule

from gateway.views.personnel.common import BULK_ACTIONS

ROUTES = [
    Rule("/personnel", endpoint="personnel_home", methods=["GET"]),
    Rule("/personnel/people", endpoint="personnel_people", methods=["GET"]),
    Rule("/personnel/people/new", endpoint="personnel_person_new", methods=["GET", "POST"]),
    Rule("/personnel/people/<person_id>", endpoint="personnel_person", methods=["GET"]),
    Rule("/personnel/people/<person_id>/edit", endpoint="personnel_person_edit", methods=["GET", "POST"]),
    Rule("/personnel/people/<person_id>/photo", endpoint="personnel_photo", methods=["POST"]),
    Rule(
        "/personnel/people/<person_id>/certificates",
        endpoint="personnel_record_new",
        methods=["GET", "POST"],
    ),
    Rule("/personnel/certificates/<certificate_id>", endpoint="personnel_certificate", methods=["GET"]),
    Rule(
        "/personnel/certificates/<certificate_id>/supplement",
        endpoint="personnel_record_edit",
        methods=["GET", "POST"],
    ),
    Rule(
        "/personnel/certificates/<certificate_id>/transfer-out",
        endpoint="personnel_transfer_out",
        methods=["POST"],
    ),
    Rule("/personnel/types/<type_code>", endpoint="personnel_type", methods=["GET"]),
    Rule("/personnel/types/<type_code>/<kind>", endpoint="personnel_start", methods=["GET", "POST"]),
    Rule("/personnel/declarations", endpoint="personnel_declarations", methods=["GET"]),
    Rule("/personnel/declarations/bulk", endpoint="personnel_bulk", methods=["POST"]),
    Rule("/personnel/declarations/<declaration_id>", endpoint="personnel_declaration", methods=["GET"]),
    Rule("/personnel/declarations/<declaration_id>/save", endpoint="personnel_save", methods=["POST"]),
    Rule(
        "/personnel/declarations/<declaration_id>/attachment",
        endpoint="personnel_attachment",
        methods=["POST"],
    ),
    Rule(
        "/personnel/declarations/<declaration_id>/do/<action>",
        endpoint="personnel_action",
        methods=["POST"],
    ),
    Rule("/personnel/declarations/<declaration_id>/history", endpoint="personnel_history",
        methods=["GET"]),
    Rule(
        "/personnel/declarations/<declaration_id>/qualification",
        endpoint="personnel_qualification",
        methods=["POST"],
    ),
    Rule("/personnel/declarations/<declaration_id>/print", endpoint="personnel_print", methods=["GET"]),
    Rule(
        "/personnel/batches/<batch_id>/<any(report, delete, remove):action>",
        endpoint="personnel_batch_action",
        methods=["POST"],
    ),
    Rule("/personnel/commitment", endpoint="personnel_commitment", methods=["GET", "POST"]),
    Rule("/personnel/files/<attachment_id>", endpoint="personnel_file", methods=["GET"]),
    Rule("/personnel/transfers", endpoint="personnel_transfers", methods=["GET"]),
    Rule(
        "/personnel/transfers/<transfer_id>/<any(accept, return, cancel):action>",
        endpoint="personnel_transfer_action",
        methods=["POST"],
    ),
    Rule("/personnel/requests", endpoint="personnel_requests", methods=["GET", "POST"]),
    Rule("/personnel/expiring", endpoint="personnel_expiring", methods=["GET"]),
    Rule("/personnel/registered", endpoint="personnel_registered", methods=["GET"]),
    Rule("/personnel/registered/export", endpoint="personnel_export", methods=["GET"]),
    Rule("/personnel/appeals", endpoint="personnel_appeals", methods=["GET"]),
    Rule("/personnel/appeals/<appeal_id>/answer", endpoint="personnel_appeal_answer", methods=["POST"]),
    Rule("/personnel/appeals/raise", endpoint="personnel_appeal_raise", methods=["POST"]),
    Rule("/personnel/appeals/<appeal_id>/close", endpoint="personnel_appeal_close", methods=["POST"]),
    Rule("/personal/declarations", endpoint="personal_declarations", methods=["GET"]),
    Rule(
        "/personal/declarations/<declaration_id>/withdraw", endpoint="personal_withdraw", methods=["POST"]
    ),
    Rule("/personal/transfer", endpoint="personal_transfer", methods=["GET", "POST"]),
    Rule("/personal/start/<type_code>/<kind>", endpoint="personal_start", methods=["GET", "POST"]),
    Rule("/personal/declarations/<declaration_id>", endpoint="personal_declaration", methods=["GET"]),
    Rule("/personal/declarations/<declaration_id>/save", endpoint="personal_save", methods=["POST"]),
    Rule(
        "/personal/declarations/<declaration_id>/attachment",
        endpoint="personal_attachment",
        methods=["POST"],
    ),
    Rule(
        "/personal/declarations/<declaration_id>/do/<any(delete, redeclare):action>",
        endpoint="personal_action",
        methods=["POST"],
    ),
    Rule("/api/v1/personnel/catalogue", endpoint="api_personnel_catalogue", methods=["GET"]),
    Rule("/api/v1/personnel/people", endpoint="api_personnel_people", methods=["GET", "POST"]),
    Rule(
        "/api/v1/personnel/people/<person_id>", endpoint="api_personnel_person", methods=["GET", "PATCH"]
    ),
    Rule("/api/v1/personnel/people/<person_id>/photo", endpoint="api_personnel_photo", methods=["POST"]),
    Rule(
        "/api/v1/personnel/people/<person_id>/certificates",
        endpoint="api_personnel_record_new",
        methods=["POST"],
    ),
    Rule(
        "/api/v1/personnel/certificates/<certificate_id>",
        endpoint="api_personnel_certificate",
        methods=["GET", "PATCH"],
    ),
    Rule(
        "/api/v1/personnel/declarations", endpoint="api_personnel_declarations", methods=["GET", "POST"]
    ),
    Rule(
        "/api/v1/personnel/declarations/<declaration_id>",
        endpoint="api_personnel_declaration",
        methods=["GET", "PATCH"],
    ),
    Rule(
        "/api/v1/personnel/declarations/<declaration_id>/attachments/<code>",
        endpoint="api_personnel_attachment",
        methods=["POST"],
    ),
    Rule(
        "/api/v1/personnel/declarations/<declaration_id>/"
        '<any("resubmit", "cancel", "withdrawal-decision", "correct-qualification"):action>',
        endpoint="api_personnel_action",
        methods=["POST"],
    ),
    Rule(
        f"/api/v1/personnel/bulk/<any({', '.join(BULK_ACTIONS)}):action>",
        endpoint="api_personnel_bulk",
        methods=["POST"],
    ),
    Rule("/api/v1/personnel/attachments/<attachment_id>", endpoint="api_personnel_file", methods=["GET"]),
    Rule("/api/v1/personnel/batches", endpoint="api_personnel_batches", methods=["GET", "POST"]),
    Rule("/api/v1/personnel/batches/<batch_id>", endpoint="api_personnel_batch", methods=["GET"]),
    Rule(
        "/api/v1/personnel/batches/<batch_id>/<any(add, remove):action>",
        endpoint="api_personnel_batch_action",
        methods=["POST"],
    ),
    Rule("/api/v1/personnel/transfers", endpoint="api_personnel_transfers", methods=["GET", "POST"]),
    Rule(
        "/api/v1/personnel/transfers/decision",
        endpoint="api_personnel_transfer_decision",
        methods=["POST"],
    ),
    Rule(
        "/api/v1/personnel/transfers/<transfer_id>/<any(accept, return, cancel):action>",
        endpoint="api_personnel_transfer_action",
        methods=["POST"],
    ),
    Rule("/api/v1/personnel/re-registration", endpoint="api_personnel_re_registration", methods=["GET"]),
    Rule("/api/v1/personnel/expiring", endpoint="api_personnel_expiring", methods=["GET"]),
    Rule("/api/v1/personnel/registered", endpoint="api_personnel_registered", methods=["GET"]),
    Rule("/api/v1/personnel/registered/export", endpoint="api_personnel_export", methods=["GET"]),
    Rule("/api/v1/personnel/appeals", endpoint="api_personnel_appeals", methods=["GET", "POST"]),
    Rule(
        "/api/v1/personnel/appeals/<appeal_id>/close",
        endpoint="api_personnel_appeal_close",
        methods=["POST"],
    ),
    Rule(
        "/api/v1/personnel/appeals/<appeal_id>/answer",
        endpoint="api_personnel_appeal_answer",
        methods=["POST"],
    ),
    Rule(
        "/api/v1/personnel/me/declarations", endpoint="api_personal_declarations", methods=["GET", "POST"]
    ),
    Rule("/api/v1/personnel/me/certificates", endpoint="api_personal_certificates", methods=["GET"]),
    Rule(
        "/api/v1/personnel/me/declarations/<declaration_id>/withdrawal",
        endpoint="api_personal_withdraw",
        methods=["POST"],
    ),
    Rule("/api/v1/personnel/me/transfers", endpoint="api_personal_transfer", methods=["GET", "POST"]),
]
