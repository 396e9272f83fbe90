"""人员管理 pages: transfers, persons' requests, 人员到期预警, 注册人员查询 with Excel download, 申辩."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from gateway.views.forms import uploaded_file
from gateway.views.personnel.common import (
    REGISTERED_FILTERS,
    STAFF_KINDS,
    PersonnelBase,
    _ids,
    _message_of,
    _xlsx_response,
)
from services.common.access import actor_from_account
from services.common.contracts.personnel import ANOMALY_KINDS
from services.common.errors import ServiceError


class PersonnelRegistryPages(PersonnelBase):
    """Transfers, requests, expiry, the registry and appeals."""

    # ---- transfers, persons' requests ---------------------------------------------------------
    def on_personnel_transfers(self, request: Request) -> Response:
        actor = self._pn_actor(request)
        incoming = self._pn(request).list_transfers(actor, {"direction": "incoming"})["items"]
        outgoing = self._pn(request).list_transfers(actor, {"direction": "outgoing"})["items"]
        return self._pn_page(
            request,
            "personnel_transfers.html",
            actor,
            incoming=incoming,
            outgoing=outgoing,
            notice=request.args.get("notice", ""),
            error=request.args.get("error", ""),
        )

    def on_personnel_transfer_action(self, request: Request, transfer_id: str, action: str) -> Response:
        actor = self._pn_actor(request, write=True)
        try:
            if action == "accept":
                declaration = self._pn(request).accept_transfer(actor, transfer_id)
                return self._pn_back(
                    f"/personnel/declarations/{declaration['id']}",
                    notice="已接收调入，请补充调入申报材料后上报",
                )
            if action == "return":
                self._pn(request).return_transfer(
                    actor, transfer_id, request.form.get("reason", "").strip()
                )
            else:
                self._pn(request).cancel_transfer(actor, transfer_id)
        except ServiceError as exc:
            return self._pn_back("/personnel/transfers", error=_message_of(exc))
        return self._pn_back(
            "/personnel/transfers", notice="已退回原单位" if action == "return" else "已撤销调出"
        )

    def on_personnel_requests(self, request: Request) -> Response:
        """个人申请: persons' transfer requests (TSA, consent) and withdrawal requests (REG), one by
        one or several at once, with a result per item."""
        actor = self._pn_actor(request, write=request.method == "POST")
        results, error = None, ""
        if request.method == "POST":
            ids, reason = _ids(request), request.form.get("reason", "").strip()
            decision = request.form.get("decision", "")
            try:
                if not ids:
                    error = "请先勾选申请"
                elif request.form.get("what") == "transfers":
                    results = self._pn(request).decide_transfers(
                        actor,
                        {"ids": ids, "decision": decision, "reason": reason},
                    )["results"]
                else:
                    results = [
                        self._withdrawal_decision(request, actor, i, decision == "agree", reason) for i in ids
                    ]
            except ServiceError as exc:
                error = _message_of(exc)
        transfers = [
            t
            for t in self._pn(request).list_transfers(actor, {"direction": None})["items"]
            if t.get("mode") == "consent"
        ]
        withdrawals = self._pn(request).list_declarations(
            actor,
            {"reported": True, "status": "withdrawal_requested", "limit": 200},
        )["items"]
        return self._pn_page(
            request,
            "personnel_requests.html",
            actor,
            status=422 if error else 200,
            transfers=transfers,
            withdrawals=withdrawals,
            results=results,
            error=error,
        )

    def _withdrawal_decision(
        self, request: Request, actor: dict, declaration_id: str, agree: bool, reason: str
    ) -> dict:
        try:
            d = self._pn(request).decide_withdrawal(
                actor, declaration_id, {"agree": agree, "reason": reason}
            )
        except ServiceError as exc:
            return {"id": declaration_id, "ok": False, "code": exc.code, "message": exc.message}
        return {
            "id": declaration_id,
            "ok": True,
            "status": d["status"],
            "code": "ok",
            "message": f"{d['person']['name']}：{d['status_label']}",
        }

    # ---- 人员到期预警, 注册人员查询, 申辩 ------------------------------------------------------------
    def on_personnel_expiring(self, request: Request) -> Response:
        actor = self._pn_actor(request)
        days = request.args.get("within_days", "90")
        query: dict[str, Any] = {"within_days": int(days) if days.isdigit() else 90}
        if request.args.get("type_code"):
            query["type_code"] = request.args["type_code"]
        items = self._pn(request).expiring(actor, query)["items"]
        return self._pn_page(request, "personnel_expiring.html", actor, items=items, query=query)

    def _registered_filters(self, request: Request) -> dict[str, Any]:
        return {k: request.args[k].strip() for k in REGISTERED_FILTERS if request.args.get(k, "").strip()}

    def on_personnel_registered(self, request: Request) -> Response:
        actor = self._pn_actor(request, staff=True)
        filters = self._registered_filters(request)
        page = self._pn(request).search_registered(
            actor,
            {
                **filters,
                "limit": 50,
                **({"cursor": request.args["cursor"]} if request.args.get("cursor") else {}),
            },
        )
        return self._pn_page(
            request,
            "personnel_registered.html",
            actor,
            anomaly_kinds=ANOMALY_KINDS,
            items=page["items"],
            next_cursor=page.get("next_cursor"),
            filters=filters,
            export_query=urlencode(filters),
        )

    def on_personnel_export(self, request: Request) -> Response:
        actor = self._pn_actor(request, staff=True)
        return _xlsx_response(
            self._pn(request).export_registered(actor, self._registered_filters(request))
        )

    def on_personnel_appeals(self, request: Request) -> Response:
        """申辩管理: the enterprise answers; reviewers and admins see their region's and decide."""
        actor = self._pn_actor(request, staff=True)
        status = request.args.get("status") or None
        appeals = self._pn(request).list_appeals(actor, {"status": status} if status else {})["items"]
        return self._pn_page(
            request,
            "personnel_appeals.html",
            actor,
            appeals=appeals,
            staff=actor["kind"] in STAFF_KINDS,
            anomaly_kinds=ANOMALY_KINDS,
            notice=request.args.get("notice", ""),
            error=request.args.get("error", ""),
        )

    def on_personnel_appeal_raise(self, request: Request) -> Response:
        """A reviewer raises an anomaly from 注册人员查询 (e.g. the same person at two employers)."""
        actor = actor_from_account(self.require(request, kinds=STAFF_KINDS))
        fields = ("enterprise_id", "person_id", "kind", "detail", "deadline")
        try:
            self._pn(request).raise_anomaly(
                actor, {k: request.form.get(k, "").strip() or None for k in fields}
            )
        except ServiceError as exc:
            return self._pn_back("/personnel/registered", error=_message_of(exc))
        return self._pn_back("/personnel/appeals", notice="已发起申辩，等待企业说明")

    def on_personnel_appeal_close(self, request: Request, appeal_id: str) -> Response:
        actor = actor_from_account(self.require(request, kinds=STAFF_KINDS))
        try:
            self._pn(request).close_appeal(
                actor,
                appeal_id,
                {
                    "outcome": request.form.get("outcome", ""),
                    "opinion": request.form.get("opinion", "").strip(),
                },
            )
        except ServiceError as exc:
            return self._pn_back("/personnel/appeals", error=_message_of(exc))
        return self._pn_back("/personnel/appeals", notice="审核结论已保存")

    def on_personnel_appeal_answer(self, request: Request, appeal_id: str) -> Response:
        actor = self._pn_actor(request, write=True)
        try:
            evidence = [uploaded_file(request, "evidence")] if request.files.get("evidence") else []
            self._pn(request).answer_appeal(
                actor,
                appeal_id,
                {
                    "explanation": request.form.get("explanation", "").strip(),
                    "evidence": [e for e in evidence if e],
                },
            )
        except ServiceError as exc:
            return self._pn_back("/personnel/appeals", error=_message_of(exc))
        return self._pn_back("/personnel/appeals", notice="申辩已提交")
