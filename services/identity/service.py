"""identity's nameko entrypoints: thin, schema in, domain, schema out."""

from __future__ import annotations

import logging

from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from eventlet import tpool
from sqlalchemy.exc import IntegrityError

from services.common.base import PlatformService, service_rpc
from services.common.errors import NotFound, ValidationFailed, uuid_or_not_found
from services.common.schema_errors import load_or_fail
from services.identity import domain
from services.identity.events import ENTERPRISE_ACCOUNT_REGISTERED
from services.identity.models import Account
from services.identity.repository import AccountRepository
from services.identity.schemas import AccountSchema, RegisterAccountSchema

log = logging.getLogger(__name__)
_hasher = PasswordHasher()  # argon2id


class IdentityService(PlatformService):
    name = "identity"

    @service_rpc
    def register_account(self, payload: dict) -> dict:
        data = domain.normalise_registration(load_or_fail(RegisterAccountSchema(), payload))
        request_key = data.get("request_key") or None
        try:
            return self._register(data, request_key)
        except IntegrityError:
            # Two submits of one form raced past the checks: the loser returns the winner's
            # account; without a key it is a plain "already registered".
            if request_key:
                with self.db.unit_of_work() as uow:
                    existing = AccountRepository(uow.session).by_request_key(request_key)
                    if existing is not None and _same_submission(existing, data):
                        return AccountSchema().dump(existing)
            raise ValidationFailed.from_fields(
                {"uscc": [{"code": "taken", "message": "该统一社会信用代码已注册"}]}
            ) from None

    def _register(self, data: dict, request_key: str | None) -> dict:
        with self.db.unit_of_work() as uow:
            accounts = AccountRepository(uow.session)
            if request_key and (existing := accounts.by_request_key(request_key)):
                if _same_submission(existing, data):
                    return AccountSchema().dump(existing)  # a repeated submit, not a new account
            errors = domain.registration_errors(
                data, accounts.taken_fields(data["uscc"], data["contact_mobile"])
            )
            if errors:
                raise ValidationFailed.from_fields(errors)
            account = Account(
                uscc=data["uscc"],
                contact_name=data["contact_name"],
                contact_mobile=data["contact_mobile"],
                email=data["email"],
                # argon2 is CPU-bound: run it off the event loop.
                password_hash=tpool.execute(_hasher.hash, data["password"]),
                status=domain.ACCOUNT_PENDING_EMAIL,
                request_key=request_key,
            )
            accounts.add(account)
            uow.add_event(ENTERPRISE_ACCOUNT_REGISTERED, {
                "account_id": account.id, "uscc": account.uscc,
                "contact_name": account.contact_name, "email": account.email,
            })
            uow.commit()
            log.info("enterprise account %s registered for %s", account.id, account.uscc)
            return AccountSchema().dump(account)

    @service_rpc
    def get_account(self, account_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            account = AccountRepository(uow.session).get(uuid_or_not_found(account_id, "账号不存在"))
            if account is None:
                raise NotFound("账号不存在")
            return AccountSchema().dump(account)


def _same_submission(account: Account, data: dict) -> bool:
    """A repeated key counts only with the same USCC and password: a key alone proves nothing."""
    if account.uscc != data["uscc"]:
        return False
    try:
        return bool(tpool.execute(_hasher.verify, account.password_hash, data["password"]))
    except VerifyMismatchError:
        return False


SERVICE_CLASS = IdentityService
