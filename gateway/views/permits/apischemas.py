"""The bodies of /api/v1/permits and /api/v1/verify (资质许可) as marshmallow schemas."""

from __future__ import annotations

from marshmallow import fields, validate

from gateway.apischemas.common import ApiSchema, obj, objects, schema, string_list, strings, text


class PermitItem(ApiSchema):
    category = fields.String()
    grade = fields.String()


class PermitDraft(ApiSchema):
    type_code = fields.String(required=True)
    transaction_kind = fields.String(load_default="new")
    items = fields.List(fields.Nested(PermitItem), required=True)
    lane = fields.String(validate=validate.OneOf(["normal", "fast_track", "free_trade_zone"]))
    nature = fields.String()
    submitter = fields.String()
    original_licence_id = fields.String()
    values = obj()
    batch_id = fields.String()


PermitApplication = schema("PermitApplication", {
    **strings("id", "number", "enterprise_id", "type_code", "type_name", "transaction_kind",
              "transaction_label", "selection", "lane", "state", "state_label", "case_ref", "submitted_at",
              "form_attachment_id", "signed_scan_id", "licence_id"),
    "version": fields.Integer(metadata={"description": "optimistic lock: send it back to change the "
                                                       "application"}),
    "revision": fields.Integer(),
    "items": fields.List(fields.Nested(PermitItem)),
    "precheck": obj("passed, summary, items [{key, label, status, required, actual, fix_link, details}]"),
    "allowed_actions": string_list(),
    "commitment_remaining_seconds": fields.Float(allow_none=True),
    "history": objects(),
    "attachments": objects(),
    "correction_items": objects(),
})


class DraftChange(ApiSchema):
    version = fields.Integer(required=True)
    values = obj()
    lane = fields.String()
    owed_standards = string_list()


class StepBody(ApiSchema):
    version = fields.Integer()
    reason = fields.String()
    filename = fields.String()
    content_b64 = fields.String()


class CorrectionValues(ApiSchema):
    version = fields.Integer()
    values = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class _Choice(ApiSchema):
    label = fields.String()
    available = fields.Boolean()
    reasons = string_list()


class Lane(_Choice):
    code = fields.String()


class PermitBatch(ApiSchema):
    name = fields.String(required=True)


class BatchItem(ApiSchema):
    application_id = fields.String()


class Credit(ApiSchema):
    enterprise_id = fields.String(required=True)
    rating = fields.String(required=True, validate=validate.OneOf(["good", "fair", "poor"]))
    note = fields.String()


PublicLicence = schema("PublicLicence", strings(
    "number", "certificate_name", "type_name", "authority", "holder_name", "holder_uscc", "issued_on",
    "valid_from", "valid_until", "status", "status_label"))


class LicenceAction(_Choice):
    kind = fields.String()
    path = fields.String()


class Licence(PublicLicence):
    id = fields.String()
    type_code = fields.String()
    verify_path = fields.String()
    actions = fields.List(fields.Nested(LicenceAction), metadata={
        "description": "我的换证 / 遗失补办 / 延续 for this certificate: kind, label, available, reasons "
                       "(why not), path (the page that starts it)"})
    at_risk = text("set by permits when the enterprise's records no longer meet the licence's standards: "
                   "each unmet standard with what is required and what the records show", allow_none=True)


