"""The permits service as the gateway calls it (services/permits/service.py, docs/contracts.md)."""

from __future__ import annotations

from gateway.clients.base import Actor, Row, ServiceClient


class PermitsClient(ServiceClient):
    service = "permits"

    # ---- catalogue -------------------------------------------------------------------------------
    def catalogue_types(self, actor: Actor) -> list[Row]:
        return self._rpc("catalogue_types", actor)

    def catalogue_type(self, actor: Actor, type_code: str) -> Row:
        return self._rpc("catalogue_type", actor, type_code)

    def lane_options(self, actor: Actor, type_code: str, kind: str = "new") -> list[Row]:
        return self._rpc("lane_options", actor, type_code, kind)

    # ---- drafts, pre-check, files ----------------------------------------------------------------
    def create_draft(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("create_draft", actor, payload)

    def update_draft(self, actor: Actor, application_id: str, payload: dict) -> Row:
        return self._rpc("update_draft", actor, application_id, payload)

    def run_precheck(self, actor: Actor, application_id: str, version: int | None = None) -> Row:
        return self._rpc("run_precheck", actor, application_id, version)

    def generate_form(self, actor: Actor, application_id: str, version: int | None = None) -> Row:
        return self._rpc("generate_form", actor, application_id, version)

    def upload_signed_scan(self, actor: Actor, application_id: str, upload: dict,
                           version: int | None = None) -> Row:
        return self._rpc("upload_signed_scan", actor, application_id, upload, version)

    def upload_material(self, actor: Actor, application_id: str, code: str, upload: dict) -> Row:
        return self._rpc("upload_material", actor, application_id, code, upload)

    # ---- preview, commitment letter, submit, 补正, leave ------------------------------------------
    def preview(self, actor: Actor, application_id: str, version: int | None = None) -> Row:
        return self._rpc("preview", actor, application_id, version)

    def open_commitment(self, actor: Actor, application_id: str) -> Row:
        return self._rpc("open_commitment", actor, application_id)

    def confirm_commitment(self, actor: Actor, application_id: str, version: int | None = None) -> Row:
        return self._rpc("confirm_commitment", actor, application_id, version)

    def submit(self, actor: Actor, application_id: str, idempotency_key: str | None = None,
               version: int | None = None) -> Row:
        return self._rpc("submit", actor, application_id, idempotency_key, version)

    def update_correction(self, actor: Actor, application_id: str, values: dict,
                          version: int | None = None) -> Row:
        return self._rpc("update_correction", actor, application_id, values, version)

    def resubmit(self, actor: Actor, application_id: str, idempotency_key: str | None = None,
                 version: int | None = None) -> Row:
        return self._rpc("resubmit", actor, application_id, idempotency_key, version)

    def withdraw(self, actor: Actor, application_id: str, reason: str = "") -> Row:
        return self._rpc("withdraw", actor, application_id, reason)

    def terminate(self, actor: Actor, application_id: str, reason: str = "") -> Row:
        return self._rpc("terminate", actor, application_id, reason)

    def discard(self, actor: Actor, application_id: str) -> Row:
        return self._rpc("discard", actor, application_id)

    # ---- reading -----------------------------------------------------------------------------------
    def get_application(self, actor: Actor, application_id: str) -> Row:
        return self._rpc("get_application", actor, application_id)

    def list_applications(self, actor: Actor, query: dict | None = None) -> list[Row]:
        return self._rpc("list_applications", actor, query)

    def attachment_url(self, actor: Actor, attachment_id: str) -> Row:
        return self._rpc("attachment_url", actor, attachment_id)

    # ---- licences ------------------------------------------------------------------------------------
    def my_licences(self, actor: Actor) -> list[Row]:
        return self._rpc("my_licences", actor)

    def get_licence(self, actor: Actor, licence_id: str) -> Row:
        return self._rpc("get_licence", actor, licence_id)

    def find_licences(self, actor: Actor, number: str = "", at_risk: bool = False) -> list[Row]:
        return self._rpc("find_licences", actor, number, at_risk)

    def set_licence_status(self, actor: Actor, licence_id: str, status: str, reason: str = "") -> Row:
        return self._rpc("set_licence_status", actor, licence_id, status, reason)

    def verify_licence(self, token: str) -> Row:
        return self._rpc("verify_licence", token)

    # ---- batches (申报批次) -----------------------------------------------------------------------
    def create_batch(self, actor: Actor, name: str) -> Row:
        return self._rpc("create_batch", actor, name)

    def list_batches(self, actor: Actor) -> list[Row]:
        return self._rpc("list_batches", actor)

    def get_batch(self, actor: Actor, batch_id: str) -> Row:
        return self._rpc("get_batch", actor, batch_id)

    def add_to_batch(self, actor: Actor, batch_id: str, application_id: str) -> Row:
        return self._rpc("add_to_batch", actor, batch_id, application_id)

    def remove_from_batch(self, actor: Actor, batch_id: str, application_id: str) -> Row:
        return self._rpc("remove_from_batch", actor, batch_id, application_id)

    def submit_batch(self, actor: Actor, batch_id: str, idempotency_key: str | None = None) -> Row:
        return self._rpc("submit_batch", actor, batch_id, idempotency_key)

    def delete_batch(self, actor: Actor, batch_id: str) -> Row:
        return self._rpc("delete_batch", actor, batch_id)

    # ---- 容缺 credit register ------------------------------------------------------------------------
    def credit_register(self, actor: Actor) -> list[Row]:
        return self._rpc("credit_register", actor)

    def set_credit(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("set_credit", actor, payload)

    # ---- 安全生产事故记录 (CIP 不再审查延期's condition) -----------------------------------------
    def safety_records(self, actor: Actor) -> list[Row]:
        return self._rpc("safety_records", actor)

    def record_safety(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("record_safety", actor, payload)

    # ---- 业务目录维护: catalogue versions (admins) ------------------------------------------------
    def catalogue_families(self, actor: Actor) -> list[Row]:
        return self._rpc("catalogue_families", actor)

    def catalogue_history(self, actor: Actor, family: str) -> Row:
        return self._rpc("catalogue_history", actor, family)

    def catalogue_version(self, actor: Actor, family: str, number: int) -> Row:
        return self._rpc("catalogue_version", actor, family, number)

    def catalogue_diff(self, actor: Actor, family: str, old: int, new: int) -> Row:
        return self._rpc("catalogue_diff", actor, family, old, new)

    def publish_catalogue(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("publish_catalogue", actor, payload)

    def activate_catalogue(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("activate_catalogue", actor, payload)
