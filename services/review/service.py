"""review's nameko entrypoints: consume producers' review requests, serve the reviewer queues,
record opinions, run the legal clock, answer the producers with events.

Every entrypoint delegates to a use case in ``services/review/usecases/`` (one module per area,
functions ``(deps, actor, data...)``; reads in ``selectors.py``), given the collaborators built
here (``deps``: the transactions, the object store, identity's account lookup).

Several instances may run at once (docs/architecture.md, "Scaling review"): every claim is one
conditional UPDATE, every case change locks its row, and the overdue sweep takes its rows
with ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

from datetime import date

from nameko.timer import timer

from services.common.base import PlatformService, service_rpc
from services.common.config import load_config
from services.common.events import reliable_event_handler
from services.common.rpc import PlatformRpcProxy
from services.common.storage import ObjectStore
from services.review.events import REVIEW_REQUESTED, REVIEW_WITHDRAWN
from services.review.usecases import (
    _support,
    dashboard,
    delegations,
    desk,
    enterprise_side,
    intake,
    rectifications,
    selectors,
    sweeps,
)


def _sweep_seconds() -> float:
    """config ``review.overdue_sweep_seconds`` (a timer's interval is fixed when the class is made)."""
    try:
        return float((load_config().get("review") or {}).get("overdue_sweep_seconds", 30))
    except Exception:  # no config at import (a unit test importing the module): the default
        return 30.0


SWEEP_SECONDS = _sweep_seconds()


class ReviewService(PlatformService):
    name = "review"

    identity = PlatformRpcProxy("identity")

    @property
    def deps(self) -> _support.Deps:
        """The use cases' collaborators, over this worker's providers."""
        config = self.config["PLATFORM"]
        return _support.Deps(
            begin=lambda: _support.transaction(self.db),
            store=lambda: ObjectStore(config),
            session_account=self.identity.session_account,
        )

    # ---- producers → review ------------------------------------------------------------
    @reliable_event_handler("permits", "review_requested")
    def on_permits_review_requested(self, body: dict) -> None:
        intake.review_requested(self.deps, REVIEW_REQUESTED["permits"], body)

    @reliable_event_handler("personnel", "review_requested")
    def on_personnel_review_requested(self, body: dict) -> None:
        intake.review_requested(self.deps, REVIEW_REQUESTED["personnel"], body)

    @reliable_event_handler("identity", "review_requested")
    def on_identity_review_requested(self, body: dict) -> None:
        intake.review_requested(self.deps, REVIEW_REQUESTED["identity"], body)

    @reliable_event_handler("enterprise", "review_requested")
    def on_enterprise_review_requested(self, body: dict) -> None:
        intake.review_requested(self.deps, REVIEW_REQUESTED["enterprise"], body)

    @reliable_event_handler("permits", "review_withdrawn")
    def on_permits_review_withdrawn(self, body: dict) -> None:
        intake.review_withdrawn(self.deps, REVIEW_WITHDRAWN["permits"], body)

    @reliable_event_handler("personnel", "review_withdrawn")
    def on_personnel_review_withdrawn(self, body: dict) -> None:
        intake.review_withdrawn(self.deps, REVIEW_WITHDRAWN["personnel"], body)

    @reliable_event_handler("identity", "review_withdrawn")
    def on_identity_review_withdrawn(self, body: dict) -> None:
        intake.review_withdrawn(self.deps, REVIEW_WITHDRAWN["identity"], body)

    @reliable_event_handler("enterprise", "review_withdrawn")
    def on_enterprise_review_withdrawn(self, body: dict) -> None:
        intake.review_withdrawn(self.deps, REVIEW_WITHDRAWN["enterprise"], body)

    # ---- the queue -------------------------------------------------------------------------------
    @service_rpc
    def missing_holiday_notices(self) -> dict:
        """Years the legal clock counts whose State Council holiday notice is missing from the
        override file (clock.missing_notice_years): the admin pages show a warning."""
        return selectors.missing_holiday_notices(self.deps)

    @service_rpc
    def queue(self, actor: dict, query: dict | None = None) -> dict:
        return selectors.queue(self.deps, actor, query)

    @service_rpc
    def case_detail(self, actor: dict, case_id: str) -> dict:
        return selectors.case_detail(self.deps, actor, case_id)

    @service_rpc
    def claim(self, actor: dict, case_id: str) -> dict:
        return desk.claim(self.deps, actor, case_id)

    @service_rpc
    def release(self, actor: dict, case_id: str) -> dict:
        return desk.release(self.deps, actor, case_id)

    @service_rpc
    def assign(self, actor: dict, case_id: str, payload: dict) -> dict:
        return desk.assign(self.deps, actor, case_id, payload)

    # ---- opinions and decisions -------------------------------------------------------------------
    @service_rpc
    def act(self, actor: dict, case_id: str, payload: dict) -> dict:
        return desk.act(self.deps, actor, case_id, payload)

    @service_rpc
    def batch_act(self, actor: dict, payload: dict) -> dict:
        """Approve / forward / return many cases; each in its own transaction, a result per item."""
        return desk.batch_act(self.deps, actor, payload)

    @service_rpc
    def extend_clock(self, actor: dict, case_id: str, payload: dict) -> dict:
        return desk.extend_clock(self.deps, actor, case_id, payload)

    @service_rpc
    def resolve_rectification(self, actor: dict, case_id: str, payload: dict) -> dict:
        """After the enterprise's evidence: close (back to review) or escalate (next step)."""
        return desk.resolve_rectification(self.deps, actor, case_id, payload)

    # ---- workload and delegation ------------------------------------------------------------------
    @service_rpc
    def workload(self, actor: dict, query: dict | None = None) -> dict:
        return selectors.workload(self.deps, actor, query)

    @service_rpc
    def dashboard(self, actor: dict, query: dict | None = None) -> dict:
        return dashboard.show(self.deps, actor, query)

    @service_rpc
    def delegate(self, actor: dict, payload: dict) -> dict:
        return delegations.delegate(self.deps, actor, payload)

    @service_rpc
    def list_delegations(self, actor: dict) -> dict:
        return selectors.list_delegations(self.deps, actor)

    @service_rpc
    def revoke_delegation(self, actor: dict, delegation_id: int) -> dict:
        return delegations.revoke_delegation(self.deps, actor, delegation_id)

    # ---- the enterprise's side --------------------------------------------------------------------
    @service_rpc
    def case_history(self, actor: dict, case_key: str) -> dict:
        """审核历史 and 跟踪 of one case, for the enterprise (or its reviewers), printable."""
        return selectors.case_history(self.deps, actor, case_key)

    @service_rpc
    def reviewer_may_read_enterprise(self, actor: dict, enterprise_id: str) -> dict:
        return selectors.reviewer_may_read_enterprise(self.deps, actor, enterprise_id)

    @service_rpc
    def may_read_case(self, actor: dict, case_ref: str) -> dict:
        return selectors.may_read_case(self.deps, actor, case_ref)

    @service_rpc
    def enterprise_cases(self, actor: dict) -> dict:
        return selectors.enterprise_cases(self.deps, actor)

    @service_rpc
    def enterprise_rectifications(self, actor: dict) -> dict:
        return rectifications.enterprise_rectifications(self.db, actor)  # 我的整改

    @service_rpc
    def todos(self, actor: dict) -> dict:
        return selectors.todos(self.deps, actor)

    @service_rpc
    def submit_rectification(self, actor: dict, rectification_id: int, payload: dict) -> dict:
        return enterprise_side.submit_rectification(self.deps, actor, rectification_id, payload)

    @service_rpc
    def attachment_url(self, actor: dict, attachment_id: str) -> dict:
        return selectors.attachment_url(self.deps, actor, attachment_id)

    # ---- self-inspection campaigns (自查) -----------------------------------------------------------
    @service_rpc
    def start_campaign(self, actor: dict, payload: dict) -> dict:
        return enterprise_side.start_campaign(self.deps, actor, payload)

    @service_rpc
    def list_campaigns(self, actor: dict) -> dict:
        return selectors.list_campaigns(self.deps, actor)

    @service_rpc
    def self_inspection(self, actor: dict, target_id: str) -> dict:
        return selectors.self_inspection(self.deps, actor, target_id)

    @service_rpc
    def submit_self_inspection(self, actor: dict, target_id: str, payload: dict) -> dict:
        return enterprise_side.submit_self_inspection(self.deps, actor, target_id, payload)

    # ---- the legal clock's sweep -------------------------------------------------------------------
    @timer(interval=SWEEP_SECONDS)
    def flag_overdue(self) -> None:
        self.sweep_acceptance_once()
        self.sweep_overdue_once()
        self.measure_overdue()
        dashboard.record_backlog_now(self.deps)  # the 统计看板's backlog over time

    def measure_overdue(self) -> dict[str, int]:
        return sweeps.measure_overdue(self.deps)

    def sweep_acceptance_once(self, today: date | None = None) -> int:
        return sweeps.sweep_acceptance_once(self.deps, today)

    def sweep_overdue_once(self) -> int:
        return sweeps.sweep_overdue_once(self.deps)


SERVICE_CLASS = ReviewService
