"""Pure rules of the seed screens (gateway/views/seedscreens.py): which 申请业务 tab a case sits
under (TSA), how 我的整改 rows read, and the columns of an applicant's records. No I/O."""

from __future__ import annotations

from typing import Any

APPLICANT_SECTIONS = {"staff": "主要人员", "projects": "业绩", "equipment": "设备"}
APPLICANT_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "staff": [("name", "姓名"), ("category_label", "人员类别"), ("id_number", "证件号码"),
              ("title", "职称"), ("specialty", "专业"), ("years_experience", "工作年限")],
    "projects": [("name", "项目名称"), ("client", "发包单位"), ("category_label", "类别"),
                 ("voltage_kv", "电压等级(kV)"), ("contract_amount_wan", "合同金额(万元)"),
                 ("completed_on", "竣工日期")],
    "equipment": [("name", "设备名称"), ("kind", "类别"), ("model", "规格型号"), ("quantity", "数量")],
}

# TSA 申请业务: 提交审核后在【待审核】查看进度；审核通过、等待核发证书在【待考核】；
# 证书核发（办结）在【审核通过】；驳回在【审核不通过】。
APPLICATION_TABS = {"pending": "待审核", "approved": "审核通过", "rejected": "审核不通过",
                    "assessment": "待考核"}
_IN_REVIEW = ("submitted", "in_review", "correction", "rectification")


def application_tab(case: dict[str, Any]) -> str | None:
    """The tab a review case is listed under, or None (withdrawn / terminated: on 审核进度 only).

    A case still open at its chain's issuance step (核发, stage ``issue``) has passed review and
    waits for the certificate: 待考核. Any other open case, waiting for the enterprise's 补正 or
    整改 included, is 待审核."""
    status = str(case.get("status") or "")
    if status == "approved":
        return "approved"
    if status == "rejected":
        return "rejected"
    if status in _IN_REVIEW:
        return "assessment" if case.get("stage") == "issue" and status == "in_review" else "pending"
    return None


RECTIFICATION_STATUS = {"open": "待整改", "submitted": "已提交，待审核人员确认", "closed": "整改已通过",
                        "escalated": "整改未通过，已转入审核处理"}


def rectification_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """我的整改 rows: open ones first (they need an answer), then the rest newest first as given;
    each with its status in words and whether the enterprise may answer it now."""
    rows = [{**item, "status_label": RECTIFICATION_STATUS.get(str(item.get("status")), "处理中"),
             "answerable": item.get("status") == "open"} for item in items]
    return sorted(rows, key=lambda row: 0 if row["answerable"] else 1)
