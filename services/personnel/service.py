"""personnel's nameko entrypoints: people, certificate records, declarations through review,
batches and the commitment letter, transfers, withdrawals, expiry warnings, search, appeals.

Every entrypoint delegates to a use case in ``services/personnel/usecases/`` (one module per
area, functions ``(deps, actor, data...)``), given the collaborators built here (``deps``: the
transactions, the catalogue, the object store, the enterprise service, the refusal audit). Every
RPC that acts for a user takes the actor dict first (docs/contracts.md, "Personnel") and the use
case re-checks it: enterprise main accounts and sub-accounts with the ``personnel`` module act
for their enterprise (read-only sub-accounts only read); a ``person`` actor acts on what belongs
to the person with its ID number; reviewers and admins read within their region.
Review's five answers (``on_case_*``) are the handlers of ``answer_entrypoints`` (the review
kit, services/common/review_cases.py), one line each into ``usecases/review_answers.py``.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from nameko.timer import timer

from services.common.background import Background
from services.common.base import PlatformService, service_rpc
from services.common.config import load_config
from services.common.events import reliable_event_handler
from services.common.renderpool import Renderers
from services.common.review_cases import answer_entrypoints
from services.common.rpc import PlatformRpcProxy
from services.common.storage import ObjectStore
from services.personnel.catalogue import Catalogue, default_catalogue
from services.personnel.usecases import (
    _support,
    appeals,
    batches,
    certificates,
    declarations,
    exam_register,
    expiry,
    exports,
    lifecycle,
    people,
    registry,
    review_answers,
    selectors,
    transfers,
)


def _sweep_seconds() -> float:
    """config ``personnel.expiry_sweep_seconds`` (a timer's interval is fixed when the class is made)."""
    try:
        return float((load_config().get("personnel") or {}).get("expiry_sweep_seconds", 3600))
    except Exception:  # no config at import (a unit test importing the module): the default
        return 3600.0


SWEEP_SECONDS = _sweep_seconds()


class PersonnelService(answer_entrypoints(review_answers), PlatformService):  # type: ignore[misc]
    name = "personnel"

    enterprise = PlatformRpcProxy("enterprise")
    review = PlatformRpcProxy("review")  # may_read_case: who reads a declaration's files
    # openpyxl (up to 5,000 rows) runs in a worker process, started on the first export.
    renderers = Renderers(registry.EXPORT_JOB, exam_register.PARSE_JOB, lazy=True)
    # the register's export jobs (usecases/exports.py) and 考试合格数据导入 (usecases/exam_register.py)
    background = Background()

    @cached_property
    def types(self) -> Catalogue:
        return default_catalogue()

    @property
    def deps(self) -> _support.Deps:
        """The use cases' collaborators, over this worker's providers."""
        config = self.config["PLATFORM"]
        return _support.Deps(
            begin=lambda: _support.transaction(self.db),
            types=self.types,
            store=lambda: ObjectStore(config),
            enterprise_records=self._enterprise_records,
            audit_alone=self.audit_alone,
            settings=dict(config.get("personnel") or {}),
            render=self.renderers.run,
            unit_of_work=self.db.unit_of_work,
            may_read_case=lambda actor, case_ref: bool(self.review.may_read_case(actor, case_ref)["allowed"]),
            spawn=self.background,
            staff_imported=lambda eid, number: bool(
                self.enterprise.staff_imported(None, eid, number)["imported"]),
        )

    def _enterprise_records(self, enterprise_id: str) -> dict[str, Any]:
        return dict(self.enterprise.records_for_precheck(None, enterprise_id))

    @reliable_event_handler("identity", "enterprise_account_registered")
    def on_enterprise_account_registered(self, body: dict) -> None:
        return people.on_enterprise_account_registered(self.deps, body)

    @service_rpc
    def catalogue(self, actor: dict) -> dict:
        return selectors.catalogue(self.deps, actor)

    @service_rpc
    def create_person(self, actor: dict, data: dict) -> dict:
        return people.create_person(self.deps, actor, data)

    @service_rpc
    def update_person(self, actor: dict, person_id: str, data: dict) -> dict:
        return people.update_person(self.deps, actor, person_id, data)

    @service_rpc
    def upload_photo(self, actor: dict, person_id: str, upload: dict) -> dict:
        return people.upload_photo(self.deps, actor, person_id, upload)

    @service_rpc
    def list_people(self, actor: dict, query: dict | None = None) -> dict:
        return selectors.list_people(self.deps, actor, query)

    @service_rpc
    def get_person(self, actor: dict, person_id: str) -> dict:
        return selectors.get_person(self.deps, actor, person_id)

    @service_rpc
    def add_certificate_record(self, actor: dict, person_id: str, data: dict) -> dict:
        return certificates.add_certificate_record(self.deps, actor, person_id, data)

    @service_rpc
    def update_certificate_record(self, actor: dict, certificate_id: str, data: dict) -> dict:
        return certificates.update_certificate_record(self.deps, actor, certificate_id, data)

    @service_rpc
    def certificate(self, actor: dict, certificate_id: str) -> dict:
        return selectors.certificate(self.deps, actor, certificate_id)

    @service_rpc
    def record_exam_passes(self, actor: dict, payload: dict) -> dict:
        return certificates.record_exam_passes(self.deps, actor, payload)

    @service_rpc
    def import_exam_passes(self, actor: dict, payload: dict) -> dict:
        return exam_register.start_import(self.deps, actor, payload)  # a job (services/common/import_jobs.py)

    @service_rpc
    def import_job(self, actor: dict, job_id: str) -> dict:
        return exam_register.import_job(self.deps, actor, job_id)

    @service_rpc
    def import_report(self, actor: dict, job_id: str) -> dict:
        return exam_register.import_report(self.deps, actor, job_id)

    @service_rpc
    def search_exam_passes(self, actor: dict, query: dict) -> dict:
        return certificates.search_exam_passes(self.deps, actor, query)

    @service_rpc
    def exam_passes(self, actor: dict, id_number: str) -> list[dict]:
        return selectors.exam_passes(self.deps, actor, id_number)

    @service_rpc
    def new_declaration(self, actor: dict, payload: dict) -> dict:
        return declarations.new_declaration(self.deps, actor, payload)

    @service_rpc
    def new_personal_declaration(self, actor: dict, payload: dict) -> dict:
        return declarations.new_personal_declaration(self.deps, actor, payload)

    @service_rpc
    def redeclare_declaration(self, actor: dict, declaration_id: str) -> dict:
        return lifecycle.redeclare_declaration(self.deps, actor, declaration_id)

    @service_rpc
    def correct_qualification(self, actor: dict, declaration_id: str, payload: dict) -> dict:
        return declarations.correct_qualification(self.deps, actor, declaration_id, payload)

    @service_rpc
    def get_declaration(self, actor: dict, declaration_id: str) -> dict:
        return selectors.get_declaration(self.deps, actor, declaration_id)

    @service_rpc
    def update_declaration(self, actor: dict, declaration_id: str, payload: dict) -> dict:
        return declarations.update_declaration(self.deps, actor, declaration_id, payload)

    @service_rpc
    def upload_declaration_attachment(
        self, actor: dict, declaration_id: str, code: str, upload: dict
    ) -> dict:
        return declarations.upload_declaration_attachment(self.deps, actor, declaration_id, code, upload)

    @service_rpc
    def attachment_url(self, actor: dict, attachment_id: str) -> dict:
        return selectors.attachment_url(self.deps, actor, attachment_id)

    @service_rpc
    def delete_declarations(self, actor: dict, payload: dict) -> dict:
        return lifecycle.delete_declarations(self.deps, actor, payload)

    @service_rpc
    def return_declarations(self, actor: dict, payload: dict) -> dict:
        return lifecycle.return_declarations(self.deps, actor, payload)

    @service_rpc
    def list_declarations(self, actor: dict, query: dict | None = None) -> dict:
        return selectors.list_declarations(self.deps, actor, query)

    @service_rpc
    def my_declarations(self, actor: dict) -> dict:
        return selectors.my_declarations(self.deps, actor)

    @service_rpc
    def find_for_re_registration(self, actor: dict, query: dict) -> dict:
        return certificates.find_for_re_registration(self.deps, actor, query)

    @service_rpc
    def create_batch(self, actor: dict, payload: dict) -> dict:
        return batches.create_batch(self.deps, actor, payload)

    @service_rpc
    def add_to_batch(self, actor: dict, batch_id: str, payload: dict) -> dict:
        return batches.add_to_batch(self.deps, actor, batch_id, payload)

    @service_rpc
    def remove_from_batch(self, actor: dict, batch_id: str, payload: dict) -> dict:
        return batches.remove_from_batch(self.deps, actor, batch_id, payload)

    @service_rpc
    def list_batches(self, actor: dict, query: dict | None = None) -> dict:
        return selectors.list_batches(self.deps, actor, query)

    @service_rpc
    def get_batch(self, actor: dict, batch_id: str) -> dict:
        return selectors.get_batch(self.deps, actor, batch_id)

    @service_rpc
    def open_commitment(self, actor: dict, payload: dict) -> dict:
        return batches.open_commitment(self.deps, actor, payload)

    @service_rpc
    def report(self, actor: dict, payload: dict) -> dict:
        return batches.report(self.deps, actor, payload)

    @service_rpc
    def resubmit_declaration(self, actor: dict, declaration_id: str) -> dict:
        return lifecycle.resubmit_declaration(self.deps, actor, declaration_id)

    @service_rpc
    def cancel_declaration(self, actor: dict, declaration_id: str, reason: str = "") -> dict:
        return lifecycle.cancel_declaration(self.deps, actor, declaration_id, reason)

    @service_rpc
    def request_withdrawal(self, actor: dict, declaration_id: str, reason: str = "") -> dict:
        return lifecycle.request_withdrawal(self.deps, actor, declaration_id, reason)

    @service_rpc
    def decide_withdrawal(self, actor: dict, declaration_id: str, payload: dict) -> dict:
        return lifecycle.decide_withdrawal(self.deps, actor, declaration_id, payload)

    @service_rpc
    def transfer_out(self, actor: dict, payload: dict) -> dict:
        return transfers.transfer_out(self.deps, actor, payload)

    @service_rpc
    def list_transfers(self, actor: dict, query: dict | None = None) -> dict:
        return selectors.list_transfers(self.deps, actor, query)

    @service_rpc
    def accept_transfer(self, actor: dict, transfer_id: str) -> dict:
        return transfers.accept_transfer(self.deps, actor, transfer_id)

    @service_rpc
    def return_transfer(self, actor: dict, transfer_id: str, reason: str = "") -> dict:
        return transfers.return_transfer(self.deps, actor, transfer_id, reason)

    @service_rpc
    def cancel_transfer(self, actor: dict, transfer_id: str) -> dict:
        return transfers.cancel_transfer(self.deps, actor, transfer_id)

    @service_rpc
    def request_transfer(self, actor: dict, payload: dict) -> dict:
        return transfers.request_transfer(self.deps, actor, payload)

    @service_rpc
    def my_certificates(self, actor: dict) -> dict:
        return selectors.my_certificates(self.deps, actor)

    @service_rpc
    def my_transfers(self, actor: dict) -> dict:
        return selectors.my_transfers(self.deps, actor)

    @service_rpc
    def decide_transfers(self, actor: dict, payload: dict) -> dict:
        return transfers.decide_transfers(self.deps, actor, payload)

    @service_rpc
    def expiring(self, actor: dict, query: dict | None = None) -> dict:
        return expiry.expiring(self.deps, actor, query)

    @service_rpc
    def run_expiry_sweep(self, today: str | None = None) -> dict:
        return expiry.run_expiry_sweep(self.deps, today)

    @service_rpc
    def search_registered(self, actor: dict, filters: dict | None = None) -> dict:
        return registry.search_registered(self.deps, actor, filters)

    @service_rpc
    def export_registered(self, actor: dict, filters: dict | None = None) -> dict:
        return registry.export_registered(self.deps, actor, filters)

    @service_rpc
    def start_export(self, actor: dict, filters: dict | None = None) -> dict:
        return exports.start_export(self.deps, actor, filters)

    @service_rpc
    def export_status(self, actor: dict, job_id: str) -> dict:
        return exports.export_status(self.deps, actor, job_id)

    @service_rpc
    def raise_anomaly(self, actor: dict, payload: dict) -> dict:
        return appeals.raise_anomaly(self.deps, actor, payload)

    @service_rpc
    def list_appeals(self, actor: dict, query: dict | None = None) -> dict:
        return selectors.list_appeals(self.deps, actor, query)

    @service_rpc
    def answer_appeal(self, actor: dict, appeal_id: str, payload: dict) -> dict:
        return appeals.answer_appeal(self.deps, actor, appeal_id, payload)

    @service_rpc
    def close_appeal(self, actor: dict, appeal_id: str, payload: dict) -> dict:
        return appeals.close_appeal(self.deps, actor, appeal_id, payload)

    @service_rpc
    def open_cases_of(self, enterprise_id: str) -> dict:
        return selectors.open_cases_of(self.deps, enterprise_id)

    @timer(interval=SWEEP_SECONDS)
    def sweep_daily(self) -> None:
        expiry.sweep(self.deps, _support._today())


SERVICE_CLASS = PersonnelService
