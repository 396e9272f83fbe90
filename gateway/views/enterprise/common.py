"""企业信息's sections, form helpers and EnterpriseBase (the helpers the pages and the API use)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from gateway.views.forms import uploaded_file
from services.common.errors import FieldErrors, ValidationFailed

SECTIONS = "any(staff, projects, equipment, shareholders)"
BASIC_FIELDS = (
    "name",
    "enterprise_type",
    "legal_person",
    "legal_representative",
    "registered_address",
    "current_address",
    "region_code",
    "contact_name",
    "contact_phone",
    "email",
    "registered_capital_wan",
    "net_assets_wan",
    "established_on",
    "business_scope",
    "parent_enterprise_id",
    "parent_name",
)
EDITABLE = (
    "current_address",
    "region_code",
    "contact_name",
    "contact_phone",
    "email",
    "registered_capital_wan",
    "net_assets_wan",
    "established_on",
    "business_scope",
    "parent_enterprise_id",
)
FILE_FIELDS = ("business_licence", "legal_rep_id")
ROSTER_PAGE = 50
NESTED_ROWS = 3  # rows of certificates / work experience / training shown in a form

# (name, label, kind, required, options) per section form; kind: text, number, date, select
SECTION_FIELDS: dict[str, list[tuple[str, str, str, bool, str | None]]] = {
    "staff": [
        ("category", "人员类别", "select", True, "staff_categories"),
        ("name", "姓名", "text", True, None),
        ("id_type", "证件类型", "select", True, "id_types"),
        ("id_number", "证件号码", "text", True, None),
        ("gender", "性别", "text", False, None),
        ("education", "学历", "text", False, None),
        ("mobile", "手机号码", "text", False, None),
        ("title", "职称", "text", False, None),
        ("title_level", "职称等级", "select", False, "levels"),
        ("skill_level", "技能等级", "select", False, "levels"),
        ("specialty", "专业", "text", False, None),
        ("years_experience", "工作年限（年）", "number", False, None),
        ("witness_phone", "证明人手机号码", "text", False, None),
    ],
    "projects": [
        ("name", "项目名称", "text", True, None),
        ("client", "发包单位", "text", True, None),
        ("category", "业绩类别", "select", True, "project_categories"),
        ("grade", "等级", "text", False, None),
        ("voltage_kv", "电压等级（kV）", "number", False, None),
        ("contract_amount_wan", "合同金额（万元）", "number", True, None),
        ("length_km", "线路长度（km）", "number", False, None),
        ("started_on", "开工日期", "date", True, None),
        ("completed_on", "竣工日期", "date", False, None),
    ],
    "equipment": [
        ("name", "设备名称", "text", True, None),
        ("kind", "设备类别", "text", False, None),
        ("model", "规格型号", "text", False, None),
        ("quantity", "数量", "number", True, None),
    ],
    "shareholders": [
        ("holder", "股东名称", "text", True, None),
        ("holder_kind", "股东类型", "text", False, None),
        ("share_percent", "持股比例（%）", "number", True, None),
    ],
}
SECTION_TITLES = {"staff": "主要人员", "projects": "业绩", "equipment": "设备", "shareholders": "股权结构"}
SECTION_COLUMNS = {
    "staff": [
        ("name", "姓名"),
        ("category_label", "人员类别"),
        ("id_number", "证件号码"),
        ("title", "职称"),
        ("specialty", "专业"),
        ("years_experience", "工作年限"),
    ],
    "projects": [
        ("name", "项目名称"),
        ("client", "发包单位"),
        ("category_label", "类别"),
        ("voltage_kv", "电压等级(kV)"),
        ("contract_amount_wan", "合同金额(万元)"),
        ("completed_on", "竣工日期"),
    ],
    "equipment": [("name", "设备名称"), ("kind", "类别"), ("model", "规格型号"), ("quantity", "数量")],
    "shareholders": [("holder", "股东名称"), ("holder_kind", "股东类型"), ("share_percent", "持股比例(%)")],
}
NESTED = {
    "certificates": (
        "证书",
        [
            ("kind", "证书类别", "select", "certificate_kinds"),
            ("number", "证书编号", "text", None),
            ("specialty", "证书专业", "text", None),
            ("valid_until", "有效期至", "date", None),
        ],
    ),
    "work_experience": (
        "工作经历（安全负责人）",
        [
            ("employer", "工作单位", "text", None),
            ("position", "职务", "text", None),
            ("started_on", "开始日期", "date", None),
            ("ended_on", "结束日期", "date", None),
            ("witness", "证明人", "text", None),
            ("witness_phone", "证明人手机", "text", None),
        ],
    ),
    "training_history": (
        "培训经历（安全负责人）",
        [
            ("course", "培训内容", "text", None),
            ("organiser", "培训机构", "text", None),
            ("started_on", "开始日期", "date", None),
            ("ended_on", "结束日期", "date", None),
            ("hours", "学时", "text", None),
        ],
    ),
}
OWNER_PURPOSE = {"staff": "staff_document", "projects": "project_acceptance", "equipment": "equipment_proof"}


def _record_from_form(request: Request, section: str) -> dict[str, Any]:
    data: dict[str, Any] = {name: request.form.get(name, "") for name, *_ in SECTION_FIELDS[section]}
    if section == "staff":
        for nested, (_, columns) in NESTED.items():
            rows = []
            for index in range(NESTED_ROWS):
                row = {key: request.form.get(f"{nested}.{index}.{key}", "") for key, *_ in columns}
                rows.append(row)
            data[nested] = rows
    return data


def _upload_from(request: Request, name: str, errors: FieldErrors) -> dict[str, str] | None:
    """uploaded_file, with a too-large file noted in the form's errors instead of raised."""
    try:
        return uploaded_file(request, name)
    except ValidationFailed as exc:
        errors.update(exc.fields)
        return None


class EnterpriseBase:
    """Helpers of the 企业信息 views."""

    # ---- helpers --------------------------------------------------------------------------
    def _ent_actor(self, request: Request, write: bool = False) -> dict:
        return self.actor_for_rpc(request, kinds=("enterprise", "sub"), module="enterprise", write=write)

    def _reference(self, request: Request) -> dict:
        cached = getattr(self, "_enterprise_reference", None)
        if cached is None:
            cached = self.clients(request).enterprise.reference_data()
            self._enterprise_reference = cached
        return cached

    def _page(
        self, request: Request, template: str, actor: dict, status: int = 200, **context: Any
    ) -> Response:
        return self.render(
            request,
            template,
            status=status,
            ref=self._reference(request),
            read_only=not self._may_write(actor),
            tab=context.pop("tab", "basic"),
            **context,
        )

    @staticmethod
    def _may_write(actor: dict) -> bool:
        return actor["kind"] == "enterprise" or (
            "enterprise" in actor["permissions"] and "read_only" not in actor["permissions"]
        )
