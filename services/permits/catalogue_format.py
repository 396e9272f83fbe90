"""The business-type catalogue's file format: its vocabularies and the marshmallow schemas a
catalogue file is checked with (the model they load into, and the cross-reference checks, are in
``services/permits/catalogue.py``, whose docstring describes the layout)."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from services.common.vocabulary import CERTIFICATE_KINDS, STAFF_CATEGORIES

LEVELS = ("junior", "intermediate", "senior")
LEVEL_LABELS = {"junior": "初级", "intermediate": "中级", "senior": "高级"}
FINANCE_FIELDS = {"net_assets_wan": "净资产", "registered_capital_wan": "注册资本"}
STANDARD_KINDS = ("finance", "key_staff", "skilled_staff", "performance", "equipment", "any_of")
PROVENANCES = ("published", "uncertain", "plausible")
LANES = {"normal": "一般程序", "fast_track": "容缺受理", "free_trade_zone": "自贸区"}
TRANSACTION_KINDS = {
    "new": "新申请",
    "renewal": "延续",
    "renewal_no_review": "不再审查延期",  # CIP 安全生产许可证 (services/permits/safety_records.py)
    "simple_change": "简单变更",
    "complex_change": "复杂变更",
    "registration_change": "登记事项变更",
    "licence_change": "许可事项变更",
    "add_item": "增项",
    "upgrade": "升级",
    "reissue": "补证（遗失补办）",
    "replacement": "换证",
    "cancellation": "注销",
}
REVIEW_LEVELS = ("city", "province", "ministry")
# Lane names as review's case-type data spells them (services/review/data/case_types.yaml); review
# falls back to "standard" for a lane it has no limit for.
REVIEW_LANES = {"normal": "standard", "fast_track": "fast_track", "free_trade_zone": "ftz"}
FORM_TABLES = ("staff", "projects", "equipment")


class ProvenanceMixin(Schema):
    provenance = fields.String(validate=validate.OneOf(PROVENANCES))
    source = fields.String()
    note = fields.String()


class StandardSchema(ProvenanceMixin):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]*$"))
    kind = fields.String(required=True, validate=validate.OneOf(STANDARD_KINDS))
    label = fields.String()
    field = fields.String(validate=validate.OneOf(list(FINANCE_FIELDS)))
    min = fields.Float(validate=validate.Range(min=0))
    category = fields.String(validate=validate.OneOf(list(STAFF_CATEGORIES)))
    categories = fields.List(fields.String(validate=validate.OneOf(list(STAFF_CATEGORIES))))
    title_level = fields.String(validate=validate.OneOf(LEVELS))
    skill_level = fields.String(validate=validate.OneOf(LEVELS))
    certificate_kinds = fields.List(fields.String(validate=validate.OneOf(list(CERTIFICATE_KINDS))))
    min_years = fields.Integer(validate=validate.Range(min=0))
    project_categories = fields.List(fields.String())
    min_voltage_kv = fields.Float(validate=validate.Range(min=0))
    min_length_km = fields.Float(validate=validate.Range(min=0))
    min_amount_wan = fields.Float(validate=validate.Range(min=0))
    min_total_length_km = fields.Float(validate=validate.Range(min=0))
    within_years = fields.Integer(validate=validate.Range(min=1, max=50))
    equipment_kind = fields.String()
    options = fields.List(fields.Nested(lambda: StandardSchema()))

    @validates_schema
    def _kind_needs(self, data: dict[str, Any], **_: Any) -> None:
        kind = data.get("kind")
        missing: list[str] = []
        if kind == "finance":
            missing = [name for name in ("field", "min") if name not in data]
        elif kind == "key_staff":
            missing = [name for name in ("min",) if name not in data]
            if "category" not in data and not data.get("certificate_kinds"):
                raise ValidationError({"category": ["key_staff needs a category or certificate_kinds"]})
        elif kind == "skilled_staff":
            missing = [name for name in ("categories", "min") if name not in data]
        elif kind == "performance":
            missing = [name for name in ("within_years",) if name not in data]
            if "min" not in data and "min_total_length_km" not in data:
                raise ValidationError({"min": ["performance needs min (count) or min_total_length_km"]})
        elif kind == "equipment":
            missing = [name for name in ("equipment_kind", "min") if name not in data]
        elif kind == "any_of" and len(data.get("options") or []) < 2:
            raise ValidationError({"options": ["any_of needs at least two options"]})
        if missing:
            raise ValidationError({name: [f"Missing data for required field (kind {kind})."]
                                   for name in missing})
        if data.get("provenance") in ("published", "uncertain") and not data.get("source"):
            raise ValidationError({"source": ["a published or uncertain standard needs its source"]})


class GradeSchema(Schema):
    class Meta:
        unknown = RAISE

    scope = fields.String(required=True)
    max_voltage_kv = fields.Float(allow_none=True)
    standards = fields.List(fields.Nested(StandardSchema), required=True)
    extra_standards = fields.List(fields.Nested(StandardSchema), load_default=list)


class CategorySchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True)
    graded = fields.Boolean(required=True)
    grades = fields.Dict(keys=fields.String(), values=fields.Nested(GradeSchema), required=True,
                         validate=validate.Length(min=1))


class FormFieldSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True)
    label = fields.String(required=True)
    source = fields.String(required=True, validate=validate.Regexp(
        r"^(application|enterprise|finance|values)\.[a-z_]+$"))
    input = fields.Boolean(load_default=False)
    kinds = fields.List(fields.String(validate=validate.OneOf(list(TRANSACTION_KINDS))))


class FormSectionSchema(Schema):
    class Meta:
        unknown = RAISE

    code = fields.String(required=True)
    title = fields.String(required=True)
    kinds = fields.List(fields.String(validate=validate.OneOf(list(TRANSACTION_KINDS))))
    table = fields.String(validate=validate.OneOf(FORM_TABLES))
    fields_ = fields.List(fields.Nested(FormFieldSchema), data_key="fields", load_default=list)


class FormSchema(Schema):
    class Meta:
        unknown = RAISE

    title = fields.String(required=True)
    sections = fields.List(fields.Nested(FormSectionSchema), required=True)


class AttachmentSchema(Schema):
    class Meta:
        unknown = RAISE

    code = fields.String(required=True)
    name = fields.String(required=True)
    required = fields.Boolean(load_default=True)
    owable = fields.Boolean(load_default=False)
    kinds = fields.List(fields.String(validate=validate.OneOf(list(TRANSACTION_KINDS))))
    lanes = fields.List(fields.String(validate=validate.OneOf(list(LANES))))
    natures = fields.List(fields.String())
    submitters = fields.List(fields.String())
    template = fields.String()


class ReviewSchema(Schema):
    class Meta:
        unknown = RAISE

    case_type = fields.String(required=True, validate=validate.Regexp(r"^[a-z_]+\.[a-z_]+\.[a-z_]+$"))
    levels = fields.List(fields.String(validate=validate.OneOf(REVIEW_LEVELS)), required=True,
                         validate=validate.Length(min=1))


class TransactionSchema(Schema):
    class Meta:
        unknown = RAISE

    label = fields.String(required=True)
    needs_precheck = fields.Boolean(required=True)
    lanes = fields.List(fields.String(validate=validate.OneOf(list(LANES))))
    review = fields.Nested(ReviewSchema, required=True)
    change_items = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]*$")),
                               values=fields.String())
    time_limit_days = fields.Dict(keys=fields.String(validate=validate.OneOf(list(LANES))),
                                  values=fields.Integer(validate=validate.Range(min=0, max=365)),
                                  required=True)


class LicenceSchema(Schema):
    class Meta:
        unknown = RAISE

    certificate_name = fields.String(required=True)
    number_format = fields.String(required=True)
    number_provenance = fields.String(required=True, validate=validate.OneOf(PROVENANCES))
    number_note = fields.String()
    region_digits = fields.Dict(keys=fields.String(), values=fields.String())
    validity_years = fields.Integer(required=True, validate=validate.Range(min=1, max=30))
    validity_provenance = fields.String(required=True, validate=validate.OneOf(PROVENANCES))
    validity_note = fields.String()


class RenewalSchema(ProvenanceMixin):
    class Meta:
        unknown = RAISE

    deadline_before_expiry_months = fields.Integer(validate=validate.Range(min=0, max=24))
    deadline_before_expiry_days = fields.Integer(validate=validate.Range(min=0, max=730))
    # the earliest day (services/permits/renewal_window.py); none: no earliest day
    opens_before_expiry_months = fields.Integer(validate=validate.Range(min=1, max=36))
    opens_before_expiry_days = fields.Integer(validate=validate.Range(min=1, max=1095))
    may_downgrade = fields.Boolean(load_default=False)


class LegalBasisSchema(ProvenanceMixin):
    class Meta:
        unknown = RAISE

    text = fields.String(required=True)


class TypeSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["qualification", "licence"]))
    authority = fields.String(required=True)
    multi_category = fields.Boolean(load_default=False)
    legal_basis = fields.Nested(LegalBasisSchema)
    natures = fields.Dict(keys=fields.String(), values=fields.String())
    submitters = fields.Dict(keys=fields.String(), values=fields.String())
    licence = fields.Nested(LicenceSchema, required=True)
    renewal = fields.Nested(RenewalSchema, required=True)
    lanes = fields.List(fields.String(validate=validate.OneOf(list(LANES))), required=True)
    transactions = fields.Dict(keys=fields.String(validate=validate.OneOf(list(TRANSACTION_KINDS))),
                               values=fields.Nested(TransactionSchema), required=True)
    time_limit_provenance = fields.Nested(ProvenanceMixin)
    form = fields.Nested(FormSchema, required=True)
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True)
    categories = fields.Dict(keys=fields.String(), values=fields.Nested(CategorySchema), required=True,
                             validate=validate.Length(min=1))


class VocabularySchema(Schema):
    class Meta:
        unknown = RAISE

    project_categories = fields.List(fields.String(), load_default=list)
    equipment_kinds = fields.List(fields.String(), load_default=list)


class CatalogueFileSchema(Schema):
    class Meta:
        unknown = RAISE

    family = fields.String(required=True)
    system = fields.String(required=True)
    vocabulary = fields.Nested(VocabularySchema, load_default=dict)
    x_anchors = fields.Raw(data_key="x-anchors")
    types = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]*$")),
                        values=fields.Nested(TypeSchema), required=True, validate=validate.Length(min=1))


# ---------------------------------------------------------------- the loaded model
