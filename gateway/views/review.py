"""审核工作台 (reviewer console) and the enterprise's side of review: queue, case, opinions,
corrections, workload, delegation, self-inspection campaigns, printable 审核历史; JSON API."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from werkzeug.routing import Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from gateway.http import INVALID_JSON, json_body, json_response
from gateway.views.documents import case_documents
from gateway.views.forms import CSRF_ERROR, csrf_ok, flash, uploaded_file
from services.common.access import actor_from_account
from services.common.errors import ValidationFailed

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
_ID = {"type": "string"}
_OBJ = {"type": "object"}


def _op(summary: str, body: str | None = None, ok: str = "200") -> dict[str, Any]:
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    operation: dict[str, Any] = {
        "summary": summary,
        "tags": ["review"],
        "responses": {
            ok: {"description": "ok", "content": {"application/json": {"schema": _OBJ}}},
            "401": {"description": "not signed in", "content": error},
            "403": {"description": "not allowed (audited)", "content": error},
            "404": {"description": "no such case", "content": error},
            "409": {"description": "claimed by someone else / changed", "content": error},
            "422": {"description": "invalid fields or action", "content": error},
        },
    }
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}},
        }
    return operation


def _path_param(name: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": _ID}]


class ReviewViews:
    ROUTES = [
        Rule("/review/cases", endpoint="review_queue", methods=["GET"]),
        Rule("/review/cases/batch", endpoint="review_batch", methods=["POST"]),
        Rule("/review/cases/<case_id>", endpoint="review_case", methods=["GET"]),
        Rule(
            "/review/cases/<case_id>/<any(claim, release, act, assign, extend, rectification):op>",
            endpoint="review_case_op",
            methods=["POST"],
        ),
        Rule("/review/cases/<case_id>/print", endpoint="review_case_print", methods=["GET"]),
        Rule("/review/workload", endpoint="review_workload", methods=["GET"]),
        Rule("/review/delegations", endpoint="review_delegations", methods=["GET", "POST"]),
        Rule("/review/delegations/<int:delegation_id>/revoke", endpoint="review_revoke", methods=["POST"]),
        Rule("/admin/campaigns", endpoint="review_campaigns", methods=["GET", "POST"]),
        Rule("/cases", endpoint="my_cases", methods=["GET"]),
        Rule("/cases/<path:case_key>/history", endpoint="my_case_history", methods=["GET"]),
        Rule("/rectifications/<int:rect_id>", endpoint="my_rectification", methods=["POST"]),
        Rule("/self-inspections/<target_id>", endpoint="my_self_inspection", methods=["GET", "POST"]),
        Rule("/review/attachments/<attachment_id>", endpoint="review_attachment", methods=["GET"]),
        Rule("/api/v1/review/attachments/<attachment_id>", endpoint="api_review_attachment", methods=["GET"]),
        Rule("/api/v1/review/cases", endpoint="api_review_queue", methods=["GET"]),
        Rule("/api/v1/review/cases/<case_id>", endpoint="api_review_case", methods=["GET"]),
        *(
            Rule(
                f"/api/v1/review/cases/<case_id>/{op}",
                endpoint="api_review_case_op",
                methods=["POST"],
                defaults={"op": op},
            )
            for op in ("claim", "release", "assign", "actions", "extension", "rectification")
        ),
        Rule("/api/v1/review/batch", endpoint="api_review_batch", methods=["POST"]),
        Rule("/api/v1/review/workload", endpoint="api_review_workload", methods=["GET"]),
        Rule("/api/v1/review/delegations", endpoint="api_review_delegations", methods=["GET", "POST"]),
        Rule(
            "/api/v1/review/delegations/<int:delegation_id>",
            endpoint="api_review_delegation",
            methods=["DELETE"],
        ),
        Rule("/api/v1/review/campaigns", endpoint="api_review_campaigns", methods=["GET", "POST"]),
        Rule("/api/v1/review/my-cases", endpoint="api_my_cases", methods=["GET"]),
        Rule("/api/v1/review/my-cases/<path:case_key>/history", endpoint="api_my_case_history",
            methods=["GET"]),
        Rule("/api/v1/review/todos", endpoint="api_my_todos", methods=["GET"]),
        Rule(
            "/api/v1/review/rectifications/<int:rect_id>/evidence",
            endpoint="api_my_rectification",
            methods=["POST"],
        ),
        Rule(
            "/api/v1/review/self-inspections/<target_id>",
            endpoint="api_my_self_inspection",
            methods=["GET", "POST"],
        ),
    ]

    OPENAPI_PATHS: dict[str, Any] = {
        "/api/v1/review/cases": {
            "get": {
                **_op("The reviewer's desk queue (keyset pages)"),
                "parameters": [
                    {"name": n, "in": "query", "required": False, "schema": _ID} for n in QUEUE_ARGS
                ],
            }
        },
        "/api/v1/review/cases/{case_id}": {
            "get": {
                **_op("A case: fields, attachments, diff, history, clock"),
                "parameters": _path_param("case_id"),
            }
        },
        **{
            f"/api/v1/review/cases/{{case_id}}/{op}": {
                "post": {**_op(summary, body), "parameters": _path_param("case_id")}
            }
            for op, summary, body in (
                ("claim", "Claim a case (exactly one of racing reviewers wins)", None),
                ("release", "Release a claimed case", None),
                ("assign", "Assign / reassign to a reviewer of the same desk", "ReviewAssign"),
                (
                    "actions",
                    "An opinion: accept / approve / forward / reject / correction / rectification / return",
                    "ReviewAction",
                ),
                ("extension", "Extend the statutory time limit with a reason", "ReviewExtension"),
                ("rectification", "Close or escalate a rectification", "ReviewResolveRectification"),
            )
        },
        "/api/v1/review/batch": {
            "post": _op("Approve / forward / return many cases; a result per item", "ReviewBatch")
        },
        "/api/v1/review/workload": {"get": _op("Open cases per reviewer of the desk (admins: per desk); "
                                               "done per reviewer and desk in ?from=&to= (dates), with "
                                               "the average handling time against the legal limit")},
        "/api/v1/review/delegations": {
            "get": _op("Delegations involving me (admins: my desk)"),
            "post": _op("Delegate my cases to a colleague between two dates", "ReviewDelegation", "201"),
        },
        "/api/v1/review/delegations/{delegation_id}": {
            "delete": {**_op("Revoke a delegation"), "parameters": _path_param("delegation_id")}
        },
        "/api/v1/review/campaigns": {
            "get": _op("Self-inspection campaigns (admins)"),
            "post": _op("Start a self-inspection campaign (admins)", "ReviewCampaign", "201"),
        },
        "/api/v1/review/my-cases": {"get": _op("The enterprise's review cases with their clocks")},
        "/api/v1/review/my-cases/{case_key}/history": {
            "get": {
                **_op("审核历史 and 跟踪 of one case (case id or case_ref)"),
                "parameters": _path_param("case_key"),
            }
        },
        "/api/v1/review/todos": {"get": _op("我的待办: corrections, rectifications, self-inspections")},
        "/api/v1/review/attachments/{attachment_id}": {
            "get": {
                "summary": "Download 整改 evidence or a 自查 material (303 to a short-lived URL)",
                "tags": ["review"],
                "parameters": _path_param("attachment_id"),
                "responses": {
                    "303": {"description": "redirect to the presigned download URL"},
                    "404": {
                        "description": "no such attachment, or not yours / not your jurisdiction",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                },
            }
        },
        "/api/v1/review/rectifications/{rect_id}/evidence": {
            "post": {
                **_op("Submit rectification evidence", "ReviewEvidence"),
                "parameters": _path_param("rect_id"),
            }
        },
        "/api/v1/review/self-inspections/{target_id}": {
            "get": {**_op("A self-inspection to do"), "parameters": _path_param("target_id")},
            "post": {
                **_op("Submit a self-inspection (missing required items refused)", "ReviewSelfInspection"),
                "parameters": _path_param("target_id"),
            },
        },
    }
    OPENAPI_SCHEMAS: dict[str, Any] = {
        "ReviewAssign": {"type": "object", "required": ["reviewer_id"], "properties": {"reviewer_id": _ID}},
        "ReviewAction": {
            "type": "object",
            "required": ["action"],
            "properties": {
                "action": {
                    "type": "string",
                    "enum": [
                        "accept",
                        "approve",
                        "forward",
                        "reject",
                        "correction",
                        "rectification",
                        "return",
                    ],
                },
                "comment": _ID,
                "deadline": {"type": "string", "format": "date"},
                "expected_version": {"type": "integer"},
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "target": {"type": "string", "enum": ["field", "attachment"]},
                            "name": _ID,
                            "reason": _ID,
                        },
                    },
                },
                "rectification_items": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"name": _ID, "requirement": _ID}},
                },
            },
        },
        "ReviewExtension": {
            "type": "object",
            "required": ["days", "reason"],
            "properties": {"days": {"type": "integer", "minimum": 1, "maximum": 30}, "reason": _ID},
        },
        "ReviewResolveRectification": {
            "type": "object",
            "required": ["outcome"],
            "properties": {"outcome": {"type": "string", "enum": ["close", "escalate"]}, "comment": _ID},
        },
        "ReviewBatch": {
            "type": "object",
            "required": ["case_ids", "action"],
            "properties": {
                "case_ids": {"type": "array", "items": _ID},
                "action": {"type": "string", "enum": ["approve", "forward", "return"]},
                "comment": _ID,
            },
        },
        "ReviewDelegation": {
            "type": "object",
            "required": ["to_reviewer", "starts_on", "ends_on"],
            "properties": {
                "to_reviewer": _ID,
                "from_reviewer": _ID,
                "starts_on": {"type": "string", "format": "date"},
                "ends_on": {"type": "string", "format": "date"},
                "reason": _ID,
            },
        },
        "ReviewCampaign": {
            "type": "object",
            "required": ["business_type", "title", "form", "deadline", "targets"],
            "properties": {
                "business_type": _ID,
                "title": _ID,
                "deadline": {"type": "string", "format": "date"},
                "form": {"type": "array", "items": _OBJ},
                "targets": {"type": "array", "items": _OBJ},
            },
        },
        "ReviewUpload": {
            "type": "object",
            "required": ["content_b64"],
            "properties": {"filename": _ID, "content_b64": {"type": "string", "format": "byte"}},
        },
        "ReviewEvidence": {
            "type": "object",
            "required": ["statement", "evidence"],
            "properties": {
                "statement": _ID,
                "evidence": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 10,
                    "items": {
                        "allOf": [
                            {"$ref": "#/components/schemas/ReviewUpload"},
                            {"type": "object", "properties": {"label": _ID}},
                        ]
                    },
                },
            },
        },
        "ReviewSelfInspection": {
            "type": "object",
            "properties": {
                "answers": {"type": "object", "additionalProperties": _ID},
                "files": {
                    "type": "object",
                    "description": "form item name -> the uploaded file (items of kind attachment)",
                    "additionalProperties": {"$ref": "#/components/schemas/ReviewUpload"},
                },
            },
        },
    }

    # ---- helpers -----------------------------------------------------------------------------
    def review_actor(self, request: Request, kinds: tuple[str, ...] = STAFF) -> dict:
        account = self.require(request, kinds=kinds)
        actor = actor_from_account(account)
        actor["name"] = account.get("contact_name") or account.get("login")
        return actor

    def _review_call(self, request: Request, method: str, *args: Any) -> Any:
        return self.call(request, "review", method, *args)

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

    # ---- the queue ---------------------------------------------------------------------------
    def on_review_queue(self, request: Request) -> Response:
        actor = self.review_actor(request)
        query = self._queue_query(request)
        page = self._review_call(request, "queue", actor, query)
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
        if not csrf_ok(request):
            return self._page_error(request, CSRF_ERROR["_"][0]["message"])
        case_ids = request.form.getlist("case_ids")
        if not case_ids:
            return self._page_error(request, "请先勾选要批量处理的案件", 422)
        result = self._review_call(
            request,
            "batch_act",
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
        case = self._review_call(request, "case_detail", actor, case_id)
        colleagues = (self.call(request, "identity", "desk_staff", actor["id"])
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
        history = self._review_call(request, "case_history", actor, case_id)
        return self.render(request, "review_history.html", case=history, printable=True)

    def on_review_case_op(self, request: Request, case_id: str, op: str) -> Response:
        actor = self.review_actor(request)
        if not csrf_ok(request):
            return self.on_review_case(request, case_id, CSRF_ERROR, 400)
        form = request.form
        try:
            if op in ("claim", "release"):
                self._review_call(request, op, actor, case_id)
            elif op == "assign":
                self._review_call(
                    request, "assign", actor, case_id, {"reviewer_id": form.get("reviewer_id", "")}
                )
            elif op == "extend":
                days = form.get("days", "")
                self._review_call(
                    request,
                    "extend_clock",
                    actor,
                    case_id,
                    {"days": int(days) if days.isdigit() else 0, "reason": form.get("reason", "")},
                )
            elif op == "rectification":
                self._review_call(
                    request,
                    "resolve_rectification",
                    actor,
                    case_id,
                    {"outcome": form.get("outcome", ""), "comment": form.get("comment", "")},
                )
            else:
                self._review_call(request, "act", actor, case_id, self._action_payload(form))
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
                           workload=self._review_call(request, "workload", actor, self._period(request)))

    def on_review_delegations(self, request: Request) -> Response:
        actor = self.review_actor(request)
        errors: dict = {}
        status = 200
        if request.method == "POST":
            if not csrf_ok(request):
                errors, status = CSRF_ERROR, 400
            else:
                try:
                    self._review_call(
                        request,
                        "delegate",
                        actor,
                        {
                            k: request.form.get(k) or None
                            for k in ("to_reviewer", "from_reviewer", "starts_on", "ends_on", "reason")
                        },
                    )
                    return redirect("/review/delegations", code=303)
                except ValidationFailed as exc:
                    errors, status = exc.fields, 422
        delegations = self._review_call(request, "list_delegations", actor)["delegations"]
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
            staff = [s for s in self.call(request, "identity", "list_staff_accounts", actor["id"]) or []
                     if s.get("kind") == "reviewer" and s.get("status") != "disabled"]
        else:
            staff = [s for s in self.call(request, "identity", "desk_staff", actor["id"]) or []
                     if str(s.get("id")) != str(actor["id"])]
        return [{"id": str(s["id"]), "name": f"{s.get('contact_name') or s.get('login')}（{s.get('login')}）"}
                for s in staff]

    def on_review_revoke(self, request: Request, delegation_id: int) -> Response:
        actor = self.review_actor(request)
        if not csrf_ok(request):
            return self._page_error(request, CSRF_ERROR["_"][0]["message"])
        self._review_call(request, "revoke_delegation", actor, delegation_id)
        return redirect("/review/delegations", code=303)

    def on_review_campaigns(self, request: Request) -> Response:
        actor = self.review_actor(request, kinds=("admin",))
        errors: dict = {}
        status = 200
        if request.method == "POST":
            if not csrf_ok(request):
                errors, status = CSRF_ERROR, 400
            else:
                try:
                    self._review_call(request, "start_campaign", actor, _campaign_payload(request.form))
                    return redirect("/admin/campaigns", code=303)
                except ValidationFailed as exc:
                    errors, status = exc.fields, 422
        campaigns = self._review_call(request, "list_campaigns", actor)["campaigns"]
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
        cases = self._review_call(request, "enterprise_cases", actor)["cases"]
        todos = self._review_call(request, "todos", actor)["todos"]
        return self.render(request, "review_my_cases.html", cases=cases, todos=todos, errors={})

    def on_my_case_history(self, request: Request, case_key: str) -> Response:
        actor = self.review_actor(request, kinds=(*ENTERPRISE, *STAFF))
        history = self._review_call(request, "case_history", actor, case_key)
        return self.render(request, "review_history.html", case=history, printable=True)

    def on_my_rectification(self, request: Request, rect_id: int) -> Response:
        actor = self.review_actor(request, kinds=ENTERPRISE)
        if not csrf_ok(request):
            return self._page_error(request, CSRF_ERROR["_"][0]["message"])
        try:
            evidence = []
            for name in sorted(k for k in request.files if k.startswith("evidence:")):
                upload = uploaded_file(request, name)
                if upload is not None:
                    label = request.form.get(f"evidence_label:{name.partition(':')[2]}", "")
                    evidence.append({**upload, "label": label})
            self._review_call(
                request,
                "submit_rectification",
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
            if not csrf_ok(request):
                errors, status = CSRF_ERROR, 400
            else:
                answers = {k[2:]: v for k, v in request.form.items() if k.startswith("a:")}
                try:
                    files = {
                        name[5:]: upload
                        for name in request.files
                        if name.startswith("file:") and (upload := uploaded_file(request, name))
                    }
                    self._review_call(
                        request,
                        "submit_self_inspection",
                        actor,
                        target_id,
                        {"answers": answers, "files": files},
                    )
                    return redirect("/cases", code=303)
                except ValidationFailed as exc:
                    errors, status = {k.removeprefix("file:"): v for k, v in exc.fields.items()}, 422
        todo = self._review_call(request, "self_inspection", actor, target_id)
        return self.render(
            request, "review_self_inspection.html", status=status, todo=todo, errors=errors, form=request.form
        )

    def on_review_attachment(self, request: Request, attachment_id: str) -> Response:
        """整改 evidence and 自查 materials: review checks who may read them, then 303 to S3."""
        actor = self.review_actor(request, kinds=(*ENTERPRISE, *STAFF))
        link = self._review_call(request, "attachment_url", actor, attachment_id)
        return redirect(link["url"], code=303)

    on_api_review_attachment = on_review_attachment

    # ---- JSON API ----------------------------------------------------------------------------------
    def _api_payload(self, request: Request) -> dict[str, Any] | None:
        self.require_api_csrf(request)
        return json_body(request)

    def on_api_review_queue(self, request: Request) -> Response:
        actor = self.review_actor(request)
        return json_response(self._review_call(request, "queue", actor, self._queue_query(request)), 200)

    def on_api_review_case(self, request: Request, case_id: str) -> Response:
        actor = self.review_actor(request)
        return json_response(self._review_call(request, "case_detail", actor, case_id), 200)

    def on_api_review_case_op(self, request: Request, case_id: str, op: str) -> Response:
        actor = self.review_actor(request)
        if op in ("claim", "release"):
            self.require_api_csrf(request)
            return json_response(self._review_call(request, op, actor, case_id), 200)
        payload = self._api_payload(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        method = {
            "assign": "assign",
            "actions": "act",
            "extension": "extend_clock",
            "rectification": "resolve_rectification",
        }[op]
        return json_response(self._review_call(request, method, actor, case_id, payload), 200)

    def on_api_review_batch(self, request: Request) -> Response:
        actor = self.review_actor(request)
        payload = self._api_payload(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(self._review_call(request, "batch_act", actor, payload), 200)

    def on_api_review_workload(self, request: Request) -> Response:
        actor = self.review_actor(request)
        return json_response(self._review_call(request, "workload", actor, self._period(request)), 200)

    def on_api_review_delegations(self, request: Request) -> Response:
        actor = self.review_actor(request)
        if request.method == "GET":
            return json_response(self._review_call(request, "list_delegations", actor), 200)
        payload = self._api_payload(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(self._review_call(request, "delegate", actor, payload), 201)

    def on_api_review_delegation(self, request: Request, delegation_id: int) -> Response:
        actor = self.review_actor(request)
        self.require_api_csrf(request)
        return json_response(self._review_call(request, "revoke_delegation", actor, delegation_id), 200)

    def on_api_review_campaigns(self, request: Request) -> Response:
        actor = self.review_actor(request, kinds=("admin",))
        if request.method == "GET":
            return json_response(self._review_call(request, "list_campaigns", actor), 200)
        payload = self._api_payload(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(self._review_call(request, "start_campaign", actor, payload), 201)

    def on_api_my_cases(self, request: Request) -> Response:
        actor = self.review_actor(request, kinds=ENTERPRISE)
        return json_response(self._review_call(request, "enterprise_cases", actor), 200)

    def on_api_my_case_history(self, request: Request, case_key: str) -> Response:
        actor = self.review_actor(request, kinds=(*ENTERPRISE, *STAFF))
        return json_response(self._review_call(request, "case_history", actor, case_key), 200)

    def on_api_my_todos(self, request: Request) -> Response:
        actor = self.review_actor(request, kinds=ENTERPRISE)
        return json_response(self._review_call(request, "todos", actor), 200)

    def on_api_my_rectification(self, request: Request, rect_id: int) -> Response:
        actor = self.review_actor(request, kinds=ENTERPRISE)
        payload = self._api_payload(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(self._review_call(request, "submit_rectification", actor, rect_id, payload), 200)

    def on_api_my_self_inspection(self, request: Request, target_id: str) -> Response:
        actor = self.review_actor(request, kinds=ENTERPRISE)
        if request.method == "GET":
            return json_response(self._review_call(request, "self_inspection", actor, target_id), 200)
        payload = self._api_payload(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        return json_response(
            self._review_call(request, "submit_self_inspection", actor, target_id, payload), 200
        )


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
