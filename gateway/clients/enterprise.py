"""The enterprise service as the gateway calls it (services/enterprise/service.py, docs/contracts.md):
the enterprise's record, its sections, change requests, registration profile, legacy import."""

from __future__ import annotations

from gateway.clients.base import Actor, Row, ServiceClient


class EnterpriseClient(ServiceClient):
    service = "enterprise"

    def get_enterprise(self, actor: Actor, enterprise_id: str) -> Row:
        return self._rpc("get_enterprise", actor, enterprise_id)

    def update_basic_info(self, actor: Actor, enterprise_id: str, payload: dict) -> Row:
        return self._rpc("update_basic_info", actor, enterprise_id, payload)

    def upload_attachment(self, actor: Actor, enterprise_id: str, payload: dict) -> Row:
        return self._rpc("upload_attachment", actor, enterprise_id, payload)

    def attachment_url(self, actor: Actor, attachment_id: str) -> Row:
        return self._rpc("attachment_url", actor, attachment_id)

    def request_change(self, actor: Actor, enterprise_id: str, payload: dict) -> Row:
        return self._rpc("request_change", actor, enterprise_id, payload)

    def list_change_requests(self, actor: Actor, enterprise_id: str) -> list[Row]:
        return self._rpc("list_change_requests", actor, enterprise_id)

    def change_history(self, actor: Actor, enterprise_id: str, query: dict | None = None) -> Row:
        return self._rpc("change_history", actor, enterprise_id, query)

    def search_organisations(self, actor: Actor, query: str) -> list[Row]:
        return self._rpc("search_organisations", actor, query)

    def reference_data(self) -> Row:
        return self._rpc("reference_data")

    def list_records(self, actor: Actor, enterprise_id: str, section: str, query: dict | None = None) -> Row:
        return self._rpc("list_records", actor, enterprise_id, section, query)

    def summary(self, actor: Actor, enterprise_id: str) -> Row:
        return self._rpc("summary", actor, enterprise_id)

    def get_record(self, actor: Actor, enterprise_id: str, section: str, record_id: str) -> Row:
        return self._rpc("get_record", actor, enterprise_id, section, record_id)

    def save_record(self, actor: Actor, enterprise_id: str, section: str, payload: dict) -> Row:
        return self._rpc("save_record", actor, enterprise_id, section, payload)

    def delete_record(self, actor: Actor, enterprise_id: str, section: str, record_id: str) -> Row:
        return self._rpc("delete_record", actor, enterprise_id, section, record_id)

    def import_legacy_staff(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("import_legacy_staff", actor, payload)

    def import_job(self, actor: Actor, job_id: str) -> Row:
        return self._rpc("import_job", actor, job_id)

    def import_report(self, actor: Actor, job_id: str) -> Row:
        return self._rpc("import_report", actor, job_id)

    def save_registration_profile(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("save_registration_profile", actor, payload)

    def submit_registration_profile(self, actor: Actor) -> Row:
        return self._rpc("submit_registration_profile", actor)

    def registration_profile(self, actor: Actor, enterprise_id: str) -> Row:
        return self._rpc("registration_profile", actor, enterprise_id)
