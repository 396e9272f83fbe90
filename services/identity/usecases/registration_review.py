"""Registration review (TSA) as a review case (``identity:registration:<account id>``):
asked once the e-mail is verified and step 2 submitted, decided by review."""

from __future__ import annotations

from typing import Any

from services.common import review_cases
from services.common.access import actor_from_account
from services.common.errors import uuid_or_not_found
from services.common.review_cases import CaseDesk
from services.identity import domain
from services.identity.events import OWN_STATUS_CHANGED, REGISTRATION_PROFILE_SUBMITTED, REVIEW_REQUESTED
from services.identity.models import Account
from services.identity.usecases._support import (
    Deps,
    _now,
    _registration_case_due,
    _session_view,
    _set_status,
    log,
)


def _request_registration_review(deps: Deps, account_id: object,
                                 claim: tuple[str, str] | None = None) -> None:
    """Send review the registration (its next revision) once it is due: e-mail verified, step 2
    submitted, no case open (or step 2 submitted again since its revision: the reviewer must
    see what is current). Idempotent: every trigger may call it, one case revision results."""
    if not deps.config["features"]["registration_review"]:
        return
    account_uuid = uuid_or_not_found(str(account_id), "账号不存在")
    with deps.begin() as uow:
        account = uow.accounts.get(account_uuid)
        if not _registration_case_due(account):
            return
        owner = actor_from_account(_session_view(account))
    # Step 2 lives in the enterprise service; read it (as the enterprise's own main account:
    # enterprise's registration_profile refuses a None actor) before locking the account.
    profile = deps.registration_profile(owner, str(account_uuid))
    with deps.begin() as uow:
        if claim is not None and not uow.claim_event(*claim):
            return
        account = uow.accounts.get(account_uuid, for_update=True)
        if not _registration_case_due(account):
            uow.commit()
            return
        assert account is not None
        account.registration_revision += 1
        account.registration_case_open = True
        account.registration_case_profile_at = account.profile_submitted_at
        data = domain.registration_case(
            {"id": account.id, "uscc": account.uscc, "contact_name": account.contact_name,
             "email": account.email}, profile, account.registration_revision, _now())
        review_cases.request(uow, REVIEW_REQUESTED, **data)
        uow.audit("registration.review_requested", actor_id=account.id,
                  subject_id=account.id, revision=account.registration_revision)
        uow.commit()


def on_own_status_changed(deps: Deps, body: dict) -> None:
    """待审核 (e-mail verified, or 前往修改 after 审核不通过): the registration case may be due."""
    envelope = OWN_STATUS_CHANGED.parse(body)
    data = envelope["data"]
    if data["kind"] == domain.KIND_ENTERPRISE and data["status"] == domain.ACCOUNT_PENDING_REVIEW:
        _request_registration_review(
            deps, data["account_id"], claim=(envelope["id"], "identity.on_own_status_changed"))


def _registration_account(uow: Any, case_ref: str) -> Account | None:
    """The enterprise account a registration case is about (locked); None for any other."""
    account_id = uuid_or_not_found(domain.registration_account_of(case_ref), "账号不存在")
    account = uow.accounts.get(account_id, for_update=True)
    return account if account is not None and account.kind == domain.KIND_ENTERPRISE else None


# identity's side of its review cases (services/common/review_cases.py)
DESK = CaseDesk("identity", domain.REGISTRATION_CASE_PREFIX, _registration_account)


def on_case_decided(deps: Deps, body: dict) -> None:
    """Review's decision on a registration case approves or rejects the account (the reason
    is shown to the enterprise, which may 前往修改 and resubmit)."""
    DESK.answer(deps.begin, "case_decided", body, _decided)


def _decided(uow: Any, account: Account, data: dict) -> None:
    account.registration_case_open = False
    if account.status == domain.ACCOUNT_PENDING_REVIEW:
        approved = data["decision"] == "approved"
        status = domain.ACCOUNT_ACTIVE if approved else domain.ACCOUNT_REJECTED
        _set_status(uow, account, status, None if approved else (data["reason"] or "审核不通过"),
                    actor_id=None)
    uow.audit("registration.decided", subject_id=account.id, decision=data["decision"],
              decided_by=data["decided_by"], revision=account.registration_revision)


def on_registration_profile_submitted(deps: Deps, body: dict) -> None:
    """Step 2 arrived: review may approve; a rejected registration goes back to review."""
    envelope = REGISTRATION_PROFILE_SUBMITTED.parse(body)
    data = envelope["data"]
    with deps.begin() as uow:
        account = uow.accounts.get(data["enterprise_id"], for_update=True)
        if account is None or account.kind != domain.KIND_ENTERPRISE:
            log.warning("registration profile for unknown enterprise %s", data["enterprise_id"])
            return  # nothing to do, and nothing to retry
        if uow.claim_event(envelope["id"], "identity.on_registration_profile_submitted"):
            account.profile_submitted_at = data["submitted_at"]
            uow.audit("registration.profile_submitted", actor_id=account.id,
                      subject_id=account.id)
            if (status := domain.status_after_profile_submitted(account.status)) != account.status:
                _set_status(uow, account, status, None, actor_id=account.id)
            uow.commit()
    # Already 待审核 (verified before step 2): the case is due now. Also on a redelivery, in
    # case the request failed after the commit above (the request is idempotent).
    _request_registration_review(deps, data["enterprise_id"])
