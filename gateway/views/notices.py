"""通知公告 (administrators publish, everyone reads) and 办事指南 (one guide per business type,
read from permits' catalogue: what it covers, the transactions with their legal time limits and
review levels, the categories and grades, the materials to prepare). Both readable without
signing in; publishing and withdrawing are for administrators (notify checks again, audited)."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from gateway.views.forms import flash
from services.common.access import actor_from_account
from services.common.errors import ValidationFailed

LEVEL_LABELS = {"city": "盟市", "province": "自治区", "ministry": "部级"}
LANE_LABELS = {"normal": "一般程序", "fast_track": "容缺受理", "free_trade_zone": "自贸区"}
KIND_LABELS = {"qualification": "资质", "licence": "许可证"}


def guide_rows(business_type: dict[str, Any]) -> list[dict[str, Any]]:
    """The transactions of a business type as the guide lists them: names, the legal time limit
    per lane in words, and the review levels in order."""
    rows = []
    for t in business_type.get("transactions") or []:
        limits = "；".join(f"{LANE_LABELS.get(lane, '其他程序')}{days}个工作日"
                          for lane, days in (t.get("time_limit_days") or {}).items())
        rows.append({"label": t.get("label") or "", "limits": limits or "—",
                     "levels": " → ".join(LEVEL_LABELS.get(level, "其他") for level in t.get("levels") or []),
                     "needs_precheck": bool(t.get("needs_precheck"))})
    return rows


class NoticeGuideViews:
    ROUTES = [
        Rule("/notices", endpoint="notices", methods=["GET"]),
        Rule("/notices/<notice_id>", endpoint="notice_detail", methods=["GET"]),
        Rule("/admin/notices", endpoint="notice_publish", methods=["POST"]),
        Rule("/admin/notices/<notice_id>/withdraw", endpoint="notice_withdraw", methods=["POST"]),
        Rule("/guides", endpoint="guides", methods=["GET"]),
        Rule("/guides/<type_code>", endpoint="guide", methods=["GET"]),
    ]

    # ---- 通知公告 ------------------------------------------------------------------------------------
    def _notices_page(self, request: Request, errors: dict | None = None, form: Any = None,
                      status: int = 200) -> Response:
        account = self.current_actor(request)  # type: ignore[attr-defined]
        listing = self.clients(request).notify.list_notices()  # type: ignore[attr-defined]
        return self.render(request, "notices.html", status=status,  # type: ignore[attr-defined]
                           notices=listing["notices"], admin=bool(account and account["kind"] == "admin"),
                           errors=errors or {}, form=form or {})

    def on_notices(self, request: Request) -> Response:
        return self._notices_page(request)

    def on_notice_detail(self, request: Request, notice_id: str) -> Response:
        account = self.current_actor(request)  # type: ignore[attr-defined]
        notice = self.clients(request).notify.get_notice(notice_id)  # type: ignore[attr-defined]
        return self.render(request, "notice_detail.html", notice=notice,  # type: ignore[attr-defined]
                           admin=bool(account and account["kind"] == "admin"))

    def _admin_actor(self, request: Request) -> dict:
        account = self.require(request, kinds=("admin",))  # type: ignore[attr-defined]
        actor = actor_from_account(account)
        actor["name"] = account.get("contact_name") or account.get("login")
        return actor

    def on_notice_publish(self, request: Request) -> Response:
        actor = self._admin_actor(request)
        form = {k: request.form.get(k, "") for k in ("title", "body")}
        try:
            self.clients(request).notify.publish_notice(actor, form)  # type: ignore[attr-defined]
        except ValidationFailed as exc:
            return self._notices_page(request, exc.fields, form, 422)
        flash(request, "公告已发布。")
        return redirect("/notices", code=303)

    def on_notice_withdraw(self, request: Request, notice_id: str) -> Response:
        actor = self._admin_actor(request)
        self.clients(request).notify.withdraw_notice(actor, notice_id)  # type: ignore[attr-defined]
        flash(request, "公告已撤回。")
        return redirect("/notices", code=303)

    # ---- 办事指南 ------------------------------------------------------------------------------------
    def on_guides(self, request: Request) -> Response:
        self.current_actor(request)  # type: ignore[attr-defined]  # the menu of whoever reads it
        types = self.clients(request).permits.catalogue_types({})  # type: ignore[attr-defined]
        return self.render(request, "guides.html", types=types, kinds=KIND_LABELS,  # type: ignore[attr-defined]
                           rows={t["code"]: guide_rows(t) for t in types})

    def on_guide(self, request: Request, type_code: str) -> Response:
        self.current_actor(request)  # type: ignore[attr-defined]
        business_type = self.clients(request).permits.catalogue_type({}, type_code)  # type: ignore[attr-defined]
        return self.render(request, "guide.html", t=business_type, kinds=KIND_LABELS,  # type: ignore[attr-defined]
                           rows=guide_rows(business_type))
