"""The bodies of /api/v1/personnel (人员管理) as marshmallow schemas."""

from __future__ import annotations

from marshmallow import fields, validate

from gateway.apischemas.common import ApiSchema, FileUpload, Ids, obj, objects, schema, string_list, strings
from gateway.views.personnel.common import PERSON_FIELDS, RECORD_FIELDS


def _enum(*choices: str, required: bool = False) -> fields.String:
    return fields.String(required=required, validate=validate.OneOf(list(choices)))


PersonInput = schema("PersonInput", {
    **strings(*PERSON_FIELDS),
    **{name: fields.String(required=True) for name in ("name", "id_number", "mobile")},
    "id_type": _enum("resident_id", "officer_id", "police_id", "passport", required=True),
    "gender": _enum("male", "female"),
})
Certificate = schema("Certificate", {
    **strings("id", "person_id", "type_name", "certificate_kind", "class_label", *RECORD_FIELDS, "status",
              "status_label", "enterprise_id", "enterprise_name", "transfer_to", "cancelled_on",
              "reissued_on", nullable=True),
    "specialties": string_list(),
    "imported": fields.Boolean(),
    "version": fields.Integer(),
    "renewal_window": obj(allow_none=True),
})
CertificateInput = schema("CertificateInput", {
    **strings(*RECORD_FIELDS), "specialties": string_list(), "expected_version": fields.Integer()})
Person = schema("Person", {
    **strings("id", *PERSON_FIELDS, "gender_label", "id_type_label", nullable=True),
    "photo": obj(allow_none=True),
    "certificates": fields.List(fields.Nested(Certificate)),
    "declarations": objects(),
    "transfers": objects(),
})
Declaration = schema("Declaration", {
    **strings("id", "enterprise_id", "enterprise_name", "person_id", "certificate_id", "type_code",
              "type_name", "kind", "kind_label", "case_type", "status", "status_label", "origin", "level",
              "batch_id", "batch_title", "case_ref", "case_id", "review_step", "correction_deadline",
              "reported_at", "decided_at", "decision_reason", "created_at", "updated_at", nullable=True),
    "version": fields.Integer(metadata={"description": "send it back as expected_version to change it"}),
    "revision": fields.Integer(),
    "person": fields.Nested(Person),
    "certificate": fields.Nested(Certificate, allow_none=True),
    "form": obj(),
    "fields": obj("{name: {label, value}}: what review sees"),
    "inputs": string_list(),
    "attachments": objects(),
    "required_attachments": objects("{code, name, required, photo, uploaded}"),
    "correction_items": objects(),
    "withdrawal": obj(allow_none=True),
    "history": objects(),
    "allowed_actions": string_list(),
})


def _page_of(item: type, name: str) -> type:
    return schema(name, {"items": fields.List(fields.Nested(item)),
                         "next_cursor": fields.String(allow_none=True)})


PersonPage = _page_of(Person, "PersonPage")
DeclarationPage = _page_of(Declaration, "DeclarationPage")
CertificatePage = _page_of(Certificate, "CertificatePage")


class Results(ApiSchema):
    results = objects("{id, ok, status, code, message}: one per item")
    summary = fields.String()


class NewDeclaration(ApiSchema):
    type_code = fields.String(required=True)
    kind = fields.String(required=True)
    person_id = fields.String()
    person = fields.Nested(PersonInput)
    certificate_id = fields.String()
    form = obj()


class DraftForm(ApiSchema):
    form = obj(required=True)
    expected_version = fields.Integer()


class DeclarationStep(ApiSchema):
    reason = fields.String()
    agree = fields.Boolean()
    qualification_number = fields.String()
    copy = fields.Nested(FileUpload)


class Bulk(Ids):
    declaration_ids = string_list()
    batch_id = fields.String()
    reason = fields.String()
    commitment_token = fields.String()
    confirmed = fields.Boolean()
    form_key = fields.String()


class DeclarationBatch(ApiSchema):
    title = fields.String(required=True)
    declaration_ids = string_list()


class BatchDrafts(ApiSchema):
    declaration_ids = string_list()


class TransferOut(ApiSchema):
    certificate_id = fields.String(required=True)
    to_uscc = fields.String(required=True)


class TransferDecision(ApiSchema):
    ids = string_list(required=True)
    decision = _enum("consent", "refuse", required=True)
    reason = fields.String()


NewAppeal = schema("NewAppeal", {
    **strings("detail", "deadline"),
    **{name: fields.String(required=True) for name in ("enterprise_id", "person_id", "kind")}})


class AppealDecision(ApiSchema):
    outcome = _enum("uphold", "dismiss", "ask_more", required=True)
    opinion = fields.String()


class AppealAnswer(ApiSchema):
    explanation = fields.String(required=True)
    evidence = fields.List(fields.Nested(FileUpload))


PersonalDeclaration = schema("PersonalDeclaration", {
    name: fields.Raw(required=True) for name in ("type_code", "kind", "enterprise_uscc")})


class PersonalTransfer(ApiSchema):
    certificate_id = fields.String(required=True)
    direction = _enum("out", "in", required=True)
    to_uscc = fields.String()
