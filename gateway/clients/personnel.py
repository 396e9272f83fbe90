"""The personnel service as the gateway calls it (services/personnel/service.py, docs/contracts.md):
people, certificates, declarations, batches, transfers, appeals, the register and its exports."""

from __future__ import annotations

from gateway.clients.base import Actor, Row, ServiceClient


class PersonnelClient(ServiceClient):
    service = "personnel"

    def catalogue(self, actor: Actor) -> Row:
        return self._rpc("catalogue", actor)

    def create_person(self, actor: Actor, data: dict) -> Row:
        return self._rpc("create_person", actor, data)

    def update_person(self, actor: Actor, person_id: str, data: dict) -> Row:
        return self._rpc("update_person", actor, person_id, data)

    def upload_photo(self, actor: Actor, person_id: str, upload: dict) -> Row:
        return self._rpc("upload_photo", actor, person_id, upload)

    def list_people(self, actor: Actor, query: dict | None = None) -> Row:
        return self._rpc("list_people", actor, query)

    def get_person(self, actor: Actor, person_id: str) -> Row:
        return self._rpc("get_person", actor, person_id)

    def add_certificate_record(self, actor: Actor, person_id: str, data: dict) -> Row:
        return self._rpc("add_certificate_record", actor, person_id, data)

    def update_certificate_record(self, actor: Actor, certificate_id: str, data: dict) -> Row:
        return self._rpc("update_certificate_record", actor, certificate_id, data)

    def certificate(self, actor: Actor, certificate_id: str) -> Row:
        return self._rpc("certificate", actor, certificate_id)

    def import_exam_passes(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("import_exam_passes", actor, payload)

    def import_job(self, actor: Actor, job_id: str) -> Row:
        return self._rpc("import_job", actor, job_id)

    def import_report(self, actor: Actor, job_id: str) -> Row:
        return self._rpc("import_report", actor, job_id)

    def search_exam_passes(self, actor: Actor, query: dict) -> Row:
        return self._rpc("search_exam_passes", actor, query)

    def new_declaration(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("new_declaration", actor, payload)

    def new_personal_declaration(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("new_personal_declaration", actor, payload)

    def redeclare_declaration(self, actor: Actor, declaration_id: str) -> Row:
        return self._rpc("redeclare_declaration", actor, declaration_id)

    def correct_qualification(self, actor: Actor, declaration_id: str, payload: dict) -> Row:
        return self._rpc("correct_qualification", actor, declaration_id, payload)

    def get_declaration(self, actor: Actor, declaration_id: str) -> Row:
        return self._rpc("get_declaration", actor, declaration_id)

    def update_declaration(self, actor: Actor, declaration_id: str, payload: dict) -> Row:
        return self._rpc("update_declaration", actor, declaration_id, payload)

    def upload_declaration_attachment(self, actor: Actor, declaration_id: str, code: str,
                                      upload: dict) -> Row:
        return self._rpc("upload_declaration_attachment", actor, declaration_id, code, upload)

    def attachment_url(self, actor: Actor, attachment_id: str) -> Row:
        return self._rpc("attachment_url", actor, attachment_id)

    def delete_declarations(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("delete_declarations", actor, payload)

    def return_declarations(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("return_declarations", actor, payload)

    def list_declarations(self, actor: Actor, query: dict | None = None) -> Row:
        return self._rpc("list_declarations", actor, query)

    def my_declarations(self, actor: Actor) -> Row:
        return self._rpc("my_declarations", actor)

    def find_for_re_registration(self, actor: Actor, query: dict) -> Row:
        return self._rpc("find_for_re_registration", actor, query)

    def create_batch(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("create_batch", actor, payload)

    def add_to_batch(self, actor: Actor, batch_id: str, payload: dict) -> Row:
        return self._rpc("add_to_batch", actor, batch_id, payload)

    def remove_from_batch(self, actor: Actor, batch_id: str, payload: dict) -> Row:
        return self._rpc("remove_from_batch", actor, batch_id, payload)

    def list_batches(self, actor: Actor, query: dict | None = None) -> Row:
        return self._rpc("list_batches", actor, query)

    def get_batch(self, actor: Actor, batch_id: str) -> Row:
        return self._rpc("get_batch", actor, batch_id)

    def open_commitment(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("open_commitment", actor, payload)

    def report(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("report", actor, payload)

    def resubmit_declaration(self, actor: Actor, declaration_id: str) -> Row:
        return self._rpc("resubmit_declaration", actor, declaration_id)

    def cancel_declaration(self, actor: Actor, declaration_id: str, reason: str = '') -> Row:
        return self._rpc("cancel_declaration", actor, declaration_id, reason)

    def request_withdrawal(self, actor: Actor, declaration_id: str, reason: str = '') -> Row:
        return self._rpc("request_withdrawal", actor, declaration_id, reason)

    def decide_withdrawal(self, actor: Actor, declaration_id: str, payload: dict) -> Row:
        return self._rpc("decide_withdrawal", actor, declaration_id, payload)

    def transfer_out(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("transfer_out", actor, payload)

    def list_transfers(self, actor: Actor, query: dict | None = None) -> Row:
        return self._rpc("list_transfers", actor, query)

    def accept_transfer(self, actor: Actor, transfer_id: str) -> Row:
        return self._rpc("accept_transfer", actor, transfer_id)

    def return_transfer(self, actor: Actor, transfer_id: str, reason: str = '') -> Row:
        return self._rpc("return_transfer", actor, transfer_id, reason)

    def cancel_transfer(self, actor: Actor, transfer_id: str) -> Row:
        return self._rpc("cancel_transfer", actor, transfer_id)

    def request_transfer(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("request_transfer", actor, payload)

    def my_certificates(self, actor: Actor) -> Row:
        return self._rpc("my_certificates", actor)

    def my_transfers(self, actor: Actor) -> Row:
        return self._rpc("my_transfers", actor)

    def decide_transfers(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("decide_transfers", actor, payload)

    def expiring(self, actor: Actor, query: dict | None = None) -> Row:
        return self._rpc("expiring", actor, query)

    def search_registered(self, actor: Actor, filters: dict | None = None) -> Row:
        return self._rpc("search_registered", actor, filters)

    def export_registered(self, actor: Actor, filters: dict | None = None) -> Row:
        return self._rpc("export_registered", actor, filters)

    def start_export(self, actor: Actor, filters: dict | None = None) -> Row:
        return self._rpc("start_export", actor, filters)

    def export_status(self, actor: Actor, job_id: str) -> Row:
        return self._rpc("export_status", actor, job_id)

    def raise_anomaly(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("raise_anomaly", actor, payload)

    def list_appeals(self, actor: Actor, query: dict | None = None) -> Row:
        return self._rpc("list_appeals", actor, query)

    def answer_appeal(self, actor: Actor, appeal_id: str, payload: dict) -> Row:
        return self._rpc("answer_appeal", actor, appeal_id, payload)

    def close_appeal(self, actor: Actor, appeal_id: str, payload: dict) -> Row:
        return self._rpc("close_appeal", actor, appeal_id, payload)
