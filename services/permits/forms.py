"""The generated 申报表 (application form) and the licence certificate, as PDF.

Two steps, both pure:

1. ``application_form_context(business_type, kind, application=..., records=..., values=...,
   generated_on=...)`` resolves every field of the type's form (catalogue ``form.sections`` that
   apply to the transaction kind) to display text, plus the staff / projects / equipment tables
   and the attachment list.
2. ``render_application_form(context) -> bytes`` renders ``templates/application_form.html`` with
   Jinja2 and WeasyPrint (A4, zh-CN, Noto CJK fonts embedded as subsets; the faces are cut down
   to GB 2312 once per machine first, see form_fonts).

``licence_context(licence, business_type)`` + ``render_licence(context, verify_url) -> bytes``
make the certificate with a QR code (qrcode, PNG) that opens the public verify page.

Rendering takes a second or two of CPU and runs library code that logs and takes locks: the
service builds the contexts and runs the two ``render_*`` functions in its render pool's worker
processes (``services/common/renderpool.py``), never in its own (monkey-patched) process.
Nothing here reads the clock: dates are passed in.
"""

from __future__ import annotations

import base64
import functools
import io
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import qrcode
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.common.vocabulary import CERTIFICATE_KINDS, STAFF_CATEGORIES
from services.permits import form_fonts
from services.permits.catalogue import BusinessType
from services.permits.catalogue_format import LANES, LEVEL_LABELS
from services.permits.licences import Licence

TEMPLATES = Path(__file__).with_name("templates")
EMPTY = "（未填写）"
DECLARATION = ("本单位承诺所填报信息及提交材料真实、准确、完整，如有隐瞒或提供虚假材料以及其他违法行为，"
               "愿意承担相应的法律责任，接受主管部门依法给予的处罚。")

STAFF_COLUMNS = ("姓名", "人员类别", "职称", "职称等级", "技能等级", "专业", "从业年限", "证书")
PROJECT_COLUMNS = ("工程名称", "类别", "电压等级（千伏）", "长度（公里）", "合同额（万元）", "完工日期")
EQUIPMENT_COLUMNS = ("设备名称", "类型", "型号", "数量")

_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def display(value: Any) -> str:
    """A value as form text: numbers without trailing zeros, booleans as 是/否, lists joined."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{int(value)}" if value.is_integer() else f"{value:g}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "；".join(display(v) for v in value)
    return str(value)


def _certificate_text(cert: Mapping[str, Any]) -> str:
    kind = CERTIFICATE_KINDS.get(cert.get("kind"), cert.get("kind") or "")
    return f"{kind} {cert.get('number') or ''}".strip()


def _staff_rows(records: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    for p in records.get("staff") or []:
        certs = "；".join(_certificate_text(c) for c in p.get("certificates") or [])
        years = p.get("years_experience")
        category = STAFF_CATEGORIES.get(p.get("category"), display(p.get("category")))
        rows.append([display(p.get("name")), category,
                     display(p.get("title")), LEVEL_LABELS.get(p.get("title_level"), "—"),
                     LEVEL_LABELS.get(p.get("skill_level"), "—"), display(p.get("specialty")),
                     f"{years}年" if years is not None else EMPTY, certs or "—"])
    return rows


def _project_rows(records: Mapping[str, Any]) -> list[list[str]]:
    keys = ("name", "category", "voltage_kv", "length_km", "contract_amount_wan", "completed_on")
    return [[display(p.get(key)) for key in keys] for p in records.get("projects") or []]


def _equipment_rows(records: Mapping[str, Any]) -> list[list[str]]:
    keys = ("name", "kind", "model", "quantity")
    return [[display(e.get(key)) for key in keys] for e in records.get("equipment") or []]


_TABLES = {"staff": (STAFF_COLUMNS, _staff_rows), "projects": (PROJECT_COLUMNS, _project_rows),
           "equipment": (EQUIPMENT_COLUMNS, _equipment_rows)}


def selection_text(business_type: BusinessType, selections: Sequence[Any]) -> str:
    labels = []
    for sel in selections:
        category, grade = (sel["category"], sel["grade"]) if isinstance(sel, Mapping) else tuple(sel)
        labels.append(business_type.selection_label(category, grade))
    return "、".join(labels)


def enterprise_values(records: Mapping[str, Any]) -> dict[str, Any]:
    """The ``enterprise.*`` sources of the 申报表 fields: the records, with the enterprise type
    as people read it (有限责任公司, not ``limited_liability``) when the records label it."""
    return {**records, "enterprise_type": records.get("enterprise_type_label")
            or records.get("enterprise_type")}


def application_form_context(business_type: BusinessType, kind: str, *, application: Mapping[str, Any],
                             records: Mapping[str, Any], values: Mapping[str, Any], generated_on: date,
                             attachments: Sequence[Mapping[str, Any]] = (),
                             precheck_summary: str | None = None) -> dict[str, Any]:
    """Everything the 申报表 shows, resolved to text.

    ``application``: ``number``, ``selections`` [(category, grade)], ``lane``, ``nature``,
    ``submitter``, ``original_licence_number``. ``records``: enterprise.records_for_precheck.
    ``values``: what the applicant typed (catalogue fields with ``input: true``).
    ``attachments``: ``[{"name", "provided": bool, "owed_until": "YYYY-MM-DD"|None}]``.
    """
    transaction = business_type.transaction(kind)
    sources = {
        "application": {
            "transaction_label": transaction["label"],
            "selection_text": selection_text(business_type, application.get("selections") or []),
            "number": application.get("number"),
            "nature_label": business_type.natures.get(application.get("nature") or "", None),
            "lane_label": LANES.get(application.get("lane") or "normal"),
            "submitter_label": business_type.submitters.get(application.get("submitter") or "", None),
            "original_licence_number": application.get("original_licence_number"),
            "declaration": DECLARATION,
        },
        "enterprise": enterprise_values(records),
        "finance": dict(records.get("finance") or {}),
        "values": dict(values),
    }
    sections = []
    for section in business_type.form_sections(kind):
        fields = []
        for f in section["fields"]:
            group, key = f["source"].split(".", 1)
            fields.append({"name": f["name"], "label": f["label"], "value": display(sources[group].get(key))})
        entry: dict[str, Any] = {"code": section["code"], "title": section["title"], "fields": fields,
                                 "table": section.get("table"), "columns": (), "rows": []}
        if section.get("table"):
            columns, rows = _TABLES[section["table"]]
            entry["columns"] = columns
            entry["rows"] = rows(records)
        sections.append(entry)
    listed = []
    for a in attachments:
        if a.get("provided"):
            status = "已上传"
        elif a.get("owed_until"):
            status = f"容缺后补（{a['owed_until']}前）"
        else:
            status = "未上传"
        listed.append({"name": a["name"], "status": status})
    return {
        "title": business_type.form["title"],
        "type_name": business_type.name,
        "kind_label": transaction["label"],
        "generated_on": generated_on.isoformat(),
        "sections": sections,
        "attachments": listed,
        "precheck_summary": precheck_summary,
        "declaration": DECLARATION,
    }


def review_fields(context: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The form's fields as ``review_requested.fields`` wants them: ``{"<section>.<field>":
    {"label", "value"}}`` (review diffs these between revisions)."""
    return {f"{section['code']}.{field['name']}": {"label": field["label"], "value": field["value"]}
            for section in context["sections"] for field in section["fields"]}


@functools.cache
def _fonts() -> tuple[Any, list[Any]]:
    """This process's font configuration and the ``@font-face`` sheet of the small CJK faces
    (form_fonts; the templates name them first, the full Noto faces after)."""
    from weasyprint import CSS  # imported late: loading pango/cairo is slow and only needed here
    from weasyprint.text.fonts import FontConfiguration

    config = FontConfiguration()
    rules = form_fonts.font_faces()
    return config, ([CSS(string=rules, font_config=config)] if rules else [])


def _pdf(html: str) -> bytes:
    from weasyprint import HTML

    config, sheets = _fonts()
    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf(stylesheets=sheets, font_config=config)


def warm_up() -> None:
    """Render a line of CJK text once: a render worker calls this at start, so the first 申报表
    does not also pay for cutting the small faces (once per machine), loading pango and the
    fonts (seconds)."""
    _pdf('<html lang="zh-CN"><body><p style="font-family: \'QLP Serif\', serif">申报表</p>'
         '<p style="font-family: \'QLP Sans\', sans-serif">预热<b>预热</b></p></body></html>')


def render_application_form(context: Mapping[str, Any]) -> bytes:
    """The 申报表 as PDF bytes (Noto CJK fonts embedded)."""
    return _pdf(_env.get_template("application_form.html").render(**context))


def qr_png(data: str, box_size: int = 10) -> bytes:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=4)
    qr.add_data(data)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


def licence_context(licence: Licence, business_type: BusinessType) -> dict[str, Any]:
    """The certificate's printed fields (the verify page shows ``licences.public_fields``)."""
    extra = []
    for key, label in (("legal_representative", "法定代表人"), ("address", "住所")):
        if licence.details.get(key):
            extra.append((label, licence.details[key]))
    return {
        "certificate_name": business_type.licence["certificate_name"],
        "number": licence.number,
        "holder_name": licence.holder_name,
        "holder_uscc": licence.holder_uscc,
        "extra_rows": extra,
        "items_label": "资质类别及等级" if business_type.kind == "qualification" else "许可类别及等级",
        "items": [business_type.selection_label(i.category, i.grade) for i in licence.items],
        "valid_from": licence.valid_from.isoformat(),
        "valid_until": licence.valid_until.isoformat(),
        "issued_on": licence.issued_on.isoformat(),
        "edition": licence.edition,
        "authority": business_type.authority,
    }


def render_licence(context: Mapping[str, Any], verify_url: str) -> bytes:
    """The certificate PDF with a QR code that opens ``verify_url``."""
    data_uri = "data:image/png;base64," + base64.b64encode(qr_png(verify_url)).decode("ascii")
    html = _env.get_template("licence.html").render(**context, verify_url=verify_url, qr_data_uri=data_uri)
    return _pdf(html)
