"""Seed screens that had no page (issue 16 item 9): the reviewer's view of an applicant's
主要人员 / 业绩 / 设备 from a case, and the enterprise's 申请业务 tabs (TSA) and 我的整改 (HMQ).

The gateway decides nothing about access here: review's ``case_detail`` refuses a case outside
the reviewer's desk (audited), and enterprise's ``list_records`` checks again that the reviewer
works a case about the enterprise and audits every staff read (``enterprise.read_by_staff``).
"""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from gateway.views.seedrules import (
    APPLICANT_COLUMNS,
    APPLICANT_SECTIONS,
    APPLICATION_TABS,
    RECTIFICATION_STATUS,
    application_tab,
    rectification_rows,
)
from services.common.access import actor_from_account
from services.common.wording import mask_id

STAFF = ("reviewer", "admin")
ENTERPRISE = ("enterprise", "sub")
PAGE_SIZE = 50


class SeedScreenViews:
    ROUTES = [
        Rule("/review/cases/<case_id>/applicant/<any(staff, projects, equipment):section>",
             endpoint="review_applicant", methods=["GET"]),
        Rule("/applications", endpoint="my_applications", methods=["GET"]),
        Rule("/rectifications", endpoint="my_rectifications", methods=["GET"]),
    ]

    # ---- 申请单位的主要人员 / 业绩 / 设备, read from the case ------------------------------------
    def on_review_applicant(self, request: Request, case_id: str, section: str) -> Response:
        account = self.require(request, kinds=STAFF)  # type: ignore[attr-defined]
        actor = actor_from_account(account)
        case = self.clients(request).review.case_detail(actor, case_id)  # type: ignore[attr-defined]
        enterprise_id = case.get("enterprise_id")
        if not enterprise_id:
            raise HTTPNotFound()
        page = max(1, request.args.get("page", 1, type=int) or 1)
        query: dict[str, Any] = {"page": page, "per_page": PAGE_SIZE}
        listing = self.clients(request).enterprise.list_records(actor,  # type: ignore[attr-defined]
                                                                str(enterprise_id), section, query)
        items = []
        for item in listing.get("items") or []:
            if section == "staff":  # lists mask the 身份证号 (issue 16 item 8)
                item = {**item, "id_number": mask_id(item.get("id_number"))}
            items.append(item)
        pages = max(1, -(-int(listing.get("total") or 0) // PAGE_SIZE))
        return self.render(  # type: ignore[attr-defined]
            request, "review_applicant.html", case=case, section=section, sections=APPLICANT_SECTIONS,
            title=APPLICANT_SECTIONS[section], columns=APPLICANT_COLUMNS[section], items=items,
            listing=listing, pages=pages, page=page)

    # ---- 申请业务 (TSA): the enterprise's applications by 待审核 / 审核通过 / 审核不通过 / 待考核 ----------
    def on_my_applications(self, request: Request) -> Response:
        account = self.require(request, kinds=ENTERPRISE)  # type: ignore[attr-defined]
        actor = actor_from_account(account)
        tab = request.args.get("tab") or "pending"
        if tab not in APPLICATION_TABS:
            tab = "pending"
        cases = self.clients(request).review.enterprise_cases(actor)["cases"]  # type: ignore[attr-defined]
        counts = {key: 0 for key in APPLICATION_TABS}
        shown = []
        for case in cases:
            key = application_tab(case)
            if key is None:
                continue
            counts[key] += 1
            if key == tab:
                shown.append(case)
        return self.render(request, "my_applications.html", tabs=APPLICATION_TABS,  # type: ignore[attr-defined]
                           tab=tab, counts=counts, cases=shown)

    # ---- 我的整改 (HMQ): what review asked to rectify, its status, and the answer ----------------------
    def on_my_rectifications(self, request: Request) -> Response:
        account = self.require(request, kinds=ENTERPRISE)  # type: ignore[attr-defined]
        actor = actor_from_account(account)
        result = self.clients(request).review.enterprise_rectifications(actor)  # type: ignore[attr-defined]
        rows = rectification_rows(result.get("rectifications") or [])
        return self.render(request, "my_rectifications.html", rows=rows,  # type: ignore[attr-defined]
                           statuses=RECTIFICATION_STATUS)
