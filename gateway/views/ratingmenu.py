"""The 好差评 menu (PFL): 一次一评 (this visit at a window) and 一事一评 (one case), each a page
that generates a QR code with its link (the seed: 后台点击生成，再点击二维码链接); statistics stay
on /ratings/stats. Names, not codes: a business-type picker and a picker of the desk's cases."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from gateway.labels import _case_type_labels
from gateway.views.notify import qr_svg
from services.common.access import actor_from_account
from services.common.contracts.ratings import RATING_MODES
from services.common.errors import ServiceError, ValidationFailed

STAFF = ("reviewer", "admin")
CASE_CHOICES = 50


def business_choices() -> list[tuple[str, str]]:
    """The business families a 一次一评 code may be about: each chain family (``pfl.power.*``) and
    the types that belong to no family, by name (review's chains file)."""
    labels = _case_type_labels()
    families = [p for p, _ in labels if p.endswith(".*")]
    seen: set[str] = set()
    choices = []
    for pattern, label in labels:
        top = pattern.endswith(".*") or not any(fnmatchcase(pattern, f) for f in families if f != pattern)
        if top and label not in seen:
            seen.add(label)
            choices.append((pattern, label))
    return choices


class RatingMenuViews:
    ROUTES = [
        Rule("/ratings/visit", endpoint="rating_visit", methods=["GET", "POST"]),
        Rule("/ratings/case", endpoint="rating_case", methods=["GET", "POST"]),
    ]

    def on_rating_visit(self, request: Request) -> Response:
        return self._rating_mode_page(request, "visit")

    def on_rating_case(self, request: Request) -> Response:
        return self._rating_mode_page(request, "case")

    def _desk_cases(self, request: Request, actor: dict, enterprise: str) -> list[dict[str, Any]]:
        """The desk's cases to rate (一事一评), of the enterprise searched for by name if any: open
        ones, then finished ones; none for an admin without a desk."""
        cases: list[dict[str, Any]] = []
        query: dict[str, Any] = {"sort": "received", "limit": CASE_CHOICES}
        if enterprise:
            query["enterprise"] = enterprise[:100]
        for status in ("active", "done"):
            try:
                page = self.clients(request).review.queue(  # type: ignore[attr-defined]
                    actor, {**query, "status": status})
            except ServiceError:
                continue
            cases += [c for c in page.get("items") or [] if c.get("case_ref")]
        return cases

    def _rating_mode_page(self, request: Request, mode: str) -> Response:
        account = self.require(request, kinds=STAFF)  # type: ignore[attr-defined]
        actor = actor_from_account(account)
        enterprise = request.args.get("enterprise", "").strip()
        cases = self._desk_cases(request, actor, enterprise) if mode == "case" else []
        context: dict[str, Any] = {"mode": mode, "title": RATING_MODES[mode], "errors": {}, "form": {},
                                   "enterprise": enterprise,
                                   "cases": cases, "businesses": business_choices(), "token": None,
                                   "qr": None, "url": None}
        if request.method == "POST":
            form = {k: request.form.get(k, "").strip() for k in ("case_ref", "business_type")}
            context["form"] = form
            payload = {"mode": mode, "case_ref": (form["case_ref"] or None) if mode == "case" else None,
                       "business_type": (form["business_type"] or None) if mode == "visit" else None,
                       "reviewer_name": account.get("contact_name") or account.get("login")}
            try:
                token = self.clients(request).notify.create_rating_token(  # type: ignore[attr-defined]
                    actor, payload)
            except ValidationFailed as exc:
                return self.render(request, "rating_mode.html", status=422,  # type: ignore[attr-defined]
                                   **{**context, "errors": exc.fields})
            url = f"{self.public_url()}/rate/{token['token']}"  # type: ignore[attr-defined]
            context.update(token=token, url=url, qr=qr_svg(url))
        return self.render(request, "rating_mode.html", **context)  # type: ignore[attr-defined]
