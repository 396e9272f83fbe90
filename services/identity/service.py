"""identity's nameko entrypoints: thin, schema in, domain, schema out.

Every entrypoint delegates to a use case in ``services/identity/usecases/`` (one module per
area, functions ``(deps, data...)``; reads in ``selectors.py``), given the collaborators built
here (``deps``: the transactions, the configuration, enterprise's registration step 2, review's
answer on a reviewer's jurisdiction).
"""

from __future__ import annotations

from services.common.base import PlatformService, service_rpc
from services.common.events import reliable_event_handler
from services.common.rpc import PlatformRpcProxy
from services.identity.usecases import (
    _support,
    accounts,
    credentials,
    registration,
    registration_review,
    selectors,
    sign_in,
    staff_reset,
)


class IdentityService(PlatformService):
    name = "identity"

    enterprise = PlatformRpcProxy("enterprise")  # registration step 2, for the registration review case
    review = PlatformRpcProxy("review")  # a reviewer's jurisdiction, for 重置密码

    @property
    def deps(self) -> _support.Deps:
        """The use cases' collaborators, over this worker's providers."""
        _support.hash_gate(self.config["PLATFORM"])  # made once per process, from the config
        return _support.Deps(
            begin=lambda: _support.transaction(self.db),
            config=self.config["PLATFORM"],
            registration_profile=self.enterprise.registration_profile,
            reviewer_may_read_enterprise=self.review.reviewer_may_read_enterprise,
        )

    @service_rpc
    def register_account(self, payload: dict) -> dict:
        return registration.register_account(self.deps, payload)

    @service_rpc
    def register_person(self, payload: dict) -> dict:
        """A person's own account (个人用户): login = the normalised ID number; the e-mail is
        verified as for enterprises, and there is no registration review."""
        return registration.register_person(self.deps, payload)

    @service_rpc
    def resend_verification(self, account_id: str) -> dict:
        return registration.resend_verification(self.deps, account_id)

    @service_rpc
    def verify_email(self, token: str) -> dict:
        return registration.verify_email(self.deps, token)

    @reliable_event_handler("identity", "account_status_changed")
    def on_own_status_changed(self, body: dict) -> None:
        """待审核 (e-mail verified, or 前往修改 after 审核不通过): the registration case may be due."""
        registration_review.on_own_status_changed(self.deps, body)

    @reliable_event_handler("review", "case_decided")
    def on_case_decided(self, body: dict) -> None:
        """Review's decision on a registration case approves or rejects the account (the reason
        is shown to the enterprise, which may 前往修改 and resubmit)."""
        registration_review.on_case_decided(self.deps, body)

    @service_rpc
    def resubmit_registration(self, account_id: str, payload: dict) -> dict:
        """After 审核不通过 the enterprise fixes its details and submits again (前往修改)."""
        return registration.resubmit_registration(self.deps, account_id, payload)

    @reliable_event_handler("enterprise", "registration_profile_submitted")
    def on_registration_profile_submitted(self, body: dict) -> None:
        """Step 2 arrived: review may approve; a rejected registration goes back to review."""
        registration_review.on_registration_profile_submitted(self.deps, body)

    @service_rpc
    def login(self, payload: dict) -> dict:
        """Check a password. Returns the account and whether a TOTP code is still needed."""
        return sign_in.login(self.deps, payload)

    @service_rpc
    def verify_second_factor(self, payload: dict) -> dict:
        """The TOTP step of a login: a current code, or one unused recovery code."""
        return sign_in.verify_second_factor(self.deps, payload)

    @service_rpc
    def session_account(self, account_id: str) -> dict:
        """The gateway re-reads this to end sessions of disabled accounts (session_epoch)."""
        return selectors.session_account(self.deps, account_id)

    @service_rpc
    def begin_totp_enrolment(self, account_id: str) -> dict:
        return sign_in.begin_totp_enrolment(self.deps, account_id)

    @service_rpc
    def confirm_totp_enrolment(self, account_id: str, code: str) -> dict:
        return sign_in.confirm_totp_enrolment(self.deps, account_id, code)

    @service_rpc
    def change_password(self, payload: dict) -> dict:
        return credentials.change_password(self.deps, payload)

    @service_rpc
    def request_password_reset(self, login: str) -> dict:
        """Always answers the same, so nobody learns which logins exist."""
        return credentials.request_password_reset(self.deps, login)

    @service_rpc
    def reset_password(self, payload: dict) -> dict:
        return credentials.reset_password(self.deps, payload)

    @service_rpc
    def admin_reset_password(self, actor_id: str, account_id: str) -> dict:
        """A reviewer/admin resets a password (TSA): a temporary one, changed at next login.
        Who may whom: domain.reset_refusal, and a reviewer only within the desk's jurisdiction."""
        return credentials.admin_reset_password(self.deps, actor_id, account_id)

    @service_rpc
    def find_enterprise_account(self, actor_id: str, login: str) -> dict:
        return staff_reset.find_account(self, actor_id, login)  # 重置密码: find by USCC / username

    @service_rpc
    def staff_reset_password_by_mail(self, actor_id: str, account_id: str) -> dict:
        return staff_reset.reset_by_mail(self, actor_id, account_id)  # reset link mailed

    @service_rpc
    def create_sub_account(self, actor_id: str, payload: dict) -> dict:
        return accounts.create_sub_account(self.deps, actor_id, payload)

    @service_rpc
    def list_sub_accounts(self, actor_id: str) -> list[dict]:
        return selectors.list_sub_accounts(self.deps, actor_id)

    @service_rpc
    def set_sub_account(self, actor_id: str, account_id: str, changes: dict) -> dict:
        """Change a sub-account's permissions or disable/enable it (disabling ends its sessions)."""
        return accounts.set_sub_account(self.deps, actor_id, account_id, changes)

    @service_rpc
    def create_staff_account(self, actor_id: str | None, payload: dict) -> dict:
        """Admins create reviewers and admins. ``actor_id`` None is the bootstrap command."""
        return accounts.create_staff_account(self.deps, actor_id, payload)

    @service_rpc
    def list_staff_accounts(self, actor_id: str) -> list[dict]:
        return selectors.list_staff_accounts(self.deps, actor_id)

    @service_rpc
    def desk_staff(self, actor_id: str) -> list[dict]:
        """The enabled reviewers (and desk-bound admins) at the asking reviewer's desk: the 分配
        picker on a case page (review.assign accepts only these). Empty without a desk."""
        return selectors.desk_staff(self.deps, actor_id)

    @service_rpc
    def get_account(self, account_id: str) -> dict:
        return selectors.get_account(self.deps, account_id)


SERVICE_CLASS = IdentityService
