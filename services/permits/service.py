"""permits' nameko entrypoints: applications through their lifecycle, batches, licences, 容缺 credit.

Every entrypoint delegates to a use case in ``services/permits/usecases/`` (one module per
area, functions ``(deps, actor, data...)``), given the collaborators built here (``deps``: the
transactions, the catalogue, the object store, the enterprise service's records, review's
answer on who reads a case, the render workers, the refusal audit). Every RPC that acts for a
user takes the actor dict first (docs/contracts.md) and the use case re-checks it: enterprise
main accounts and sub-accounts with the ``permits`` module act for their enterprise (read-only
sub-accounts only read); reviewers and admins read. The pure rules live in catalogue.py,
precheck.py, lifecycle.py, licences.py, credit.py, recheck.py and risk.py; adapters.py bridges
the gaps.
Review's five answers (``on_case_*``) are the handlers of ``answer_entrypoints`` (the review
kit, services/common/review_cases.py), one line each into ``usecases/review_answers.py``.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, cast

from nameko.timer import timer

from services.common import claims
from services.common.base import PlatformService, service_rpc
from services.common.events import reliable_event_handler
from services.common.renderpool import Renderers
from services.common.review_cases import answer_entrypoints
from services.common.rpc import PlatformRpcProxy
from services.common.storage import ObjectStore
from services.permits import adapters
from services.permits.catalogue import Catalogue
from services.permits.catalogue_store import CatalogueStore, LazyCatalogue
from services.permits.records_cache import RecordsCache
from services.permits.usecases import (
    _support,
    batches,
    catalogue_admin,
    drafts,
    fast_track,
    issuing,
    materials,
    prechecks,
    rechecks,
    review_answers,
    safety,
    selectors,
    submission,
)

# The enterprises' records by version, shared by this process's workers (records_cache.py).
RECORDS = RecordsCache()


class PermitsService(answer_entrypoints(review_answers), PlatformService):  # type: ignore[misc]
    name = "permits"

    enterprise = PlatformRpcProxy("enterprise")
    renderers = Renderers(*adapters.RENDER_JOBS, preload=adapters.RENDER_PRELOAD)
    review = PlatformRpcProxy("review")  # may_read_case: who reads a case's files

    @property
    def deps(self) -> _support.Deps:
        """The use cases' collaborators, over this worker's providers. The catalogue is the
        active versions' (asked for on first use in the call: services/permits/catalogue_store.py)."""
        config = self.config["PLATFORM"]

        def begin() -> Any:
            return _support.transaction(self.db)

        return _support.Deps(
            begin=begin,
            catalogue=cast(Catalogue, LazyCatalogue(lambda: STORE.active(begin))),
            type_at=lambda version_id, code: STORE.type_at(begin, version_id, code),
            store=lambda: ObjectStore(config),
            records=self._records,
            audit_alone=self.audit_alone,
            may_read_case=lambda actor, case_ref: bool(self.review.may_read_case(actor, case_ref)["allowed"]),
            render=self.renderers.run,
            settings=dict(config.get("permits") or {}),
            public_url=str(config["gateway"]["public_url"]).rstrip("/"),
        )

    def _records(self, enterprise_id: uuid.UUID) -> dict:
        return RECORDS.records(
            enterprise_id,
            lambda eid, known: self.enterprise.records_for_precheck(None, str(eid), known_version=known),
        )

    # ---- catalogue --------------------------------------------------------------------------
    @service_rpc
    def catalogue_types(self, actor: dict) -> list[dict]:
        return selectors.catalogue_types(self.deps, actor)

    @service_rpc
    def catalogue_type(self, actor: dict, type_code: str) -> dict:
        return selectors.catalogue_type(self.deps, actor, type_code)

    # ---- 业务目录维护: catalogue versions (admins; usecases/catalogue_admin.py) -------------------
    @service_rpc
    def catalogue_families(self, actor: dict) -> list[dict]:
        return catalogue_admin.families(self.deps, actor)

    @service_rpc
    def catalogue_history(self, actor: dict, family: str) -> dict:
        return catalogue_admin.history(self.deps, actor, family)

    @service_rpc
    def catalogue_version(self, actor: dict, family: str, number: int) -> dict:
        return catalogue_admin.version(self.deps, actor, family, number)

    @service_rpc
    def catalogue_diff(self, actor: dict, family: str, old: int, new: int) -> dict:
        return catalogue_admin.diff(self.deps, actor, family, old, new)

    @service_rpc
    def publish_catalogue(self, actor: dict, payload: dict) -> dict:
        return catalogue_admin.publish(self.deps, actor, payload)

    @service_rpc
    def activate_catalogue(self, actor: dict, payload: dict) -> dict:
        return catalogue_admin.activate(self.deps, actor, payload)

    # ---- drafts, pre-check, files -------------------------------------------------------------
    @service_rpc
    def create_draft(self, actor: dict, payload: dict) -> dict:
        return drafts.create_draft(self.deps, actor, payload)

    @service_rpc
    def update_draft(self, actor: dict, application_id: str, payload: dict) -> dict:
        return drafts.update_draft(self.deps, actor, application_id, payload)

    @service_rpc
    def run_precheck(self, actor: dict, application_id: str, version: int | None = None) -> dict:
        return prechecks.run_precheck(self.deps, actor, application_id, version)

    @reliable_event_handler("enterprise", "records_changed")
    def on_records_changed(self, body: dict) -> None:
        return rechecks.on_records_changed(self.deps, body)

    @reliable_event_handler("personnel", "key_person_changed")
    def on_key_person_changed(self, body: dict) -> None:
        return rechecks.on_key_person_changed(self.deps, body)

    @service_rpc
    def generate_form(self, actor: dict, application_id: str, version: int | None = None) -> dict:
        return materials.generate_form(self.deps, actor, application_id, version)

    @service_rpc
    def upload_signed_scan(
        self, actor: dict, application_id: str, upload: dict, version: int | None = None
    ) -> dict:
        return materials.upload_signed_scan(self.deps, actor, application_id, upload, version)

    @service_rpc
    def upload_material(self, actor: dict, application_id: str, code: str, upload: dict) -> dict:
        return materials.upload_material(self.deps, actor, application_id, code, upload)

    # ---- preview, commitment letter, submit, 补正, leave ----------------------------------------
    @service_rpc
    def preview(self, actor: dict, application_id: str, version: int | None = None) -> dict:
        return submission.preview(self.deps, actor, application_id, version)

    @service_rpc
    def open_commitment(self, actor: dict, application_id: str) -> dict:
        return submission.open_commitment(self.deps, actor, application_id)

    @service_rpc
    def confirm_commitment(self, actor: dict, application_id: str, version: int | None = None) -> dict:
        return submission.confirm_commitment(self.deps, actor, application_id, version)

    @service_rpc
    def submit(
        self, actor: dict, application_id: str, idempotency_key: str | None = None, version: int | None = None
    ) -> dict:
        return submission.submit(self.deps, actor, application_id, idempotency_key, version)

    @service_rpc
    def update_correction(
        self, actor: dict, application_id: str, values: dict, version: int | None = None
    ) -> dict:
        return submission.update_correction(self.deps, actor, application_id, values, version)

    @service_rpc
    def resubmit(
        self, actor: dict, application_id: str, idempotency_key: str | None = None, version: int | None = None
    ) -> dict:
        return submission.resubmit(self.deps, actor, application_id, idempotency_key, version)

    @service_rpc
    def withdraw(self, actor: dict, application_id: str, reason: str = "") -> dict:
        return submission.withdraw(self.deps, actor, application_id, reason)

    @service_rpc
    def terminate(self, actor: dict, application_id: str, reason: str = "") -> dict:
        return submission.terminate(self.deps, actor, application_id, reason)

    @service_rpc
    def discard(self, actor: dict, application_id: str) -> dict:
        return submission.discard(self.deps, actor, application_id)

    # ---- reading ------------------------------------------------------------------------------
    @service_rpc
    def get_application(self, actor: dict, application_id: str) -> dict:
        return selectors.get_application(self.deps, actor, application_id)

    @service_rpc
    def list_applications(self, actor: dict, query: dict | None = None) -> list[dict]:
        return selectors.list_applications(self.deps, actor, query)

    @service_rpc
    def attachment_url(self, actor: dict, attachment_id: str) -> dict:
        return selectors.attachment_url(self.deps, actor, attachment_id)

    # ---- licences --------------------------------------------------------------------------------
    @service_rpc
    def my_licences(self, actor: dict) -> list[dict]:
        return selectors.my_licences(self.deps, actor)

    @service_rpc
    def get_licence(self, actor: dict, licence_id: str) -> dict:
        return selectors.get_licence(self.deps, actor, licence_id)

    @service_rpc
    def find_licences(self, actor: dict, number: str = "", at_risk: bool = False) -> list[dict]:
        return selectors.find_licences(self.deps, actor, number, at_risk)

    @service_rpc
    def set_licence_status(self, actor: dict, licence_id: str, status: str, reason: str = "") -> dict:
        return issuing.set_licence_status(self.deps, actor, licence_id, status, reason)

    @service_rpc
    def verify_licence(self, token: str) -> dict:
        return selectors.verify_licence(self.deps, token)

    @service_rpc
    def open_cases_of(self, enterprise_id: str) -> dict:
        return selectors.open_cases_of(self.deps, enterprise_id)

    @service_rpc
    def holds_licence(self, enterprise_id: str) -> dict:
        return selectors.holds_licence(self.deps, enterprise_id)  # key staff changes (enterprise)

    # ---- batches (申报批次) ---------------------------------------------------------------------
    @service_rpc
    def create_batch(self, actor: dict, name: str) -> dict:
        return batches.create_batch(self.deps, actor, name)

    @service_rpc
    def list_batches(self, actor: dict) -> list[dict]:
        return selectors.list_batches(self.deps, actor)

    @service_rpc
    def get_batch(self, actor: dict, batch_id: str) -> dict:
        return selectors.get_batch(self.deps, actor, batch_id)

    @service_rpc
    def add_to_batch(self, actor: dict, batch_id: str, application_id: str) -> dict:
        return batches.add_to_batch(self.deps, actor, batch_id, application_id)

    @service_rpc
    def remove_from_batch(self, actor: dict, batch_id: str, application_id: str) -> dict:
        return batches.remove_from_batch(self.deps, actor, batch_id, application_id)

    @service_rpc
    def submit_batch(self, actor: dict, batch_id: str, idempotency_key: str | None = None) -> dict:
        return batches.submit_batch(self.deps, actor, batch_id, idempotency_key)

    @service_rpc
    def delete_batch(self, actor: dict, batch_id: str) -> dict:
        return batches.delete_batch(self.deps, actor, batch_id)

    # ---- 容缺 credit register --------------------------------------------------------------------
    @service_rpc
    def credit_register(self, actor: dict) -> list[dict]:
        return selectors.credit_register(self.deps, actor)

    @service_rpc
    def set_credit(self, actor: dict, payload: dict) -> dict:
        return fast_track.set_credit(self.deps, actor, payload)

    # ---- 不再审查延期: safety records (services/permits/usecases/safety.py) ------------------------
    @service_rpc
    def safety_records(self, actor: dict) -> list[dict]:
        return safety.listing(self.deps, actor)

    @service_rpc
    def record_safety(self, actor: dict, payload: dict) -> dict:
        return safety.record(self.deps, actor, payload)

    @service_rpc
    def credit_eligibility(self, actor: dict, enterprise_id: str | None = None) -> dict:
        return fast_track.credit_eligibility(self.deps, actor, enterprise_id)

    @service_rpc
    def lane_options(self, actor: dict, type_code: str, kind: str = "new") -> list[dict]:
        return fast_track.lane_options(self.deps, actor, type_code, kind)

    @timer(interval=3600)
    def sweep_owed_deadlines(self) -> None:
        """A missed owed-materials deadline is recorded as a default (blocks 容缺 for two years)."""
        self.record_defaults()

    def record_defaults(self, today: date | None = None) -> int:
        return fast_track.record_defaults(self.deps, today)

    @timer(interval=claims.SWEEP_SECONDS)
    def sweep_quarantine(self) -> int:
        """Uploads staged by the gateway and never claimed expire (services/common/claims.py)."""
        return claims.sweep_quarantine(ObjectStore(self.config["PLATFORM"]))


SERVICE_CLASS = PermitsService

STORE = CatalogueStore()  # per process: the active catalogue and each version's types
