"""The review service as the gateway calls it (services/review/service.py, docs/contracts.md)."""

from __future__ import annotations

from gateway.clients.base import Actor, Row, ServiceClient


class ReviewClient(ServiceClient):
    service = "review"

    # ---- the queue and one case --------------------------------------------------------------------
    def queue(self, actor: Actor, query: dict | None = None) -> Row:
        return self._rpc("queue", actor, query)

    def case_detail(self, actor: Actor, case_id: str) -> Row:
        return self._rpc("case_detail", actor, case_id)

    def case_history(self, actor: Actor, case_key: str) -> Row:
        return self._rpc("case_history", actor, case_key)

    def claim(self, actor: Actor, case_id: str) -> Row:
        return self._rpc("claim", actor, case_id)

    def release(self, actor: Actor, case_id: str) -> Row:
        return self._rpc("release", actor, case_id)

    def assign(self, actor: Actor, case_id: str, payload: dict) -> Row:
        return self._rpc("assign", actor, case_id, payload)

    def act(self, actor: Actor, case_id: str, payload: dict) -> Row:
        return self._rpc("act", actor, case_id, payload)

    def extend_clock(self, actor: Actor, case_id: str, payload: dict) -> Row:
        return self._rpc("extend_clock", actor, case_id, payload)

    def resolve_rectification(self, actor: Actor, case_id: str, payload: dict) -> Row:
        return self._rpc("resolve_rectification", actor, case_id, payload)

    def batch_act(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("batch_act", actor, payload)

    def attachment_url(self, actor: Actor, attachment_id: str) -> Row:
        return self._rpc("attachment_url", actor, attachment_id)


    # ---- workload, delegation, campaigns -----------------------------------------------------------
    def workload(self, actor: Actor, query: dict | None = None) -> Row:
        return self._rpc("workload", actor, query)

    def dashboard(self, actor: Actor, query: dict | None = None) -> Row:
        return self._rpc("dashboard", actor, query)

    def list_delegations(self, actor: Actor) -> Row:
        return self._rpc("list_delegations", actor)

    def delegate(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("delegate", actor, payload)

    def revoke_delegation(self, actor: Actor, delegation_id: int) -> Row:
        return self._rpc("revoke_delegation", actor, delegation_id)

    def list_campaigns(self, actor: Actor) -> Row:
        return self._rpc("list_campaigns", actor)

    def start_campaign(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("start_campaign", actor, payload)


    # ---- the enterprise"s side ---------------------------------------------------------------------
    def enterprise_rectifications(self, actor: Actor) -> Row:
        return self._rpc("enterprise_rectifications", actor)

    def enterprise_cases(self, actor: Actor) -> Row:
        return self._rpc("enterprise_cases", actor)

    def todos(self, actor: Actor) -> Row:
        return self._rpc("todos", actor)

    def submit_rectification(self, actor: Actor, rectification_id: int, payload: dict) -> Row:
        return self._rpc("submit_rectification", actor, rectification_id, payload)

    def self_inspection(self, actor: Actor, target_id: str) -> Row:
        return self._rpc("self_inspection", actor, target_id)

    def submit_self_inspection(self, actor: Actor, target_id: str, payload: dict) -> Row:
        return self._rpc("submit_self_inspection", actor, target_id, payload)


    # ---- operators ---------------------------------------------------------------------------------
    def missing_holiday_notices(self) -> Row:
        return self._rpc("missing_holiday_notices")
