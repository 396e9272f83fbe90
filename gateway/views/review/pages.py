"""审核 pages: the queue, one case, workload, delegation, campaigns, the enterprise's side."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from gateway.views.documents import case_documents
from gateway.views.forms import flash, uploaded_file
from gateway.views.review.common import (
    CASE_TYPE_CHOICES,
    DONE_MESSAGES,
    ENTERPRISE,
    QUEUE_ARGS,
    SORT_CHOICES,
    STAFF,
    STATUS_CHOICES,
    ReviewBase,
    _campaign_payload,
)
from services.common.errors import ValidationFailed


class ReviewPages(ReviewBase):
    """The 审核 pages."""

    # ---- the queue ---------------------------------------------------------------------------
    def on_review_queue(self, request: Request) -> Response:
        actor = self.review_actor(request)
        query = self._queue_query(request)
        page = self._review(request).queue(actor, query)
        keep = {k: v for k, v in request.args.items() if k in QUEUE_ARGS and k != "cursor" and v}
        next_url = (
            f"/review/cases?{urlencode({**keep, 'cursor': page['next_cursor']})}"
            if page["next_cursor"]
            else None
        )
        return self.render(
            request,
            "review_queue.html",
            page=page,
            query=query,
            args=request.args,
            next_url=next_url,
            first_url=f"/review/cases?{urlencode(keep)}",
            statuses=STATUS_CHOICES,
            sorts=SORT_CHOICES,
            case_types=CASE_TYPE_CHOICES,
        )

    def on_review_batch(self, request: Request) -> Response:
        actor = self.review_actor(request)
        case_ids = request.form.getlist("case_ids")
        if not case_ids:
            return self._page_error(request, "请先勾选要批量处理的案件", 422)
        result = self._review(request).batch_act(
            actor,
            {
                "case_ids": case_ids,
                "action": request.form.get("action", ""),
                "comment": request.form.get("comment", ""),
            },
        )
        return self.render(request, "review_batch.html", result=result)

    # ---- one case ------------------------------------------------------------------------------
    def on_review_case(
        self, request: Request, case_id: str, errors: dict | None = None, status: int = 200
    ) -> Response:
        actor = self.review_actor(request)
        case = self._review(request).case_detail(actor, case_id)
        colleagues = (self.clients(request).identity.desk_staff(actor["id"])
                      if case.get("queue") == "active" else [])
        return self.render(
            request,
            "review_case.html",
            status=status,
            case=case,
            documents=case_documents(case),
            colleagues=colleagues or [],
            errors=errors or {},
            form=request.form if request.method == "POST" else {},
        )

    def on_review_case_print(self, request: Request, case_id: str) -> Response:
        actor = self.review_actor(request)
        history = self._review(request).case_history(actor, case_id)
        return self.render(request, "review_history.html", case=history, printable=True)

    def on_review_case_op(self, request: Request, case_id: str, op: str) -> Response:
        actor = self.review_actor(request)
        form = request.form
        try:
            if op in ("claim", "release"):
                client = self._review(request)
                (client.claim if op == "claim" else client.release)(actor, case_id)
            elif op == "assign":
                self._review(request).assign(
                    actor, case_id, {"reviewer_id": form.get("reviewer_id", "")}
                )
            elif op == "extend":
                days = form.get("days", "")
                self._review(request).extend_clock(
                    actor,
                    case_id,
                    {"days": int(days) if days.isdigit() else 0, "reason": form.get("reason", "")},
                )
            elif op == "rectification":
                self._review(request).resolve_rectification(
                    actor,
                    case_id,
                    {"outcome": form.get("outcome", ""), "comment": form.get("comment", "")},
                )
            else:
                self._review(request).act(actor, case_id, self._action_payload(form))
        except ValidationFailed as exc:
            return self.on_review_case(
                request, case_id, exc.fields or {"_": [{"code": exc.code, "message": exc.message}]}, 422
            )
        done = (form.get("action") or "") if op == "act" else ("resolve" if op == "rectification" else op)
        flash(request, DONE_MESSAGES.get(done, "已提交。"))  # shown on the next page
        if op == "act" and form.get("action") in ("forward", "approve", "reject", "return"):
            return redirect("/review/cases", code=303)
        return redirect(f"/review/cases/{case_id}", code=303)

    @staticmethod
    def _action_payload(form: Any) -> dict[str, Any]:
        items = []
        for key in form.getlist("correct"):
            target, _, name = key.partition(":")
            items.append({"target": target, "name": name, "reason": form.get(f"reason:{key}", "")})
        rect_items = []
        for line in (form.get("rectification_items") or "").splitlines():
            name, sep, requirement = line.replace("：", ":").partition(":")
            if name.strip():
                rect_items.append(
                    {"name": name.strip(), "requirement": (requirement if sep else name).strip()}
                )
        payload: dict[str, Any] = {
            "action": form.get("action", ""),
            "comment": form.get("comment", ""),
            "items": items,
            "rectification_items": rect_items,
        }
        if form.get("deadline"):
            payload["deadline"] = form["deadline"]
        if (form.get("expected_version") or "").isdigit():
            payload["expected_version"] = int(form["expected_version"])
        return payload

    # ---- workload, delegation, campaigns ---------------------------------------------------------
    @staticmethod
    def _period(request: Request) -> dict[str, str]:
        return {k: request.args[k] for k in ("from", "to") if request.args.get(k)}

    def on_review_workload(self, request: Request) -> Response:
        actor = self.review_actor(request)
        return self.render(request, "review_workload.html",
                           workload=self._review(request).workload(actor, self._period(request)))

    def on_review_delegations(self, request: Request) -> Response:
        actor = self.review_actor(request)
        errors: dict = {}
        status = 200
        if request.method == "POST":
            try:
                self._review(request).delegate(
                    actor,
                    {
                        k: request.form.get(k) or None
                        for k in ("to_reviewer", "from_reviewer", "starts_on", "ends_on", "reason")
                    },
                )
                return redirect("/review/delegations", code=303)
            except ValidationFailed as exc:
                errors, status = exc.fields, 422
        delegations = self._review(request).list_delegations(actor)["delegations"]
        people = self._delegation_people(request, actor)
        return self.render(
            request,
            "review_delegations.html",
            status=status,
            delegations=delegations,
            people=people,
            names={p["id"]: p["name"] for p in people} | {str(actor["id"]): actor["name"]},
            errors=errors,
            form=request.form,
        )

    def _delegation_people(self, request: Request, actor: dict) -> list[dict[str, str]]:
        """Whom a delegation can name (a picker, not an account id): a reviewer's colleagues at
        the desk; for an admin every reviewer."""
        if actor.get("kind") == "admin":
            staff = [s for s in self.clients(request).identity.list_staff_accounts(actor["id"]) or []
                     if s.get("kind") == "reviewer" and s.get("status") != "disabled"]
        else:
            staff = [s for s in self.clients(request).identity.desk_staff(actor["id"]) or []
                     if str(s.get("id")) != str(actor["id"])]
        return [{"id": str(s["id"]), "name": f"{s.get('contact_name') or s.get('login')}（{s.get('login')}）"}
                for s in staff]

    def on_review_revoke(self, request: Request, delegation_id: int) -> Response:
        actor = self.review_actor(request)
        self._review(request).revoke_delegation(actor, delegation_id)
        return redirect("/review/delegations", code=303)

    def on_review_campaigns(self, request: Request) -> Response:
        actor = self.review_actor(request, kinds=("admin",))
        errors: dict = {}
        status = 200
        if request.method == "POST":
            try:
                self._review(request).start_campaign(actor, _campaign_payload(request.form))
                return redirect("/admin/campaigns", code=303)
            except ValidationFailed as exc:
                errors, status = exc.fields, 422
        campaigns = self._review(request).list_campaigns(actor)["campaigns"]
        return self.render(
            request,
            "review_campaigns.html",
            status=status,
            campaigns=campaigns,
            errors=errors,
            form=request.form,
        )

    # ---- the enterprise's side -------------------------------------------------------------------
    def on_my_cases(self, request: Request) -> Response:
        actor = self.review_actor(request, kinds=ENTERPRISE)
        cases = self._review(request).enterprise_cases(actor)["cases"]
        todos = self._review(request).todos(actor)["todos"]
        return self.render(request, "review_my_cases.html", cases=cases, todos=todos, errors={})

    def on_my_case_history(self, request: Request, case_key: str) -> Response:
        actor = self.review_actor(request, kinds=(*ENTERPRISE, *STAFF))
        history = self._review(request).case_history(actor, case_key)
        return self.render(request, "review_history.html", case=history, printable=True)

    def on_my_rectification(self, request: Request, rect_id: int) -> Response:
        actor = self.review_actor(request, kinds=ENTERPRISE)
        try:
            evidence = []
            for name in sorted(k for k in request.files if k.startswith("evidence:")):
                upload = uploaded_file(request, name)
                if upload is not None:
                    label = request.form.get(f"evidence_label:{name.partition(':')[2]}", "")
                    evidence.append({**upload, "label": label})
            self._review(request).submit_rectification(
                actor,
                rect_id,
                {"statement": request.form.get("statement", ""), "evidence": evidence},
            )
        except ValidationFailed as exc:
            message = "；".join(e["message"] for errs in exc.fields.values() for e in errs) or exc.message
            return self._page_error(request, message, 422)
        return redirect("/cases", code=303)

    def on_my_self_inspection(self, request: Request, target_id: str) -> Response:
        actor = self.review_actor(request, kinds=ENTERPRISE)
        errors: dict = {}
        status = 200
        if request.method == "POST":
            answers = {k[2:]: v for k, v in request.form.items() if k.startswith("a:")}
            try:
                files = {
                    name[5:]: upload
                    for name in request.files
                    if name.startswith("file:") and (upload := uploaded_file(request, name))
                }
                self._review(request).submit_self_inspection(
                    actor,
                    target_id,
                    {"answers": answers, "files": files},
                )
                return redirect("/cases", code=303)
            except ValidationFailed as exc:
                errors, status = {k.removeprefix("file:"): v for k, v in exc.fields.items()}, 422
        todo = self._review(request).self_inspection(actor, target_id)
        return self.render(
            request, "review_self_inspection.html", status=status, todo=todo, errors=errors, form=request.form
        )

    def on_review_attachment(self, request: Request, attachment_id: str) -> Response:
        """整改 evidence and 自查 materials: review checks who may read them, then 303 to S3."""
        actor = self.review_actor(request, kinds=(*ENTERPRISE, *STAFF))
        link = self._review(request).attachment_url(actor, attachment_id)
        return redirect(link["url"], code=303)

    on_api_review_attachment = on_review_attachment
