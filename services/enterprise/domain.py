"""Enterprise records rules as plain Python: field kinds, validation, access, summaries.

No nameko and no SQLAlchemy here; every rule is unit-tested directly
(tests/unit/test_enterprise_domain.py).
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from services.common.access import READ_ONLY, may_use
from services.common.errors import FieldErrors, field_error
from services.common.regions import Region, region_choices, region_label, regions  # noqa: F401
from services.common.validators import is_email, is_mobile, resident_id_error
from services.common.vocabulary import CERTIFICATE_KINDS, STAFF_CATEGORIES

MODULE = "enterprise"

# ---- basic info: three kinds of fields (PFL 企业信息修改, TSA 信息变更) -----------------------
ENTERPRISE_TYPES = {
    "state_owned": "国有企业",
    "collective": "集体企业",
    "private": "私营企业",
    "limited_liability": "有限责任公司",
    "joint_stock": "股份有限公司",
    "foreign_invested": "外商投资企业",
    "hmt_invested": "港澳台投资企业",
    "public_institution": "事业单位",
    "other": "其他",
}
FIELD_LABELS = {
    "uscc": "统一社会信用代码",
    "name": "企业名称",
    "enterprise_type": "企业类型",
    "profile_status": "注册信息状态",
    "legal_person": "法人名称",
    "legal_representative": "法定代表人",
    "registered_address": "注册地址（营业执照住所）",
    "current_address": "经营地址",
    "region_code": "所属地区",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "email": "电子邮箱",
    "registered_capital_wan": "注册资本（万元）",
    "net_assets_wan": "净资产（万元）",
    "established_on": "成立日期",
    "business_scope": "经营范围",
    "parent_name": "上级单位",
    "parent_enterprise_id": "上级单位",
    "business_licence": "营业执照（副本）",
    "legal_rep_id": "法定代表人身份证",
}
READ_ONLY_FIELDS = ("uscc",)
# Changed only through a 变更申请 (登记事项变更), decided by review.
LOCKED_FIELDS = ("name", "enterprise_type", "legal_person", "legal_representative", "registered_address")
EDITABLE_FIELDS = ("current_address", "region_code", "contact_name", "contact_phone", "email",
                   "registered_capital_wan", "net_assets_wan", "established_on", "business_scope",
                   "parent_enterprise_id", "parent_name")
# Registration step 2 (HMQ 填写注册企业信息) fills the locked fields once, while still a draft.
PROFILE_FIELDS = LOCKED_FIELDS + EDITABLE_FIELDS
REQUIRED_PROFILE_FIELDS = ("name", "enterprise_type", "legal_person", "legal_representative",
                           "registered_address", "current_address", "region_code", "contact_name",
                           "contact_phone", "email")
REQUIRED_PROFILE_FILES = ("business_licence", "legal_rep_id")

PROFILE_DRAFT = "draft"
PROFILE_SUBMITTED = "submitted"
CHANGE_PENDING = "pending"
CHANGE_APPROVED = "approved"
CHANGE_REJECTED = "rejected"
CHANGE_WITHDRAWN = "withdrawn"
CHANGE_STATUS_LABELS = {CHANGE_PENDING: "待审核", CHANGE_APPROVED: "已通过", CHANGE_REJECTED: "未通过",
                        CHANGE_WITHDRAWN: "已撤回"}


PROFILE_STATUS_LABELS = {PROFILE_DRAFT: "草稿（未提交）", PROFILE_SUBMITTED: "已提交"}
# A licence holder's key staff row while its 人员入职/离职申请 is reviewed (usecases/key_staff.py);
# here so the record views label it without importing the use case.
STAFF_JOIN_PENDING = "join_pending"
STAFF_LEAVE_PENDING = "leave_pending"
APPROVAL_LABELS = {STAFF_JOIN_PENDING: "入职审批中", STAFF_LEAVE_PENDING: "离职审批中"}


def value_label(field: str | None, value: object) -> str:
    """A recorded value as people read it (变更记录): enterprise types, statuses and regions by
    name instead of their codes (issue 16 item 4); other values as they are."""
    if value is None or value == "":
        return ""
    text = str(value)
    names: dict[str, str] = {"enterprise_type": ENTERPRISE_TYPES, "profile_status": PROFILE_STATUS_LABELS,
                             "status": CHANGE_STATUS_LABELS}.get(field or "", {})
    if text in names:
        return names[text]
    if field == "region_code":
        return region_label(text) or text
    return text


def change_request_outcome(decision: str | None) -> str:
    """A change request's status after review's answer (approved / rejected / closed)."""
    return {"approved": CHANGE_APPROVED, "rejected": CHANGE_REJECTED}.get(decision or "", CHANGE_WITHDRAWN)

# ---- rosters (主要人员), docs/contracts.md -------------------------------------------------
ID_TYPES = {"resident_id": "居民身份证", "passport": "护照", "hk_macao_taiwan": "港澳台居民证件",
            "other": "其他证件"}
LEVELS = {"senior": "高级", "intermediate": "中级", "junior": "初级"}
# Labels are the permits catalogue's vocabulary (services/permits/catalogue/*.yaml): the
# pre-check matches a project by its code or by this label, so keep the two in step.
PROJECT_CATEGORIES = {
    "install": "输变电工程安装", "repair": "电力设施检修", "test": "电气试验",
    "roadbed_pavement": "路基路面养护", "bridge": "桥梁养护", "tunnel": "隧道养护",
    "traffic_safety": "交通安全设施养护", "highway_maintenance": "公路养护（其他）",
    "construction": "建筑施工", "other": "其他",
}
SECTIONS = ("staff", "projects", "equipment", "shareholders")
SECTION_LABELS = {"basic": "基本信息", "staff": "主要人员", "projects": "业绩", "equipment": "设备",
                  "shareholders": "股权结构", "attachments": "附件"}

# ---- attachments --------------------------------------------------------------------------
# purpose -> (accepted kinds, owner section or None for the enterprise itself)
ATTACHMENT_PURPOSES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "business_licence": (("pdf",), None),
    "legal_rep_id": (("pdf",), None),
    "staff_document": (("pdf", "image"), "staff"),
    "project_acceptance": (("pdf",), "projects"),
    "equipment_proof": (("pdf", "image"), "equipment"),
}

_NAME_RE = re.compile(r"^[\u4e00-\u9fa5A-Za-z0-9（）()·．.\-&\s]+$")


def _err(errors: FieldErrors, name: str, code: str, message: str) -> None:
    errors.setdefault(name, []).append(field_error(code, message))


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# ---- regions: services.common.regions (re-exported for the service and the importer) ----------


# ---- value parsing --------------------------------------------------------------------------
def parse_amount(value: object, errors: FieldErrors, name: str, *, minimum: float = 0.0,
                 maximum: float = 1e9) -> float | None:
    if _blank(value):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        _err(errors, name, "invalid", "请输入数字")
        return None
    if not number.is_finite() or number < Decimal(str(minimum)) or number > Decimal(str(maximum)):
        _err(errors, name, "range", f"数值应在{minimum:g}至{maximum:g}之间")
        return None
    return float(round(number, 4))


def parse_int(value: object, errors: FieldErrors, name: str, *, minimum: int = 0,
              maximum: int = 1_000_000) -> int | None:
    if _blank(value):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        _err(errors, name, "invalid", "请输入整数")
        return None
    if not minimum <= number <= maximum:
        _err(errors, name, "range", f"数值应在{minimum}至{maximum}之间")
        return None
    return number


def parse_date(value: object, errors: FieldErrors, name: str, *, today: date | None = None,
               allow_future: bool = False) -> date | None:
    if _blank(value):
        return None
    if isinstance(value, date):
        parsed = value
    else:
        try:
            parsed = date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            _err(errors, name, "invalid", "日期格式应为 YYYY-MM-DD")
            return None
    if not allow_future and parsed > (today or date.today()):
        _err(errors, name, "future", "日期不能晚于今天")
        return None
    if parsed.year < 1900:
        _err(errors, name, "range", "日期不正确")
        return None
    return parsed


def _text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


# ---- basic info -------------------------------------------------------------------------------
def clean_basic_info(data: dict[str, Any], *, required: tuple[str, ...] = (),
                     today: date | None = None) -> tuple[dict[str, Any], FieldErrors]:
    """Normalise the basic-info fields present in ``data``; errors per field (Chinese)."""
    errors: FieldErrors = {}
    out: dict[str, Any] = {}
    for name in PROFILE_FIELDS:
        if name not in data:
            continue
        out[name] = _text(data, name)
    for name in ("name", "legal_person"):
        value = out.get(name)
        if value is not None and not (2 <= len(value) <= 100 and _NAME_RE.match(value)):
            _err(errors, name, "invalid", f"{FIELD_LABELS[name]}应为2至100个字，不含特殊符号")
    if out.get("legal_representative") is not None and not 2 <= len(out["legal_representative"]) <= 50:
        _err(errors, "legal_representative", "invalid", "法定代表人姓名应为2至50个字")
    for name in ("registered_address", "current_address"):
        if out.get(name) is not None and not 5 <= len(out[name]) <= 200:
            _err(errors, name, "invalid", "地址应为5至200个字")
    if out.get("enterprise_type") is not None and out["enterprise_type"] not in ENTERPRISE_TYPES:
        _err(errors, "enterprise_type", "invalid", "请选择企业类型")
    if out.get("region_code") is not None and out["region_code"] not in regions():
        _err(errors, "region_code", "invalid", "请选择所属地区（内蒙古自治区的盟市/区县，或其他省份）")
    if out.get("contact_name") is not None and not 2 <= len(out["contact_name"]) <= 50:
        _err(errors, "contact_name", "invalid", "联系人姓名应为2至50个字")
    phone = out.get("contact_phone")
    if phone is not None and not (is_mobile(phone) or re.fullmatch(r"0\d{2,3}-?\d{7,8}", phone)):
        _err(errors, "contact_phone", "invalid", "请填写手机号码或带区号的固定电话")
    if out.get("email") is not None:
        out["email"] = out["email"].lower()
        if not is_email(out["email"]):
            _err(errors, "email", "invalid", "电子邮箱格式不正确")
    for name in ("registered_capital_wan", "net_assets_wan"):
        if name in data:
            out[name] = parse_amount(data.get(name), errors, name,
                                     minimum=-1e9 if name == "net_assets_wan" else 0.0)
    if "established_on" in data:
        out["established_on"] = parse_date(data.get("established_on"), errors, "established_on",
                                           today=today)
    if out.get("business_scope") is not None and len(out["business_scope"]) > 2000:
        _err(errors, "business_scope", "invalid", "经营范围不能超过2000个字")
    for name in required:
        if _blank(out.get(name)) and name not in errors:
            _err(errors, name, "required", "此项为必填项")
    return out, errors


def locked_edits(current: dict[str, Any], changes: dict[str, Any]) -> list[str]:
    """Locked or read-only fields whose new value differs from the stored one."""
    return [name for name in (*READ_ONLY_FIELDS, *LOCKED_FIELDS)
            if name in changes and (changes[name] or None) != (current.get(name) or None)]


def locked_edit_errors(fields: list[str]) -> FieldErrors:
    errors: FieldErrors = {}
    for name in fields:
        if name in READ_ONLY_FIELDS:
            _err(errors, name, "read_only", f"{FIELD_LABELS[name]}不可修改")
        else:
            _err(errors, name, "locked",
                 f"{FIELD_LABELS[name]}不能直接修改，请发起“变更申请”（登记事项变更），审核通过后生效")
    return errors


def diff(current: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(field, old, new) for every field whose value changes, values as display strings."""
    out = []
    for name, value in new.items():
        old = current.get(name)
        if _display(old) != _display(value):
            out.append((name, _display(old), _display(value)))
    return out


def _display(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def change_request_errors(current: dict[str, Any], changes: dict[str, Any]) -> FieldErrors:
    """A 变更申请 holds only locked fields, each really changed."""
    errors: FieldErrors = {}
    if not changes:
        _err(errors, "_", "empty", "请至少填写一项变更后的内容")
    for name, value in changes.items():
        if name not in LOCKED_FIELDS:
            _err(errors, name, "not_locked", "该项无需变更申请，可直接修改" if name in EDITABLE_FIELDS
                 else "该项不能变更")
        elif (value or None) == (current.get(name) or None):
            _err(errors, name, "unchanged", "变更后的内容与变更前相同")
    return errors


def open_cases_message(cases: list[dict[str, Any]]) -> str:
    titles = "、".join(str(c.get("title") or c.get("id")) for c in cases[:3])
    more = f"等{len(cases)}项" if len(cases) > 3 else ""
    return f"本单位有正在办理的业务（{titles}{more}），办结后才能申请企业名称变更"


def profile_completeness_errors(profile: dict[str, Any], files: set[str]) -> FieldErrors:
    errors: FieldErrors = {}
    _, field_errors = clean_basic_info(profile, required=REQUIRED_PROFILE_FIELDS)
    errors.update(field_errors)
    for name in REQUIRED_PROFILE_FIELDS:
        if _blank(profile.get(name)) and name not in errors:
            _err(errors, name, "required", "此项为必填项")
    for purpose in REQUIRED_PROFILE_FILES:
        if purpose not in files:
            _err(errors, purpose, "required", f"请上传{FIELD_LABELS[purpose]}（PDF）")
    return errors


# ---- access -------------------------------------------------------------------------------
READ, WRITE = "read", "write"


def acting_enterprise(actor: dict[str, Any]) -> str | None:
    if actor.get("kind") == "enterprise":
        return str(actor.get("enterprise_id") or actor["id"])
    if actor.get("kind") == "sub":
        return str(actor["enterprise_id"]) if actor.get("enterprise_id") else None
    return None


def access_refusal(actor: dict[str, Any] | None, enterprise_id: str, mode: str) -> str | None:
    """None when allowed, else why not (a code for the audit trail).

    The enterprise itself (main account, or a sub-account holding the 企业信息 module;
    read-only subs only read) reaches only its own records. Reviewers and admins read
    (audited by the caller); a reviewer must also have a case about the enterprise in their
    jurisdiction, which the service asks review. ``actor is None`` is a service asking on its
    own behalf.
    """
    if actor is None:
        return None if mode == READ else "service_write"
    kind = actor.get("kind")
    if kind in ("enterprise", "sub"):
        if acting_enterprise(actor) != str(enterprise_id):
            return "other_enterprise"
        if not may_use(kind, list(actor.get("permissions") or []), MODULE, mode == WRITE):
            return "read_only" if READ_ONLY in (actor.get("permissions") or []) else "no_module"
        return None
    if kind in ("reviewer", "admin"):
        return None if mode == READ else "staff_write"
    return "unknown_actor"


# ---- staff --------------------------------------------------------------------------------
STAFF_FIELDS = ("category", "name", "id_type", "id_number", "title", "title_level", "skill_level",
                "specialty", "years_experience", "witness_phone", "certificates", "work_experience",
                "training_history", "mobile", "gender", "education")


def clean_staff(data: dict[str, Any], *, today: date | None = None) -> tuple[dict[str, Any], FieldErrors]:
    errors: FieldErrors = {}
    out: dict[str, Any] = {}
    out["category"] = _text(data, "category")
    if out["category"] not in STAFF_CATEGORIES:
        _err(errors, "category", "invalid" if out["category"] else "required", "请选择人员类别")
    out["name"] = _text(data, "name")
    if out["name"] is None:
        _err(errors, "name", "required", "此项为必填项")
    elif not 2 <= len(out["name"]) <= 50:
        _err(errors, "name", "invalid", "姓名应为2至50个字")
    out["id_type"] = _text(data, "id_type") or "resident_id"
    if out["id_type"] not in ID_TYPES:
        _err(errors, "id_type", "invalid", "请选择证件类型")
    number = (_text(data, "id_number") or "").upper()
    out["id_number"] = number or None
    if not number:
        _err(errors, "id_number", "required", "此项为必填项")
    elif out["id_type"] == "resident_id":
        problem = resident_id_error(number, today)
        if problem:
            _err(errors, "id_number", problem, {
                "length": "身份证号码应为18位",
                "characters": "身份证号码只能包含数字和末位X",
                "birth_date": "身份证号码中的出生日期不正确",
                "check_digit": "身份证号码校验位不正确，请核对",
            }[problem])
    elif not re.fullmatch(r"[A-Z0-9\-()（）]{5,30}", number):
        _err(errors, "id_number", "invalid", "证件号码格式不正确")
    for name in ("title", "specialty", "gender", "education"):
        out[name] = _text(data, name)
    for name in ("title_level", "skill_level"):
        out[name] = _text(data, name)
        if out[name] is not None and out[name] not in LEVELS:
            _err(errors, name, "invalid", "请选择高级、中级或初级")
    out["years_experience"] = parse_int(data.get("years_experience"), errors, "years_experience",
                                        maximum=70)
    for name, label in (("witness_phone", "证明人电话"), ("mobile", "手机号码")):
        out[name] = _text(data, name)
        if out[name] is not None and not is_mobile(out[name]):
            _err(errors, name, "invalid", f"{label}应为11位手机号码")
    out["certificates"] = _clean_certificates(data.get("certificates"), errors, today)
    out["work_experience"] = _clean_periods(data.get("work_experience"), errors, "work_experience",
                                            ("employer", "position", "witness", "witness_phone"), today)
    out["training_history"] = _clean_periods(data.get("training_history"), errors, "training_history",
                                             ("course", "organiser", "hours"), today)
    if out["category"] != "safety_lead" and (out["work_experience"] or out["training_history"]):
        pass  # kept: harmless for other categories, PFL asks only the safety lead for them
    return out, errors


def _clean_certificates(value: object, errors: FieldErrors, today: date | None) -> list[dict]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        _err(errors, "certificates", "invalid", "证书格式不正确")
        return []
    out = []
    for index, item in enumerate(value):
        item = item if isinstance(item, dict) else {}
        key = f"certificates.{index}"
        kind = _text(item, "kind")
        number = _text(item, "number")
        if not kind and not number:
            continue
        if kind not in CERTIFICATE_KINDS:
            _err(errors, key + ".kind", "invalid", "请选择证书类别")
        if not number:
            _err(errors, key + ".number", "required", "请填写证书编号")
        valid_until = parse_date(item.get("valid_until"), errors, key + ".valid_until", today=today,
                                 allow_future=True)
        out.append({"kind": kind, "number": number, "specialty": _text(item, "specialty"),
                    "valid_until": valid_until.isoformat() if valid_until else None})
    return out


def _clean_periods(value: object, errors: FieldErrors, name: str, keys: tuple[str, ...],
                   today: date | None) -> list[dict]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        _err(errors, name, "invalid", "格式不正确")
        return []
    out = []
    for index, item in enumerate(value):
        item = item if isinstance(item, dict) else {}
        key = f"{name}.{index}"
        entry = {k: _text(item, k) for k in keys}
        if not any(entry.values()) and not item.get("started_on"):
            continue
        started = parse_date(item.get("started_on"), errors, key + ".started_on", today=today)
        ended = parse_date(item.get("ended_on"), errors, key + ".ended_on", today=today)
        if started and ended and ended < started:
            _err(errors, key + ".ended_on", "order", "结束日期不能早于开始日期")
        phone = entry.get("witness_phone")
        if phone and not is_mobile(phone):
            _err(errors, key + ".witness_phone", "invalid", "证明人电话应为11位手机号码")
        entry["started_on"] = started.isoformat() if started else None
        entry["ended_on"] = ended.isoformat() if ended else None
        out.append(entry)
    return out


def duplicate_id_error(id_number: str, holder: dict[str, Any] | None) -> FieldErrors:
    """The same ID number once per enterprise: name the row that already has it."""
    if holder is None:
        return {}
    category = STAFF_CATEGORIES.get(holder["category"], holder["category"])
    return {"id_number": [field_error(
        "duplicate", f"证件号码已登记在“{category}”中的第{holder['row']}行（{holder['name']}），"
                     "同一人员只能登记一次")]}


def staff_summary(counts: dict[str, int]) -> list[dict[str, Any]]:
    """人员汇总: one row per category, plus the total (computed, never typed)."""
    rows = [{"category": key, "label": label, "count": int(counts.get(key, 0))}
            for key, label in STAFF_CATEGORIES.items()]
    rows.append({"category": "total", "label": "合计", "count": sum(r["count"] for r in rows)})
    return rows


# ---- projects, equipment, shareholding -------------------------------------------------------
def clean_project(data: dict[str, Any], *, today: date | None = None) -> tuple[dict[str, Any], FieldErrors]:
    errors: FieldErrors = {}
    out: dict[str, Any] = {"name": _text(data, "name"), "client": _text(data, "client"),
                           "category": _text(data, "category"), "grade": _text(data, "grade")}
    for name in ("name", "client", "category"):
        if out[name] is None:
            _err(errors, name, "required", "此项为必填项")
    if out["category"] is not None and out["category"] not in PROJECT_CATEGORIES:
        _err(errors, "category", "invalid", "请选择业绩类别")
    out["contract_amount_wan"] = parse_amount(data.get("contract_amount_wan"), errors,
                                              "contract_amount_wan", maximum=1e8)
    if out["contract_amount_wan"] is None and "contract_amount_wan" not in errors:
        _err(errors, "contract_amount_wan", "required", "此项为必填项")
    out["voltage_kv"] = parse_amount(data.get("voltage_kv"), errors, "voltage_kv", maximum=1500)
    out["length_km"] = parse_amount(data.get("length_km"), errors, "length_km", maximum=100000)
    out["started_on"] = parse_date(data.get("started_on"), errors, "started_on", today=today)
    out["completed_on"] = parse_date(data.get("completed_on"), errors, "completed_on", today=today)
    if out["started_on"] is None and "started_on" not in errors:
        _err(errors, "started_on", "required", "此项为必填项")
    if out["started_on"] and out["completed_on"] and out["completed_on"] < out["started_on"]:
        _err(errors, "completed_on", "order", "竣工日期不能早于开工日期")
    return out, errors


def project_summary(projects: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """业绩汇总 by category and by voltage level: count and total contract amount (万元)."""
    def add(table: dict, key: str, label: str, amount: float | None) -> None:
        row = table.setdefault(key, {"key": key, "label": label, "count": 0, "amount_wan": 0.0})
        row["count"] += 1
        row["amount_wan"] = round(row["amount_wan"] + (amount or 0.0), 4)

    by_category: dict[str, dict] = {}
    by_voltage: dict[str, dict] = {}
    for project in projects:
        category = project.get("category") or "other"
        add(by_category, category, PROJECT_CATEGORIES.get(category, category),
            project.get("contract_amount_wan"))
        voltage = project.get("voltage_kv")
        key = "none" if voltage is None else f"{voltage:g}"
        add(by_voltage, key, "未注明" if voltage is None else f"{voltage:g}kV",
            project.get("contract_amount_wan"))
    return {"by_category": list(by_category.values()),
            "by_voltage": sorted(by_voltage.values(),
                                 key=lambda r: -1.0 if r["key"] == "none" else float(r["key"]))}


def clean_equipment(data: dict[str, Any]) -> tuple[dict[str, Any], FieldErrors]:
    errors: FieldErrors = {}
    out: dict[str, Any] = {"name": _text(data, "name"), "kind": _text(data, "kind"),
                           "model": _text(data, "model")}
    if out["name"] is None:
        _err(errors, "name", "required", "此项为必填项")
    out["quantity"] = parse_int(data.get("quantity"), errors, "quantity", minimum=1, maximum=100000)
    if out["quantity"] is None and "quantity" not in errors:
        _err(errors, "quantity", "required", "此项为必填项")
    return out, errors


def clean_shareholder(data: dict[str, Any], others_total: float) -> tuple[dict[str, Any], FieldErrors]:
    """A holder and its share in percent; all holders together at most 100 %."""
    errors: FieldErrors = {}
    out: dict[str, Any] = {"holder": _text(data, "holder"), "holder_kind": _text(data, "holder_kind")}
    if out["holder"] is None:
        _err(errors, "holder", "required", "此项为必填项")
    out["share_percent"] = parse_amount(data.get("share_percent"), errors, "share_percent",
                                        minimum=0.0001, maximum=100)
    if out["share_percent"] is None and "share_percent" not in errors:
        _err(errors, "share_percent", "required", "此项为必填项")
    if out["share_percent"] is not None and round(others_total + out["share_percent"], 4) > 100:
        _err(errors, "share_percent", "over_100",
             f"持股比例合计不能超过100%（其他股东已占{others_total:g}%）")
    return out, errors


def shareholding_check(shares: list[float]) -> dict[str, Any]:
    """Totals for the page and the submit-check: complete only at exactly 100 %."""
    total = round(sum(shares), 4)
    return {"total_percent": total, "complete": abs(total - 100) < 1e-6,
            "message": None if abs(total - 100) < 1e-6 else f"持股比例合计为{total:g}%，应为100%"}


# ---- fuzzy organisation search (PFL 选择上级单位) ----------------------------------------------
def fuzzy_pattern(query: str) -> str | None:
    """A LIKE pattern matching the query's characters in order ('电力公司' → '%电%力%公%司%')."""
    chars = [ch for ch in query.strip() if not ch.isspace()][:30]
    if not chars:
        return None
    escaped = [ch.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for ch in chars]
    return "%" + "%".join(escaped) + "%"


def fuzzy_rank(query: str, names: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(id, name) ranked: substring matches first, then by similarity."""
    q = query.strip()
    def score(item: tuple[str, str]) -> tuple[int, float]:
        return (0 if q in item[1] else 1, -difflib.SequenceMatcher(None, q, item[1]).ratio())
    return sorted(names, key=score)
