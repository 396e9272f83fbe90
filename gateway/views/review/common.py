"""审核's choices, messages, form helpers and ReviewBase (the helpers the pages and the API use)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from gateway.clients.review import ReviewClient
from services.common.access import actor_from_account

STAFF = ("reviewer", "admin")
ENTERPRISE = ("enterprise", "sub")
QUEUE_ARGS = ("case_type", "step", "status", "overdue", "enterprise", "mine", "sort", "cursor")
STATUS_CHOICES = [
    ("active", "待办（待受理/审核中）"),
    ("waiting", "等待企业（补正/整改）"),
    ("done", "已办结"),
    ("submitted", "待受理"),
    ("in_review", "审核中"),
    ("correction", "待企业补正"),
    ("rectification", "整改中"),
    ("approved", "审核通过"),
    ("rejected", "审核不通过"),
    ("withdrawn", "企业已撤回"),
    ("terminated", "已终止"),
]
SORT_CHOICES = [("received", "按提交时间"), ("due", "按办理期限"), ("updated", "按最近更新")]
CASE_TYPE_CHOICES = [
    ("", "全部业务"),
    ("hmq.*", "公路养护作业单位资质"),
    ("pfl.*", "承装（修、试）电力设施许可"),
    ("cip.*", "建筑施工企业安全生产许可"),
    ("identity.*", "企业注册审核"),
    ("enterprise.*", "企业信息变更"),
    ("personnel.*", "人员执业资格"),
]
# What the next page says after an operation on a case (issue 16 item 6: no silent return).
DONE_MESSAGES = {
    "claim": "已领取该案件。", "release": "已释放该案件，其他审核人员可以领取。", "assign": "已分配。",
    "extend": "已延长办理期限。", "resolve": "整改处理意见已提交。",
    "accept": "已受理。", "approve": "审核意见已提交：同意。", "forward": "审核意见已提交：同意并上报。",
    "reject": "审核意见已提交：不同意。", "return": "已退回上一环节。",
    "correction": "已一次性告知企业补正，计时暂停。", "rectification": "已通知企业整改。",
}


class ReviewBase:
    """Helpers of the 审核 views."""

    # ---- helpers -----------------------------------------------------------------------------
    def review_actor(self, request: Request, kinds: tuple[str, ...] = STAFF) -> dict:
        account = self.require(request, kinds=kinds)
        actor = actor_from_account(account)
        actor["name"] = account.get("contact_name") or account.get("login")
        return actor

    def _review(self, request: Request) -> ReviewClient:
        """The review service for this request (gateway/clients/review.py)."""
        return self.clients(request).review

    def _queue_query(self, request: Request) -> dict[str, Any]:
        args = request.args
        query: dict[str, Any] = {
            k: args.get(k) for k in ("case_type", "step", "enterprise", "cursor") if args.get(k)
        }
        query["status"] = args.get("status") or "active"
        query["sort"] = args.get("sort") or "received"
        if args.get("overdue") in ("1", "0", "true", "false"):
            query["overdue"] = args.get("overdue") in ("1", "true")
        query["mine"] = args.get("mine") in ("1", "true", "on")
        if args.get("limit", "").isdigit():
            query["limit"] = int(args["limit"])
        return query

    def _page_error(self, request: Request, message: str, status: int = 400) -> Response:
        return self.render(request, "error.html", status=status, message=message)


def _campaign_payload(form: Any) -> dict[str, Any]:
    """The admin form: one form item per line ``name|label|required|kind``; targets one per line
    ``enterprise_id|enterprise name|region_code``."""
    items = []
    for line in (form.get("form_items") or "").splitlines():
        parts = [p.strip() for p in line.split("|")]
        if parts and parts[0]:
            items.append(
                {
                    "name": parts[0],
                    "label": parts[1] if len(parts) > 1 and parts[1] else parts[0],
                    "required": (parts[2] if len(parts) > 2 else "required") != "optional",
                    "kind": parts[3] if len(parts) > 3 and parts[3] else "text",
                }
            )
    targets = []
    for line in (form.get("targets") or "").splitlines():
        parts = [p.strip() for p in line.split("|")]
        if parts and parts[0]:
            targets.append(
                {
                    "enterprise_id": parts[0],
                    "enterprise_name": parts[1] if len(parts) > 1 else "",
                    "region_code": parts[2] if len(parts) > 2 else "",
                }
            )
    return {
        "business_type": form.get("business_type", ""),
        "title": form.get("title", ""),
        "deadline": form.get("deadline") or None,
        "form": items,
        "targets": targets,
    }
