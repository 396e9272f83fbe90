"""Registration: enterprise and person accounts (once per form), e-mail verification,
前往修改 after 审核不通过."""

from __future__ import annotations

from collections.abc import Callable

from marshmallow import Schema
from sqlalchemy.exc import IntegrityError

from services.common.access import KIND_PERSON
from services.common.errors import InvalidTransition, ValidationFailed, field_error
from services.common.schema_errors import load_or_fail
from services.common.validators import is_email
from services.identity import domain
from services.identity.events import ENTERPRISE_ACCOUNT_REGISTERED
from services.identity.models import Account
from services.identity.schemas import (
    AccountSchema,
    PersonAccountSchema,
    RegisterAccountSchema,
    RegisterPersonSchema,
)
from services.identity.usecases._support import (
    Deps,
    _get,
    _hash,
    _issue_link,
    _now,
    _same_submission,
    _session_view,
    _set_status,
    _use_token,
    check_attempt_limits,
    log,
)


def register_account(deps: Deps, payload: dict) -> dict:
    data = domain.normalise_registration(load_or_fail(RegisterAccountSchema(), payload))
    return _register_once(deps, data, data["uscc"], _register, AccountSchema(),
                          {"uscc": [field_error("taken", "该统一社会信用代码已注册")]})


def register_person(deps: Deps, payload: dict) -> dict:
    """A person's own account (个人用户): login = the normalised ID number; the e-mail is
    verified as for enterprises, and there is no registration review."""
    data = domain.normalise_person_registration(load_or_fail(RegisterPersonSchema(), payload))
    return _register_once(deps,
        data, data["id_number"], _register_person, PersonAccountSchema(),
        {"id_number": [field_error("taken", "该证件号码已注册个人账号")]})


def _register_once(deps: Deps, data: dict, login: str, create: Callable[[Deps, dict, str | None], dict],
                   view: Schema, taken: dict) -> dict:
    """Create an account once per form: a repeated submit (same key, login and password)
    gets the account the first one created."""
    request_key = data.get("request_key") or None
    check_attempt_limits(deps, ip=data.get("ip"), login=login)  # per IP and per login (429)
    if request_key and (existing := _by_request_key(deps, request_key, login, data["password"], view)):
        return existing
    try:
        return create(deps, data, request_key)
    except IntegrityError:
        # Two submits of one form raced past the checks: the loser returns the winner's
        # account; without a key it is a plain "already registered".
        if request_key and (existing := _by_request_key(deps, request_key, login, data["password"],
                                                        view)):
            return existing
        raise ValidationFailed.from_fields(taken) from None


def _by_request_key(deps: Deps, request_key: str, login: str, password: str, view: Schema) -> dict | None:
    """The account an earlier submit of the same form created, dumped while its session is open."""
    with deps.begin() as uow:
        existing = uow.accounts.by_request_key(request_key)
        if existing is not None and _same_submission(existing, login, password):
            return view.dump(existing)
        return None


def _register(deps: Deps, data: dict, request_key: str | None) -> dict:
    with deps.begin() as uow:
        accounts = uow.accounts
        errors = domain.registration_errors(
            data, accounts.taken_fields(data["uscc"], data["contact_mobile"])
        )
        if errors:
            raise ValidationFailed.from_fields(errors)
        account = Account(
            kind=domain.KIND_ENTERPRISE,
            login=data["uscc"],
            uscc=data["uscc"],
            contact_name=data["contact_name"],
            contact_mobile=data["contact_mobile"],
            email=data["email"],
            password_hash=_hash(data["password"]),
            status=domain.ACCOUNT_PENDING_EMAIL,
            permissions=[],
            request_key=request_key,
        )
        accounts.add(account)
        uow.add_event(ENTERPRISE_ACCOUNT_REGISTERED, {
            "account_id": account.id, "uscc": account.uscc,
            "contact_name": account.contact_name, "email": account.email,
        })
        _issue_link(deps, uow, account, "verify_email")
        uow.audit("account.registered", actor_id=account.id,
                  subject_id=account.id, uscc=account.uscc)
        uow.commit()
        log.info("enterprise account %s registered for %s", account.id, account.uscc)
        return AccountSchema().dump(account)


def _register_person(deps: Deps, data: dict, request_key: str | None) -> dict:
    with deps.begin() as uow:
        accounts = uow.accounts
        errors = domain.person_registration_errors(
            data, accounts.taken_person_fields(data["id_number"], data["mobile"]))
        if errors:
            raise ValidationFailed.from_fields(errors)
        account = Account(
            kind=KIND_PERSON, login=data["id_number"], id_type=data["id_type"],
            id_number=data["id_number"], contact_name=data["name"],
            contact_mobile=data["mobile"], email=data["email"],
            password_hash=_hash(data["password"]), status=domain.ACCOUNT_PENDING_EMAIL,
            permissions=[], request_key=request_key,
        )
        accounts.add(account)
        _issue_link(deps, uow, account, "verify_email")
        # The audit trail names the account, never the ID number (personal data).
        uow.audit("person_account.registered", actor_id=account.id,
                  subject_id=account.id, id_type=account.id_type)
        uow.commit()
        log.info("person account %s registered", account.id)
        return PersonAccountSchema().dump(account)


def resend_verification(deps: Deps, account_id: str) -> dict:
    with deps.begin() as uow:
        account = _get(uow, account_id)
        if account.status != domain.ACCOUNT_PENDING_EMAIL:
            raise InvalidTransition("该账号的邮箱已验证")
        _issue_link(deps, uow, account, "verify_email")
        uow.commit()
        return {"email": account.email}


def verify_email(deps: Deps, token: str) -> dict:
    review = bool(deps.config["features"]["registration_review"])
    with deps.begin() as uow:
        account = _use_token(uow, token, "verify_email")
        if account.status != domain.ACCOUNT_PENDING_EMAIL:
            raise InvalidTransition("该账号的邮箱已验证")
        account.email_verified_at = _now()
        _set_status(uow, account, domain.status_after_email_verified(review, account.kind),
                    None, actor_id=account.id)
        uow.commit()
        return _session_view(account)


def resubmit_registration(deps: Deps, account_id: str, payload: dict) -> dict:
    """After 审核不通过 the enterprise fixes its details and submits again (前往修改)."""
    with deps.begin() as uow:
        account = _get(uow, account_id, for_update=True)
        if account.status != domain.ACCOUNT_REJECTED:
            raise InvalidTransition("只有审核不通过的注册可以重新提交")
        name = (payload.get("contact_name") or account.contact_name).strip()
        email = (payload.get("email") or account.email).strip().lower()
        errors = {}
        if not 2 <= len(name) <= 50:
            errors["contact_name"] = [field_error("length", "联系人姓名应为2至50个字")]
        if not is_email(email):
            errors["email"] = [field_error("invalid", "电子邮箱格式不正确")]
        if errors:
            raise ValidationFailed.from_fields(errors)
        account.contact_name, account.email = name, email
        _set_status(uow, account, domain.ACCOUNT_PENDING_REVIEW, None, actor_id=account.id)
        uow.commit()
        return _session_view(account)
