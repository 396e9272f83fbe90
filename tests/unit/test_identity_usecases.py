"""identity's service layer with a fake unit of work (no database, no broker, no enterprise or
review service): registration, e-mail verification, login failures, and the registration review
as a review case (services/common/review_cases.py), read from what the use cases left behind:
the accounts, the events in the outbox, the audit rows.

The fake repositories answer the queries the use cases make, from plain lists; the real
repositories' PostgreSQL queries are the integration tier's (tests/integration/test_identity_*.py,
test_registration_*.py)."""

from __future__ import annotations

import random
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from services.common.envelope import make_envelope
from services.common.errors import NotFound, TooManyAttempts, Unauthenticated, ValidationFailed
from services.identity import domain
from services.identity.models import Account
from services.identity.usecases import _support, credentials, registration, registration_review, sign_in
from tests.support.data import registration as registration_form
from tests.support.fake_transaction import FakeOutboxTx

PUBLIC_URL = "https://qlp.test"
PROFILE = {"name": "甲建筑公司", "region_code": "150102", "files": {}}


class FakeAccounts:
    def __init__(self) -> None:
        self.rows: list[Account] = []

    def add(self, account: Account) -> None:
        account.id = account.id or uuid.uuid4()
        for column, value in (("registration_revision", 0), ("registration_case_open", False),
                              ("session_epoch", 0), ("must_change_password", False)):
            if getattr(account, column) is None:
                setattr(account, column, value)
        self.rows.append(account)

    def get(self, account_id: Any, *, for_update: bool = False) -> Account | None:
        return next((a for a in self.rows if a.id == uuid.UUID(str(account_id))), None)

    def by_any_login(self, logins: list[str]) -> Account | None:
        return next((a for a in self.rows if a.login in logins), None)

    def by_request_key(self, request_key: str) -> Account | None:
        return next((a for a in self.rows if a.request_key == request_key), None)

    def taken_fields(self, uscc: str, mobile: str) -> set[str]:
        return ({"uscc"} if any(a.uscc == uscc for a in self.rows) else set()) | (
            {"contact_mobile"} if any(a.contact_mobile == mobile for a in self.rows) else set())


class FakeAttempts:
    def __init__(self) -> None:
        self.rows: list[Any] = []

    def add(self, attempt: Any) -> None:
        attempt.at = datetime.now(UTC)
        self.rows.append(attempt)

    def failures_for_login(self, login: str, since: datetime) -> list[datetime]:
        return [a.at for a in self.rows if a.login == login and not a.succeeded and a.at >= since]

    def failures_from_ip(self, ip: str, since: datetime) -> int:
        return sum(1 for a in self.rows if a.ip == ip and not a.succeeded and a.at >= since)


class FakeWindows:
    """The attempt counters (AttemptWindowRepository): the upsert as a dict."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, datetime], int] = {}

    def hit(self, scope: str, key: str, window_start: datetime) -> int:
        index = (scope, key, window_start)
        self.counts[index] = self.counts.get(index, 0) + 1
        return self.counts[index]

    def prune(self, before: datetime) -> None:
        self.counts = {k: v for k, v in self.counts.items() if k[2] >= before}


class FakeTokens:
    def __init__(self) -> None:
        self.rows: list[Any] = []

    def add(self, token: Any) -> None:
        self.rows.append(token)

    def invalidate(self, account_id: uuid.UUID, purpose: str, now: datetime) -> None:
        for token in self.rows:
            if token.account_id == account_id and token.purpose == purpose and token.used_at is None:
                token.used_at = now

    def get_for_update(self, digest: str, purpose: str) -> Any:
        return next((t for t in self.rows if t.digest == digest and t.purpose == purpose), None)


class FakeTx(FakeOutboxTx):
    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.accounts, self.attempts, self.tokens = world.accounts, world.attempts, world.tokens
        self.windows = world.windows


class World:
    def __init__(self, review: bool = True) -> None:
        self.accounts, self.attempts, self.tokens = FakeAccounts(), FakeAttempts(), FakeTokens()
        self.windows = FakeWindows()
        self.security: dict[str, Any] = {}
        self.outbox: list[tuple[str, dict]] = []
        self.audit_log: list[tuple[str, dict]] = []
        self.claimed: set[tuple[str, str]] = set()
        self.review = review
        self.profiles_read: list[tuple[dict, str]] = []
        self.jurisdiction: set[str] = set()  # enterprises a reviewer's desk works a case on

    @contextmanager
    def begin(self) -> Any:
        yield FakeTx(self)

    def deps(self) -> _support.Deps:
        def profile(actor: dict, enterprise_id: str) -> dict:
            self.profiles_read.append((actor, enterprise_id))
            return PROFILE

        return _support.Deps(
            begin=self.begin,
            config={"features": {"registration_review": self.review}, "security": self.security,
                    "gateway": {"public_url": PUBLIC_URL}},
            registration_profile=profile,
            reviewer_may_read_enterprise=lambda actor, eid: {"allowed": eid in self.jurisdiction})

    def events(self, event_type: str) -> list[dict]:
        return [data for kind, data in self.outbox if kind == event_type]

    def audits(self, action: str) -> list[dict]:
        return [detail for kind, detail in self.audit_log if kind == action]


@pytest.fixture
def world() -> World:
    return World()


def token_of(link: str) -> str:
    return link.split("token=", 1)[1]


def registered(world: World, form: dict | None = None) -> Account:
    form = form or registration_form(random.Random(7))
    account = registration.register_account(world.deps(), form)
    return world.accounts.get(account["id"])


def verified(world: World) -> Account:
    account = registered(world)
    link = world.events("account_email_verification_requested")[-1]["link"]
    registration.verify_email(world.deps(), token_of(link))
    return account


def test_registering_sends_the_verification_link_and_tells_enterprise(world: World) -> None:
    account = registered(world)
    assert account.status == domain.ACCOUNT_PENDING_EMAIL
    [created] = world.events("enterprise_account_registered")
    assert created["uscc"] == account.uscc
    [mail] = world.events("account_email_verification_requested")
    assert mail["link"].startswith(f"{PUBLIC_URL}/verify-email?token=")
    assert world.audits("account.registered")[0]["uscc"] == account.uscc


def test_a_repeated_submit_of_one_form_gets_the_first_account(world: World) -> None:
    form = dict(registration_form(random.Random(8)), request_key="form-1")
    first = registration.register_account(world.deps(), form)
    again = registration.register_account(world.deps(), form)
    assert first["id"] == again["id"] and len(world.accounts.rows) == 1
    with pytest.raises(ValidationFailed) as caught:  # another form, the same USCC
        registration.register_account(world.deps(), dict(form, request_key="form-2"))
    assert caught.value.fields["uscc"][0]["code"] == "taken"


def test_a_verification_link_works_once(world: World) -> None:
    account = registered(world)
    raw = token_of(world.events("account_email_verification_requested")[0]["link"])
    registration.verify_email(world.deps(), raw)
    assert account.status == domain.ACCOUNT_PENDING_REVIEW
    assert world.events("account_status_changed")[-1]["status"] == domain.ACCOUNT_PENDING_REVIEW
    with pytest.raises(ValidationFailed):
        registration.verify_email(world.deps(), raw)


def test_without_registration_review_a_verified_account_is_active() -> None:
    world = World(review=False)
    assert verified(world).status == domain.ACCOUNT_ACTIVE


def test_a_wrong_password_is_refused_and_the_attempt_kept(world: World) -> None:
    account = registered(world)
    with pytest.raises(Unauthenticated) as caught:
        sign_in.login(world.deps(), {"login": account.login, "password": "Wrong#2026-pass", "ip": "10.0.0.1"})
    assert caught.value.code == "invalid_credentials"
    [attempt] = world.attempts.rows
    assert (attempt.login, attempt.succeeded, attempt.reason) == (account.login, False, "bad_password")
    assert world.audits("login.failed")[0]["reason"] == "bad_password"


def test_an_unknown_login_is_refused_like_a_wrong_password(world: World) -> None:
    with pytest.raises(Unauthenticated) as caught:
        sign_in.login(world.deps(), {"login": "911501000000000000", "password": "Wrong#2026-pass"})
    assert caught.value.code == "invalid_credentials" and world.attempts.rows[0].account_id is None


def profile_submitted(world: World, account: Account, redelivered: dict | None = None) -> dict:
    body = redelivered or make_envelope("enterprise", "registration_profile_submitted", 1, {
        "enterprise_id": str(account.id), "uscc": account.uscc, "name": "甲建筑公司",
        "region_code": "150102", "submitted_at": datetime.now(UTC).isoformat()})
    registration_review.on_registration_profile_submitted(world.deps(), body)
    return body


def decided(world: World, account: Account, decision: str, case_ref: str | None = None) -> None:
    registration_review.on_case_decided(world.deps(), make_envelope("review", "case_decided", 1, {
        "case_ref": case_ref or domain.registration_case_ref(account.id), "case_id": str(uuid.uuid4()),
        "decision": decision, "reason": "营业执照不清晰" if decision == "rejected" else None,
        "decided_by": "王审核"}))


def test_step_2_asks_review_for_a_registration_case_once(world: World) -> None:
    account = verified(world)
    body = profile_submitted(world, account)
    profile_submitted(world, account, redelivered=body)
    [case] = world.events("review_requested")
    assert case["case_ref"] == f"identity:registration:{account.id}" and case["revision"] == 1
    assert case["case_type"] == "identity.registration" and case["enterprise_name"] == "甲建筑公司"
    assert account.registration_case_open and world.profiles_read[0][1] == str(account.id)


def test_reviews_approval_activates_the_account(world: World) -> None:
    account = verified(world)
    profile_submitted(world, account)
    decided(world, account, "approved")
    assert account.status == domain.ACCOUNT_ACTIVE and not account.registration_case_open
    assert world.events("account_status_changed")[-1]["status"] == domain.ACCOUNT_ACTIVE
    assert world.audits("registration.decided")[0]["decision"] == "approved"


def test_a_rejection_keeps_the_reason_and_another_producers_case_changes_nothing(world: World) -> None:
    account = verified(world)
    profile_submitted(world, account)
    decided(world, account, "approved", case_ref=f"permits:application:{uuid.uuid4()}")
    assert account.status == domain.ACCOUNT_PENDING_REVIEW
    decided(world, account, "rejected")
    assert (account.status, account.review_reason) == (domain.ACCOUNT_REJECTED, "营业执照不清晰")


def test_a_reviewer_resets_passwords_only_within_the_desks_cases(world: World) -> None:
    account = verified(world)
    decided(world, account, "approved")
    reviewer = Account(kind=domain.KIND_REVIEWER, login="reviewer-1", contact_name="王审核", email="r@x.cn",
                       password_hash="-", status=domain.ACCOUNT_ACTIVE, permissions=[], level="city",
                       region_code="150100")
    world.accounts.add(reviewer)
    with pytest.raises(NotFound):
        credentials.admin_reset_password(world.deps(), str(reviewer.id), str(account.id))
    assert world.audits("password.admin_reset_refused")[0]["reason"] == "jurisdiction"
    world.jurisdiction.add(str(account.id))
    reset = credentials.admin_reset_password(world.deps(), str(reviewer.id), str(account.id))
    assert reset["login"] == account.login and account.must_change_password


def test_login_attempts_of_any_outcome_are_limited_per_account_and_per_ip(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Right passwords count as well as wrong ones; the refusal comes before any argon2 work (no
    attempt row) and says when the window ends; another account and another IP go on."""
    monkeypatch.setattr(_support, "_now", lambda: datetime(2026, 12, 6, 23, 10, 45, tzinfo=UTC))
    world.security.update(login_attempts_per_account=4, login_attempts_per_ip=5,
                          attempt_window_seconds=60)  # the registration is one on the account
    form, other_form = registration_form(random.Random(7)), registration_form(random.Random(9))
    account = registered(world, form)
    registered(world, other_form)
    for mail in world.events("account_email_verification_requested"):
        registration.verify_email(world.deps(), token_of(mail["link"]))
    rows_before = len(world.attempts.rows)

    def login(form: dict, ip: str, password: str | None = None) -> dict:
        return sign_in.login(world.deps(), {"login": form["uscc"].lower(), "ip": ip,
                                            "password": password or form["password"]})

    login(form, "10.0.0.1")
    with pytest.raises(Unauthenticated):
        login(form, "10.0.0.1", password="Wrong#2026-pass")
    login(form, "10.0.0.2")  # four on the account (login typed in lower case or not)
    with pytest.raises(TooManyAttempts) as caught:
        login(form, "10.0.0.3")
    assert caught.value.code == "too_many_attempts" and caught.value.retry_after == 15
    assert caught.value.message == "登录尝试过于频繁，请 15 秒后再试"
    assert len(world.attempts.rows) == rows_before + 3  # the refused one never reached argon2

    assert login(other_form, "10.0.0.1")["account"]["login"] == other_form["uscc"]  # ip 10.0.0.1: 3
    login(other_form, "10.0.0.9")
    login(other_form, "10.0.0.9")
    with pytest.raises(TooManyAttempts):  # the other account's 5th, from a fresh IP: its own limit
        login(other_form, "10.0.0.9")
    monkeypatch.setattr(_support, "_now", lambda: datetime(2026, 12, 6, 23, 11, 0, tzinfo=UTC))
    assert login(form, "10.0.0.1")["account"]["id"] == str(account.id)  # the next window


def test_attempts_from_one_ip_are_limited_whatever_the_account(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_support, "_now", lambda: datetime(2026, 12, 6, 23, 10, 0, tzinfo=UTC))
    monkeypatch.setattr(_support.random, "random", lambda: 0.0)  # prune old windows every time
    # A window longer than the pruning horizon: the current window's rows must survive it.
    world.security.update(login_attempts_per_ip=3, login_attempts_per_account=100,
                          attempt_window_seconds=10**9)
    for n in range(3):  # unknown logins: refused as usual, but counted
        with pytest.raises(Unauthenticated):
            sign_in.login(world.deps(), {"login": f"user{n}", "password": "x", "ip": "10.0.0.7"})
    with pytest.raises(TooManyAttempts) as caught:
        registration.register_account(world.deps(), {**registration_form(random.Random(3)),
                                                     "ip": "10.0.0.7"})
    assert caught.value.code == "too_many_attempts" and not world.accounts.rows  # registrations count
    with pytest.raises(Unauthenticated):  # another IP: refused only for the wrong password
        sign_in.login(world.deps(), {"login": "user0", "password": "x", "ip": "10.0.0.8"})
