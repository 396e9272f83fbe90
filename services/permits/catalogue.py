"""The business-type catalogue: qualification and licence types as data (YAML), validated at load.

One YAML file per family lives in ``services/permits/catalogue/`` (``hmq_maintenance.yaml``,
``pfl_power.yaml``, ``cip_safety.yaml``). Each file is checked with marshmallow and then for
cross-references (vocabulary, unique ids, lanes, review chains); a bad file is refused with
:class:`CatalogueError`, whose messages carry the file name and the path of each error, e.g.
``pfl_power.yaml: types.pfl_power.categories.install.grades.一级.extra_standards[0].min: Not a
valid number``.

The file format (vocabularies and marshmallow schemas) is in ``catalogue_format.py``.

Pure: no nameko, no database. The shipped files are version 1 of each family; the permits
service keeps the catalogue as versions an admin publishes (业务目录维护:
services/permits/catalogue_versions.py, catalogue_store.py) and builds it with ``load_texts``
from the active versions' texts, which either returns a whole valid catalogue or raises, so a
bad edit is refused and never half-applies.

File layout (see the shipped files for complete examples)::

    family: pfl                     # short family key
    system: PFL                     # source system (HMQ, CIP, PFL, ...)
    vocabulary: {project_categories: [...], equipment_kinds: [...]}
    x-anchors: ...                  # free YAML anchors, ignored
    types:
      <type_code>:
        name, kind (qualification|licence), authority, multi_category, legal_basis,
        natures {code: label}, submitters {code: label}          # optional (PFL)
        licence: {certificate_name, number_format, validity_years, *_provenance, ...}
        renewal: {deadline_before_expiry_months|_days, may_downgrade, provenance, source}
        lanes: [normal, fast_track, free_trade_zone]
        transactions: {<kind>: {label, needs_precheck, lanes?, review: {case_type, levels},
                                time_limit_days: {<lane>: working days}}}
        form: {title, sections: [{code, title, kinds?, table?, fields: [{name, label, source,
               input?, kinds?}]}]}
        attachments: [{code, name, required, owable, kinds?, lanes?, natures?, submitters?,
                       template?}]
        categories: {<code>: {name, graded, grades: {<grade>: {scope, max_voltage_kv?,
                     standards: [...], extra_standards: [...]}}}}   # grades highest first

Standard kinds (each standard: ``id``, ``kind``, ``label``, ``provenance`` in
published/uncertain/plausible, ``source`` (required unless plausible), ``note``):

- ``finance``: ``field`` (net_assets_wan | registered_capital_wan), ``min`` (万元)
- ``key_staff``: ``category`` and/or ``certificate_kinds`` (any of), ``title_level`` (minimum),
  ``min_years``, ``min`` (count)
- ``skilled_staff``: ``categories``, ``skill_level`` (minimum), ``certificate_kinds``, ``min``
- ``performance``: ``project_categories``, ``min_voltage_kv``, ``min_length_km``,
  ``min_amount_wan`` (per project), ``within_years``, ``min`` (count) and/or
  ``min_total_length_km`` (sum of lengths)
- ``equipment``: ``equipment_kind``, ``min`` (total quantity)
- ``any_of``: ``options`` (two or more standards; met when one is met)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.common.catalogue_files import CatalogueError as BaseCatalogueError
from services.common.catalogue_files import load_yaml_catalogue
from services.permits.catalogue_format import LANES, REVIEW_LANES, TRANSACTION_KINDS, CatalogueFileSchema

CATALOGUE_DIR = Path(__file__).with_name("catalogue")



class CatalogueError(BaseCatalogueError):
    """A business-type catalogue file was refused (``errors``: ``<file>: <path>: <message>``)."""

    title = "业务类型目录文件有误"


@dataclass(frozen=True)
class Grade:
    code: str
    rank: int  # 0 = the highest grade of its category
    scope: str
    max_voltage_kv: float | None
    standards: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    graded: bool
    grades: dict[str, Grade]

    def grade(self, code: str) -> Grade:
        try:
            return self.grades[code]
        except KeyError:
            raise KeyError(f"{self.name}没有“{code}”等级，可选：{'、'.join(self.grades)}") from None


@dataclass(frozen=True)
class BusinessType:
    """One qualification or licence type, as loaded from its catalogue file."""

    code: str
    family: str
    system: str
    name: str
    kind: str
    authority: str
    multi_category: bool
    licence: dict[str, Any]
    renewal: dict[str, Any]
    lanes: tuple[str, ...]
    transactions: dict[str, dict[str, Any]]
    form: dict[str, Any]
    attachments: tuple[dict[str, Any], ...]
    categories: dict[str, Category]
    natures: dict[str, str] = field(default_factory=dict)
    submitters: dict[str, str] = field(default_factory=dict)
    vocabulary: dict[str, list[str]] = field(default_factory=dict)
    legal_basis: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def category(self, code: str) -> Category:
        try:
            return self.categories[code]
        except KeyError:
            raise KeyError(f"{self.name}没有类别“{code}”") from None

    def standards_for(self, category: str, grade: str) -> list[dict[str, Any]]:
        """The admission standards of one category and grade (standards + extra_standards)."""
        return list(self.category(category).grade(grade).standards)

    def selection_label(self, category: str, grade: str) -> str:
        cat = self.category(category)
        return cat.name if not cat.graded else f"{cat.name}{grade}"

    def transaction(self, kind: str) -> dict[str, Any]:
        try:
            return self.transactions[kind]
        except KeyError:
            offered = "、".join(TRANSACTION_KINDS[k] for k in self.transactions)
            wanted = TRANSACTION_KINDS.get(kind, kind)
            raise KeyError(f"{self.name}不办理“{wanted}”，可办理：{offered}") from None

    def lanes_for(self, kind: str) -> list[str]:
        return list(self.transaction(kind).get("lanes") or self.lanes)

    def time_limit_days(self, kind: str, lane: str = "normal") -> int:
        """Statutory time limit in working days for a transaction kind in a lane."""
        limits = self.transaction(kind)["time_limit_days"]
        if lane not in limits:
            raise KeyError(f"{self.transaction(kind)['label']}不提供{LANES.get(lane, lane)}通道")
        return int(limits[lane])

    def review_chain(self, kind: str) -> dict[str, Any]:
        """``{"case_type": ..., "levels": [...]}`` for review_requested."""
        review = self.transaction(kind)["review"]
        return {"case_type": review["case_type"], "levels": list(review["levels"])}

    def review_request(self, kind: str, lane: str = "normal") -> dict[str, Any]:
        """What ``review_requested`` needs from the catalogue: case_type, review's lane name, the
        levels and this catalogue's statutory limit (review's own data is authoritative)."""
        return {**self.review_chain(kind), "lane": REVIEW_LANES[lane],
                "time_limit_days": self.time_limit_days(kind, lane)}

    def change_items(self, kind: str) -> dict[str, str]:
        """The registration items a change transaction covers (code → label)."""
        return dict(self.transaction(kind).get("change_items") or {})

    def required_attachments(self, kind: str, lane: str = "normal", nature: str | None = None,
                             submitter: str | None = None) -> list[dict[str, Any]]:
        """Attachments this application needs, by transaction kind, lane, nature and submitter.

        An attachment restricted to ``natures``/``submitters`` applies only when the application
        has that nature/submitter; one restricted to ``lanes`` is not required in other lanes
        (the free-trade-zone lane drops what is obtained by information sharing).
        """
        result = []
        for item in self.attachments:
            if item.get("kinds") and kind not in item["kinds"]:
                continue
            if item.get("lanes") and lane not in item["lanes"]:
                continue
            if item.get("natures") and nature not in item["natures"]:
                continue
            if item.get("submitters") and submitter not in item["submitters"]:
                continue
            result.append(dict(item))
        return result

    def form_sections(self, kind: str) -> list[dict[str, Any]]:
        """The 申报表 sections and fields that apply to one transaction kind."""
        sections = []
        for section in self.form["sections"]:
            if section.get("kinds") and kind not in section["kinds"]:
                continue
            copy = dict(section)
            copy["fields"] = [dict(f) for f in section.get("fields_", [])
                              if not f.get("kinds") or kind in f["kinds"]]
            copy.pop("fields_", None)
            sections.append(copy)
        return sections

    def grade_rank(self, category: str, grade: str) -> int:
        return self.category(category).grade(grade).rank


@dataclass(frozen=True)
class Catalogue:
    types: dict[str, BusinessType]
    files: tuple[str, ...]
    # type code -> the catalogue version (permits' catalogue_versions.id) it was loaded from
    versions: dict[str, int] = field(default_factory=dict)

    def type(self, code: str) -> BusinessType:
        try:
            return self.types[code]
        except KeyError:
            raise KeyError(f"没有业务类型“{code}”") from None


# ---------------------------------------------------------------- loading

def _cross_check(data: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    vocab = data.get("vocabulary") or {}
    project_vocab = set(vocab.get("project_categories") or [])
    equipment_vocab = set(vocab.get("equipment_kinds") or [])

    def check_standard(std: dict[str, Any], path: str, top: bool) -> None:
        if top and not std.get("provenance"):
            errors.append(f"{path}.provenance: Missing data for required field")
        for cat in std.get("project_categories") or []:
            if cat not in project_vocab:
                errors.append(f"{path}.project_categories: “{cat}” is not in vocabulary.project_categories")
        if std.get("equipment_kind") and std["equipment_kind"] not in equipment_vocab:
            errors.append(f"{path}.equipment_kind: “{std['equipment_kind']}” is not in "
                          f"vocabulary.equipment_kinds")
        for index, option in enumerate(std.get("options") or []):
            check_standard(option, f"{path}.options[{index}]", False)

    for code, type_data in data["types"].items():
        base = f"types.{code}"
        lanes = set(type_data["lanes"])
        for kind, trans in type_data["transactions"].items():
            tpath = f"{base}.transactions.{kind}"
            for lane in trans.get("lanes") or []:
                if lane not in lanes:
                    errors.append(f"{tpath}.lanes: “{lane}” is not one of the type's lanes")
            for lane in trans.get("lanes") or type_data["lanes"]:
                if lane not in trans["time_limit_days"]:
                    errors.append(f"{tpath}.time_limit_days: no time limit for lane “{lane}”")
        for index, att in enumerate(type_data["attachments"]):
            apath = f"{base}.attachments[{index}]"
            for nature in att.get("natures") or []:
                if nature not in (type_data.get("natures") or {}):
                    errors.append(f"{apath}.natures: “{nature}” is not one of the type's natures")
            for submitter in att.get("submitters") or []:
                if submitter not in (type_data.get("submitters") or {}):
                    errors.append(f"{apath}.submitters: “{submitter}” is not one of the type's submitters")
        codes = [a["code"] for a in type_data["attachments"]]
        for dup in sorted({c for c in codes if codes.count(c) > 1}):
            errors.append(f"{base}.attachments: duplicate code “{dup}”")
        renewal = type_data["renewal"]
        if {"renewal", "renewal_no_review"} & set(type_data["transactions"]) and not (
                "deadline_before_expiry_months" in renewal or "deadline_before_expiry_days" in renewal):
            errors.append(f"{base}.renewal: needs deadline_before_expiry_months or _days")
        for cat_code, cat in type_data["categories"].items():
            if not cat["graded"] and len(cat["grades"]) != 1:
                errors.append(f"{base}.categories.{cat_code}.grades: an ungraded category has one grade")
            for grade_code, grade in cat["grades"].items():
                gpath = f"{base}.categories.{cat_code}.grades.{grade_code}"
                ids: list[str] = []
                for list_name in ("standards", "extra_standards"):
                    for index, std in enumerate(grade.get(list_name) or []):
                        check_standard(std, f"{gpath}.{list_name}[{index}]", True)
                        ids.append(std["id"])
                for dup in sorted({i for i in ids if ids.count(i) > 1}):
                    errors.append(f"{gpath}: duplicate standard id “{dup}”")
    return errors


def _build_types(data: dict[str, Any]) -> dict[str, BusinessType]:
    types = {}
    for code, t in data["types"].items():
        categories = {}
        for cat_code, cat in t["categories"].items():
            grades = {}
            for rank, (grade_code, grade) in enumerate(cat["grades"].items()):
                standards = tuple(grade["standards"]) + tuple(grade.get("extra_standards") or ())
                grades[grade_code] = Grade(grade_code, rank, grade["scope"], grade.get("max_voltage_kv"),
                                           standards)
            categories[cat_code] = Category(cat_code, cat["name"], cat["graded"], grades)
        types[code] = BusinessType(
            code=code, family=data["family"], system=data["system"], name=t["name"], kind=t["kind"],
            authority=t["authority"], multi_category=t["multi_category"], licence=t["licence"],
            renewal=t["renewal"], lanes=tuple(t["lanes"]), transactions=t["transactions"], form=t["form"],
            attachments=tuple(t["attachments"]), categories=categories, natures=t.get("natures") or {},
            submitters=t.get("submitters") or {}, vocabulary=dict(data.get("vocabulary") or {}),
            legal_basis=t.get("legal_basis") or {}, raw=t)
    return types


def load_text(name: str, text: str) -> dict[str, BusinessType]:
    """Validate catalogue YAML given as text (an admin's upload) under the file name ``name``."""
    data = load_yaml_catalogue(name, text, CatalogueFileSchema(), _cross_check, CatalogueError)
    return _build_types(data)


def load_file(path: str | Path) -> dict[str, BusinessType]:
    """Load and validate one catalogue file; raise CatalogueError naming the file and paths."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError([f"{path.name}: (file): cannot be read ({exc.strerror})"]) from exc
    return load_text(path.name, text)


def load_catalogue(directory: str | Path = CATALOGUE_DIR,
                   files: Iterable[str | Path] | None = None) -> Catalogue:
    """Load every ``*.yaml`` in ``directory`` (or the given files); all valid or CatalogueError."""
    paths = sorted(Path(p) for p in files) if files is not None else sorted(Path(directory).glob("*.yaml"))
    if not paths:
        raise CatalogueError([f"{Path(directory).name}: (directory): no catalogue files"])
    named, errors = [], []
    for path in paths:
        try:
            named.append((path.name, path.read_text(encoding="utf-8")))
        except OSError as exc:
            errors.append(f"{path.name}: (file): cannot be read ({exc.strerror})")
    try:
        catalogue = load_texts(named)
    except CatalogueError as exc:
        errors.extend(exc.errors)
    if errors:
        raise CatalogueError(errors)
    return catalogue


def load_texts(named: Iterable[tuple[str, str]], versions: dict[str, int] | None = None) -> Catalogue:
    """The whole catalogue from ``(file name, YAML text)`` pairs (the shipped files, or the
    stored versions: services/permits/catalogue_store.py); all valid or CatalogueError.
    ``versions``: file name -> the version id each text is, recorded per type code."""
    errors: list[str] = []
    types: dict[str, BusinessType] = {}
    by_type: dict[str, int] = {}
    names = []
    for name, text in named:
        names.append(name)
        try:
            loaded = load_text(name, text)
        except CatalogueError as exc:
            errors.extend(exc.errors)
            continue
        for code, business_type in loaded.items():
            if code in types:
                errors.append(f"{name}: types.{code}: type code already defined in another file")
            types[code] = business_type
            if versions and name in versions:
                by_type[code] = versions[name]
    if errors:
        raise CatalogueError(errors)
    return Catalogue(types=types, files=tuple(names), versions=by_type)
