"""The identity service as the gateway calls it (services/identity/service.py, docs/contracts.md):
accounts, sign-in and second factor, passwords, sub-accounts and staff accounts."""

from __future__ import annotations

from gateway.clients.base import Row, ServiceClient


class IdentityClient(ServiceClient):
    service = "identity"

    def register_account(self, payload: dict) -> Row:
        return self._rpc("register_account", payload)

    def register_person(self, payload: dict) -> Row:
        return self._rpc("register_person", payload)

    def resend_verification(self, account_id: str) -> Row:
        return self._rpc("resend_verification", account_id)

    def verify_email(self, token: str) -> Row:
        return self._rpc("verify_email", token)

    def resubmit_registration(self, account_id: str, payload: dict) -> Row:
        return self._rpc("resubmit_registration", account_id, payload)

    def login(self, payload: dict) -> Row:
        return self._rpc("login", payload)

    def verify_second_factor(self, payload: dict) -> Row:
        return self._rpc("verify_second_factor", payload)

    def session_account(self, account_id: str) -> Row:
        return self._rpc("session_account", account_id)

    def begin_totp_enrolment(self, account_id: str) -> Row:
        return self._rpc("begin_totp_enrolment", account_id)

    def confirm_totp_enrolment(self, account_id: str, code: str) -> Row:
        return self._rpc("confirm_totp_enrolment", account_id, code)

    def change_password(self, payload: dict) -> Row:
        return self._rpc("change_password", payload)

    def request_password_reset(self, login: str) -> Row:
        return self._rpc("request_password_reset", login)

    def reset_password(self, payload: dict) -> Row:
        return self._rpc("reset_password", payload)

    def admin_reset_password(self, actor_id: str, account_id: str) -> Row:
        return self._rpc("admin_reset_password", actor_id, account_id)

    def find_enterprise_account(self, actor_id: str, login: str) -> Row:
        return self._rpc("find_enterprise_account", actor_id, login)

    def staff_reset_password_by_mail(self, actor_id: str, account_id: str) -> Row:
        return self._rpc("staff_reset_password_by_mail", actor_id, account_id)

    def create_sub_account(self, actor_id: str, payload: dict) -> Row:
        return self._rpc("create_sub_account", actor_id, payload)

    def list_sub_accounts(self, actor_id: str) -> list[Row]:
        return self._rpc("list_sub_accounts", actor_id)

    def set_sub_account(self, actor_id: str, account_id: str, changes: dict) -> Row:
        return self._rpc("set_sub_account", actor_id, account_id, changes)

    def create_staff_account(self, actor_id: str | None, payload: dict) -> Row:
        return self._rpc("create_staff_account", actor_id, payload)

    def list_staff_accounts(self, actor_id: str) -> list[Row]:
        return self._rpc("list_staff_accounts", actor_id)

    def desk_staff(self, actor_id: str) -> list[Row]:
        return self._rpc("desk_staff", actor_id)
