"""The bodies of /api/v1/enterprise and /api/v1/enterprises (企业信息) as marshmallow schemas."""

from __future__ import annotations

from marshmallow import fields, validate

from gateway.apischemas.common import ApiSchema, InlineFile, obj, schema, strings
from gateway.views.enterprise.common import BASIC_FIELDS

_TYPED = ("registered_capital_wan", "net_assets_wan", "established_on", "parent_enterprise_id")

Enterprise = schema("Enterprise", {
    "id": fields.UUID(),
    "enterprise_id": fields.UUID(required=True),
    "uscc": fields.String(required=True),
    **strings(*(k for k in BASIC_FIELDS if k not in _TYPED), nullable=True),
    "registered_capital_wan": fields.Float(allow_none=True, metadata={"description": "万元"}),
    "net_assets_wan": fields.Float(allow_none=True, metadata={"description": "万元"}),
    "established_on": fields.Date(allow_none=True),
    "parent_enterprise_id": fields.UUID(allow_none=True),
    **strings("enterprise_type_label", "region_label", "profile_status"),
    "profile_submitted_at": fields.DateTime(allow_none=True),
    "updated_at": fields.DateTime(allow_none=True),
    "records_version": fields.Integer(),
    "imported": fields.Boolean(),
    "needs_completion": fields.Boolean(),
    "field_kinds": fields.Dict(keys=fields.String(), values=fields.String(
        validate=validate.OneOf(["editable", "locked", "read_only"]))),
    "files": obj("business_licence / legal_rep_id → file"),
    "pending_change_request": obj(allow_none=True),
}, "企业基本信息 as the enterprise service answers it; a field not filled in yet is null; "
   "field_kinds says editable/locked/read_only")

EnterpriseUpdate = schema("EnterpriseUpdate", {
    **strings(*BASIC_FIELDS),
    "files": obj("purpose → {filename, content_b64}"),
}, "企业基本信息 fields to save; numbers and dates may be sent as text")


class EnterpriseRecord(ApiSchema):
    """a staff person, project, equipment or shareholder"""


class RecordList(ApiSchema):
    items = fields.List(fields.Nested(EnterpriseRecord))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    summary = fields.Raw(metadata={"description": "人员汇总 / 业绩汇总 / 股权合计"})


class ChangeRequest(ApiSchema):
    changes = obj("locked field → new value")
    reason = fields.String()


class Upload(ApiSchema):
    purpose = fields.String(required=True, validate=validate.OneOf([
        "business_licence", "legal_rep_id", "staff_document", "project_acceptance", "equipment_proof"]))
    owner_id = fields.String()
    file = fields.Nested(InlineFile, required=True)


class SectionQuery(ApiSchema):
    category = fields.String()
    q = fields.String()
    page = fields.Integer()
    per_page = fields.Integer()


class OrganisationQuery(ApiSchema):
    q = fields.String(required=True)
