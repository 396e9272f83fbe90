"""Personnel certificate types as data: ``catalogue/certificate_types.yaml``, validated at load.

Pure: no nameko, no database. The personnel service loads the catalogue once at start
(:func:`load_catalogue`); a file that does not validate is refused with
:class:`CatalogueError`, whose ``errors`` name the file and the path of each problem, e.g.
``certificate_types.yaml: types.constructor_2.numbers.qualification_number.pattern: not a valid
regular expression (...)``. A bad edit never half-applies.

File layout (see the shipped file for the complete data and each value's provenance)::

    types:
      <type code>:                        # constructor_2, safety, transport_safety, ...
        name, system (CIP|TSA|REG|PFL|HMQ), module, authority
        certificate_kind | certificate_kind_by_class   # contract vocabulary (docs/contracts.md)
        validity_years, validity_provenance, max_age?  # no (re)registration beyond this age
        classes: {code: label}            # optional (安管人员 A/B/C1/C2/C3)
        specialties: {multiple, choices, provenance, source}       # optional
        numbers: {<field>: {label, pattern, message, upper?, fold_brackets?, provenance, source?}}
        renewal: {opens_months_before, closes_months_after, adds_years, provenance, source?, note?}
        operations:
          <kind>: {label, review?: {case_type, levels}, attachments: [{code, name, required?,
                   photo?}], window?, exam_check?, personal_withdrawal?, consent?,
                   change_items?, reasons?, reason_text?, applicants?}

Operation kinds are the vocabulary in :data:`OPERATION_KINDS`. Every kind except
``supplement`` (信息补录, a record edit) and ``transfer_out`` of the CIP two-sided transfer (the
review happens on the new employer's ``transfer_in``) needs a ``review`` chain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from services.common.catalogue_files import CatalogueError as BaseCatalogueError
from services.common.catalogue_files import load_yaml_catalogue
from services.common.errors import ValidationFailed, field_error
from services.personnel.windows import RenewalRule

CATALOGUE_FILE = Path(__file__).with_name("catalogue") / "certificate_types.yaml"

OPERATION_KINDS = {
    "supplement": "信息补录",
    "initial": "初始注册",
    "new": "新增申报",
    "renewal": "延续注册",
    "extension": "证书延期",
    "add_item": "增项注册",
    "re_registration": "重新注册",
    "change": "变更注册",
    "reissue": "遗失补办",
    "transfer_out": "人员调出",
    "transfer_in": "人员调入",
    "cancellation": "注销",
    "join": "人员入职",
    "leave": "人员离职",
}
NO_REVIEW_KINDS = ("supplement", "transfer_out")
WINDOW_KINDS = ("renewal", "extension")
CHANGE_ITEMS = {"enterprise_name": "企业名称变更", "name": "姓名变更", "id_number": "身份证号码变更"}
SYSTEMS = ("CIP", "TSA", "REG", "PFL", "HMQ")
PROVENANCES = ("published", "uncertain", "plausible")
REVIEW_LEVELS = ("city", "province", "ministry")
CERTIFICATE_KINDS = ("constructor_1", "constructor_2", "safety_a", "safety_b", "safety_c", "electrician",
                     "reg_engineer", "reg_architect", "cost_engineer", "accountant", "economist")
CODE = r"^[a-z][a-z0-9_]*$"


class CatalogueError(BaseCatalogueError):
    """The certificate-type catalogue was refused (``errors``: ``<file>: <path>: <message>``)."""

    title = "人员证书类型目录文件有误"


# ---------------------------------------------------------------- schemas

class _Strict(Schema):
    class Meta:
        unknown = RAISE


class NumberSchema(_Strict):
    label = fields.String(required=True)
    pattern = fields.String(required=True)
    message = fields.String(required=True)
    upper = fields.Boolean(load_default=False)
    fold_brackets = fields.Boolean(load_default=False)
    provenance = fields.String(required=True, validate=validate.OneOf(PROVENANCES))
    source = fields.String()
    note = fields.String()


class SpecialtiesSchema(_Strict):
    multiple = fields.Boolean(required=True)
    choices = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    provenance = fields.String(required=True, validate=validate.OneOf(PROVENANCES))
    source = fields.String()


class RenewalSchema(_Strict):
    opens_months_before = fields.Integer(required=True, validate=validate.Range(min=0, max=24))
    closes_months_after = fields.Integer(required=True, validate=validate.Range(min=0, max=24))
    adds_years = fields.Integer(required=True, validate=validate.Range(min=1, max=10))
    provenance = fields.String(required=True, validate=validate.OneOf(PROVENANCES))
    source = fields.String()
    note = fields.String()


class ReviewSchema(_Strict):
    case_type = fields.String(required=True, validate=validate.Regexp(r"^personnel\.[a-z0-9_]+\.[a-z0-9_]+$"))
    levels = fields.List(fields.String(validate=validate.OneOf(REVIEW_LEVELS)), required=True,
                         validate=validate.Length(min=1))


class AttachmentSchema(_Strict):
    code = fields.String(required=True, validate=validate.Regexp(CODE))
    name = fields.String(required=True)
    required = fields.Boolean(load_default=True)
    photo = fields.Boolean(load_default=False)


class OperationSchema(_Strict):
    label = fields.String(required=True)
    review = fields.Nested(ReviewSchema)
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True)
    window = fields.Boolean(load_default=False)
    exam_check = fields.Boolean(load_default=False)
    personal_withdrawal = fields.Boolean(load_default=False)
    consent = fields.Boolean(load_default=False)
    change_items = fields.List(fields.String(validate=validate.OneOf(list(CHANGE_ITEMS))))
    reasons = fields.List(fields.String())
    reason_text = fields.Boolean(load_default=False)
    applicants = fields.List(fields.String())


class TypeSchema(_Strict):
    name = fields.String(required=True)
    system = fields.String(required=True, validate=validate.OneOf(SYSTEMS))
    module = fields.String(required=True, validate=validate.Regexp(CODE))
    authority = fields.String(required=True)
    certificate_kind = fields.String(validate=validate.OneOf(CERTIFICATE_KINDS))
    certificate_kind_by_class = fields.Dict(keys=fields.String(),
                                            values=fields.String(validate=validate.OneOf(CERTIFICATE_KINDS)))
    validity_years = fields.Integer(required=True, validate=validate.Range(min=1, max=30))
    max_age = fields.Integer(validate=validate.Range(min=18, max=100))
    validity_provenance = fields.String(required=True, validate=validate.OneOf(PROVENANCES))
    classes = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[A-Z][0-9]?$")),
                          values=fields.String())
    specialties = fields.Nested(SpecialtiesSchema)
    numbers = fields.Dict(keys=fields.String(validate=validate.Regexp(CODE)),
                          values=fields.Nested(NumberSchema), required=True)
    renewal = fields.Nested(RenewalSchema, required=True)
    operations = fields.Dict(keys=fields.String(validate=validate.OneOf(list(OPERATION_KINDS))),
                             values=fields.Nested(OperationSchema), required=True,
                             validate=validate.Length(min=1))


class FileSchema(_Strict):
    x_anchors = fields.Raw(data_key="x-anchors")
    types = fields.Dict(keys=fields.String(validate=validate.Regexp(CODE)), values=fields.Nested(TypeSchema),
                        required=True, validate=validate.Length(min=1))




def _cross_check(data: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    for code, t in data["types"].items():
        base = f"types.{code}"
        if ("certificate_kind" in t) == ("certificate_kind_by_class" in t):
            errors.append(f"{base}: give exactly one of certificate_kind, certificate_kind_by_class")
        if "certificate_kind_by_class" in t:
            classes = set(t.get("classes") or {})
            mapped = set(t["certificate_kind_by_class"])
            if mapped != classes:
                errors.append(f"{base}.certificate_kind_by_class: must map every class exactly "
                              f"({', '.join(sorted(classes ^ mapped))})")
        for name, number in t["numbers"].items():
            try:
                re.compile(number["pattern"])
            except re.error as exc:
                errors.append(f"{base}.numbers.{name}.pattern: not a valid regular expression ({exc})")
            if number["provenance"] in ("published", "uncertain") and not number.get("source"):
                errors.append(f"{base}.numbers.{name}.source: a published or uncertain format needs "
                              f"its source")
        case_types: dict[str, str] = {}
        for kind, op in t["operations"].items():
            opath = f"{base}.operations.{kind}"
            needs_review = kind not in NO_REVIEW_KINDS or op.get("consent")
            if needs_review and "review" not in op:
                errors.append(f"{opath}.review: Missing data for required field")
            if kind == "supplement" and "review" in op:
                errors.append(f"{opath}.review: 信息补录 is a record edit and has no review")
            if "review" in op:
                other = case_types.setdefault(op["review"]["case_type"], kind)
                if other != kind:
                    errors.append(f"{opath}.review.case_type: already used by operation {other}")
            codes = [a["code"] for a in op["attachments"]]
            for dup in sorted({c for c in codes if codes.count(c) > 1}):
                errors.append(f"{opath}.attachments: duplicate code “{dup}”")
            if kind == "change" and not op.get("change_items"):
                errors.append(f"{opath}.change_items: a change needs its change_items")
            if kind in WINDOW_KINDS and not op.get("window"):
                errors.append(f"{opath}.window: a {kind} is filed within the renewal window (window: true)")
            if kind == "cancellation" and not (op.get("reasons") or op.get("reason_text")):
                errors.append(f"{opath}: a cancellation needs reasons or reason_text")
        ops = t["operations"]
        if "transfer_in" in ops and "transfer_out" not in ops:
            errors.append(f"{base}.operations: transfer_in without transfer_out")
        if "add_item" in ops and not (t.get("specialties") or {}).get("multiple"):
            errors.append(f"{base}.operations.add_item: needs specialties with multiple: true")
    return errors


# ---------------------------------------------------------------- model

@dataclass(frozen=True)
class Operation:
    kind: str
    label: str
    review: dict[str, Any] | None
    attachments: tuple[dict[str, Any], ...]
    window: bool = False
    exam_check: bool = False
    personal_withdrawal: bool = False
    consent: bool = False
    change_items: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    reason_text: bool = False
    applicants: tuple[str, ...] = ()

    @property
    def case_type(self) -> str | None:
        return self.review["case_type"] if self.review else None

    @property
    def levels(self) -> tuple[str, ...]:
        return tuple(self.review["levels"]) if self.review else ()


@dataclass(frozen=True)
class CertificateType:
    code: str
    name: str
    system: str
    module: str
    authority: str
    validity_years: int
    numbers: dict[str, dict[str, Any]]
    renewal: dict[str, Any]
    operations: dict[str, Operation]
    certificate_kind: str | None = None
    certificate_kind_by_class: dict[str, str] = field(default_factory=dict)
    classes: dict[str, str] = field(default_factory=dict)
    max_age: int | None = None
    specialties: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def operation(self, kind: str) -> Operation:
        """The operation, or InvalidKind (a ValidationFailed) naming what this type offers."""
        try:
            return self.operations[kind]
        except KeyError:
            offered = "、".join(op.label for op in self.operations.values())
            message = f"{self.name}不办理“{OPERATION_KINDS.get(kind, kind)}”，可办理：{offered}"
            raise ValidationFailed(message, {"kind": [field_error("not_offered", message)]}) from None

    def kind_for_class(self, class_code: str | None = None) -> str:
        """The contract certificate kind (constructor_2, safety_a, ...) of this type / class."""
        if self.certificate_kind:
            return self.certificate_kind
        if class_code not in self.certificate_kind_by_class:
            raise self._class_error(class_code)
        return self.certificate_kind_by_class[str(class_code)]

    def check_class(self, class_code: str | None) -> str | None:
        if not self.classes:
            return None
        if class_code not in self.classes:
            raise self._class_error(class_code)
        return class_code

    def _class_error(self, class_code: str | None) -> ValidationFailed:
        choices = "、".join(f"{c}（{label}）" for c, label in self.classes.items())
        message = f"人员类别“{class_code or ''}”不正确，可选：{choices}"
        return ValidationFailed(message, {"class_code": [field_error("invalid", message)]})

    def normalise_number(self, name: str, value: str) -> str:
        spec = self.numbers[name]
        text = re.sub(r"\s+", "", value or "")
        if spec.get("upper"):
            text = text.upper()
        if spec.get("fold_brackets"):
            text = text.replace("（", "(").replace("）", ")")
        return text

    def check_number(self, name: str, value: str) -> str:
        """The normalised number; ValidationFailed on field ``name`` (code ``format``) if it is wrong."""
        if name not in self.numbers:
            raise KeyError(f"{self.name}没有编号字段“{name}”")
        spec = self.numbers[name]
        text = self.normalise_number(name, value)
        if not text:
            message = f"请填写{spec['label']}"
            raise ValidationFailed(message, {name: [field_error("required", message)]})
        if not re.fullmatch(spec["pattern"], text):
            raise ValidationFailed(spec["message"], {name: [field_error("format", spec["message"])]})
        return text

    def check_specialties(self, chosen: Iterable[str], name: str = "specialties") -> list[str]:
        choices = list((self.specialties or {}).get("choices") or [])
        picked = list(dict.fromkeys(s.strip() for s in chosen if s and s.strip()))
        bad = [s for s in picked if s not in choices]
        message = ""
        if not picked:
            message = "请选择注册专业"
        elif bad:
            message = f"注册专业“{'、'.join(bad)}”不正确，可选：{'、'.join(choices)}"
        elif len(picked) > 1 and not self.specialties.get("multiple"):
            message = f"{self.name}只能注册一个专业"
        if message:
            code = "invalid" if picked else "required"
            raise ValidationFailed(message, {name: [field_error(code, message)]})
        return picked

    def renewal_rule(self) -> RenewalRule:
        return RenewalRule.from_catalogue(self.renewal)

    def review_chain(self, kind: str) -> dict[str, Any]:
        """``{"case_type", "levels"}`` of an operation that goes to review."""
        op = self.operation(kind)
        if not op.review:
            raise ValueError(f"{self.name}{op.label}不经过审核")
        return {"case_type": op.review["case_type"], "levels": list(op.review["levels"])}

    def required_attachments(self, kind: str) -> list[dict[str, Any]]:
        return [dict(a) for a in self.operation(kind).attachments if a.get("required", True)]

    def missing_attachments(self, kind: str, present_codes: Iterable[str]) -> list[dict[str, Any]]:
        present = set(present_codes)
        return [a for a in self.required_attachments(kind) if a["code"] not in present]


@dataclass(frozen=True)
class Catalogue:
    types: dict[str, CertificateType]

    def type(self, code: str) -> CertificateType:
        try:
            return self.types[code]
        except KeyError:
            message = f"没有证书类型“{code}”"
            raise ValidationFailed(message, {"certificate_type": [field_error("invalid", message)]}) from None

    def by_module(self, module: str) -> list[CertificateType]:
        return [t for t in self.types.values() if t.module == module]

    def by_case_type(self, case_type: str) -> tuple[CertificateType, Operation]:
        """The type and operation a review case type belongs to (for review's answers)."""
        for t in self.types.values():
            for op in t.operations.values():
                if op.case_type == case_type:
                    return t, op
        raise KeyError(case_type)


def _build(data: dict[str, Any]) -> dict[str, CertificateType]:
    types = {}
    for code, t in data["types"].items():
        ops = {kind: Operation(
            kind=kind, label=op["label"], review=op.get("review"), attachments=tuple(op["attachments"]),
            window=op["window"], exam_check=op["exam_check"], personal_withdrawal=op["personal_withdrawal"],
            consent=op["consent"], change_items=tuple(op.get("change_items") or ()),
            reasons=tuple(op.get("reasons") or ()), reason_text=op["reason_text"],
            applicants=tuple(op.get("applicants") or ())) for kind, op in t["operations"].items()}
        types[code] = CertificateType(
            code=code, name=t["name"], system=t["system"], module=t["module"], authority=t["authority"],
            validity_years=t["validity_years"], numbers=t["numbers"], renewal=t["renewal"], operations=ops,
            certificate_kind=t.get("certificate_kind"),
            certificate_kind_by_class=dict(t.get("certificate_kind_by_class") or {}),
            classes=dict(t.get("classes") or {}), max_age=t.get("max_age"),
            specialties=dict(t.get("specialties") or {}), raw=t)
    return types


def parse_catalogue(text: str, name: str = CATALOGUE_FILE.name) -> Catalogue:
    """Validate YAML text; CatalogueError with ``<name>: <path>: <message>`` lines when bad."""
    return Catalogue(_build(load_yaml_catalogue(name, text, FileSchema(), _cross_check, CatalogueError)))


def load_catalogue(path: str | Path = CATALOGUE_FILE) -> Catalogue:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError([f"{path.name}: (file): cannot be read ({exc.strerror})"]) from exc
    return parse_catalogue(text, path.name)


_default: Catalogue | None = None


def default_catalogue() -> Catalogue:
    """The shipped catalogue, loaded once."""
    global _default
    if _default is None:
        _default = load_catalogue()
    return _default
