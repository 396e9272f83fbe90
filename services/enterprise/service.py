"""enterprise's nameko entrypoints: thin, schema in, domain, schema out.

Every entrypoint delegates to a use case in ``services/enterprise/usecases/`` (one module per
area, functions ``(deps, actor, data...)``; reads in ``selectors.py``), given the collaborators
built here (``deps``: the transactions, the object store, identity's accounts, review's answer on
who reads an enterprise, permits' and personnel's open cases, the refusal audit).

Every RPC that acts for a user takes the actor dict first (docs/contracts.md) and the use case
re-checks it (``_support._authorise`` over ``domain.access_refusal``): the gateway's check is only
the first door.
"""

from __future__ import annotations

from services.common.background import Background
from services.common.base import PlatformService, service_rpc
from services.common.events import reliable_event_handler
from services.common.renderpool import Renderers
from services.common.rpc import PlatformRpcProxy
from services.common.storage import ObjectStore
from services.enterprise.usecases import (
    _support,
    change_requests,
    key_staff,
    legacy,
    legacy_import,
    profile,
    records,
    registration,
    selectors,
)


class EnterpriseService(PlatformService):
    name = "enterprise"

    identity = PlatformRpcProxy("identity")
    permits = PlatformRpcProxy("permits")
    personnel = PlatformRpcProxy("personnel")
    review = PlatformRpcProxy("review")
    # CIP 旧数据导入 from the admin page: openpyxl in a worker process, the job in the background.
    renderers = Renderers(legacy_import.PARSE_JOB, lazy=True)
    background = Background()

    @property
    def deps(self) -> _support.Deps:
        """The use cases' collaborators, over this worker's providers."""
        config = self.config["PLATFORM"]
        return _support.Deps(
            begin=lambda: _support.transaction(self.db),
            store=lambda: ObjectStore(config),
            session_account=self.identity.session_account,
            reviewer_may_read_enterprise=self.review.reviewer_may_read_enterprise,
            open_cases_call=lambda service, eid: getattr(self, service).open_cases_of.call_async(eid),
            audit_alone=self.audit_alone,
            holds_licence=self.permits.holds_licence,
        )

    def _imports(self) -> legacy_import.Context:
        """CIP 旧数据导入's collaborators (usecases/legacy_import.py, services/common/import_jobs.py)."""
        return legacy_import.Context(self.db.unit_of_work, lambda: self.db.unit_of_work().session,
                                     self.renderers.run, self.background, self.audit_alone)

    @reliable_event_handler("identity", "enterprise_account_registered")
    def on_enterprise_account_registered(self, body: dict) -> None:
        profile.on_enterprise_account_registered(self.deps, body)

    @service_rpc
    def get_enterprise(self, actor: dict, enterprise_id: str) -> dict:
        return profile.get_enterprise(self.deps, actor, enterprise_id)

    @service_rpc
    def update_basic_info(self, actor: dict, enterprise_id: str, payload: dict) -> dict:
        """Directly editable fields (and files); a locked or read-only field is refused."""
        return profile.update_basic_info(self.deps, actor, enterprise_id, payload)

    @service_rpc
    def upload_attachment(self, actor: dict, enterprise_id: str, payload: dict) -> dict:
        """A file of a roster person, project or equipment (or one of the two basic-info PDFs)."""
        return profile.upload_attachment(self.deps, actor, enterprise_id, payload)

    @service_rpc
    def attachment_url(self, actor: dict, attachment_id: str) -> dict:
        return profile.attachment_url(self.deps, actor, attachment_id)

    @service_rpc
    def request_change(self, actor: dict, enterprise_id: str, payload: dict) -> dict:
        return change_requests.request_change(self.deps, actor, enterprise_id, payload)

    @reliable_event_handler("review", "case_decided")
    def on_case_decided(self, body: dict) -> None:
        if not key_staff.answer(self.deps, body):  # 人员入职/离职申请, else a change request
            change_requests.on_case_decided(self.deps, body)

    @reliable_event_handler("review", "case_closed")
    def on_case_closed(self, body: dict) -> None:
        if not key_staff.answer(self.deps, body, closed=True):
            change_requests.on_case_closed(self.deps, body)

    @service_rpc
    def list_change_requests(self, actor: dict, enterprise_id: str) -> list[dict]:
        return selectors.list_change_requests(self.deps, actor, enterprise_id)

    @service_rpc
    def change_history(self, actor: dict, enterprise_id: str, query: dict | None = None) -> dict:
        return selectors.change_history(self.deps, actor, enterprise_id, query)

    @service_rpc
    def search_organisations(self, actor: dict, query: str) -> list[dict]:
        """上级单位 fuzzy search by name (PFL 选择 → 查询)."""
        return selectors.search_organisations(self.deps, actor, query)

    @service_rpc
    def reference_data(self) -> dict:
        return selectors.reference_data(self.deps)

    @service_rpc
    def list_records(self, actor: dict, enterprise_id: str, section: str, query: dict | None = None) -> dict:
        return selectors.list_records(self.deps, actor, enterprise_id, section, query)

    @service_rpc
    def summary(self, actor: dict, enterprise_id: str) -> dict:
        return selectors.summary(self.deps, actor, enterprise_id)

    @service_rpc
    def get_record(self, actor: dict, enterprise_id: str, section: str, record_id: str) -> dict:
        return selectors.get_record(self.deps, actor, enterprise_id, section, record_id)

    @service_rpc
    def save_record(self, actor: dict, enterprise_id: str, section: str, payload: dict) -> dict:
        """Create (no ``id``) or update (``id``) one record of a section."""
        return records.save_record(self.deps, actor, enterprise_id, section, payload)

    @service_rpc
    def delete_record(self, actor: dict, enterprise_id: str, section: str, record_id: str) -> dict:
        return records.delete_record(self.deps, actor, enterprise_id, section, record_id)

    @service_rpc
    def import_legacy_staff(self, actor: dict, payload: dict) -> dict:
        return legacy_import.start(self._imports(), actor, payload)

    @service_rpc
    def import_job(self, actor: dict, job_id: str) -> dict:
        return legacy_import.job(self._imports(), actor, job_id)

    @service_rpc
    def import_report(self, actor: dict, job_id: str) -> dict:
        return legacy_import.report(self._imports(), actor, job_id)

    @service_rpc
    def staff_imported(self, actor_or_none: dict | None, enterprise_id: str, id_number: str) -> dict:
        return legacy.staff_imported_for(self.deps, actor_or_none, enterprise_id, id_number)

    @service_rpc
    def records_for_precheck(
        self, actor_or_none: dict | None, enterprise_id: str, known_version: int | None = None
    ) -> dict:
        return selectors.records_for_precheck(self.deps, actor_or_none, enterprise_id, known_version)

    @service_rpc
    def save_registration_profile(self, actor: dict, payload: dict) -> dict:
        """Save a draft of registration step 2: partial is fine (continued later)."""
        return registration.save_registration_profile(self.deps, actor, payload)

    @service_rpc
    def submit_registration_profile(self, actor: dict) -> dict:
        return registration.submit_registration_profile(self.deps, actor)

    @service_rpc
    def registration_profile(self, actor: dict, enterprise_id: str) -> dict:
        return registration.registration_profile(self.deps, actor, enterprise_id)


SERVICE_CLASS = EnterpriseService
