from datetime import UTC, datetime, timedelta

from services.identity.domain import (
    ACCOUNT_ACTIVE,
    ACCOUNT_DISABLED,
    ACCOUNT_PENDING_EMAIL,
    ACCOUNT_PENDING_REVIEW,
    can_log_in,
    ip_blocked,
    locked_until,
    new_recovery_codes,
    new_token,
    status_after_email_verified,
    token_digest,
    token_problem,
    username_error,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def minutes_ago(*values):
    return [NOW - timedelta(minutes=v) for v in values]


def test_four_failures_do_not_lock():
    assert locked_until(minutes_ago(1, 2, 3, 4), NOW) is None


def test_five_failures_within_15_minutes_lock_for_15_minutes_from_the_fifth():
    until = locked_until(minutes_ago(1, 2, 3, 4, 5), NOW)
    assert until == NOW - timedelta(minutes=1) + timedelta(minutes=15)


def test_five_failures_spread_over_more_than_15_minutes_do_not_lock():
    assert locked_until(minutes_ago(1, 5, 9, 13, 17), NOW) is None


def test_lock_ends_after_15_minutes():
    assert locked_until(minutes_ago(16, 17, 18, 19, 20), NOW) is None


def test_ip_limit():
    assert not ip_blocked(29)
    assert ip_blocked(30)
    assert not ip_blocked(30, limit=31) and ip_blocked(31, limit=31)


def test_statuses_and_login():
    assert can_log_in(ACCOUNT_ACTIVE) == (True, None)
    assert can_log_in(ACCOUNT_PENDING_REVIEW)[0]  # may sign in to see the review status
    assert not can_log_in(ACCOUNT_PENDING_EMAIL)[0]
    assert "停用" in can_log_in(ACCOUNT_DISABLED)[1]
    assert status_after_email_verified(True) == ACCOUNT_PENDING_REVIEW
    assert status_after_email_verified(False) == ACCOUNT_ACTIVE


def test_tokens_are_stored_as_digests_and_single_use():
    raw, digest = new_token()
    assert token_digest(raw) == digest and raw != digest and len(raw) >= 40
    assert token_problem(NOW + timedelta(minutes=1), None, NOW) is None
    assert "过期" in token_problem(NOW, None, NOW)
    assert "已使用" in token_problem(NOW + timedelta(hours=1), NOW, NOW)


def test_recovery_codes_are_distinct_and_readable():
    codes = new_recovery_codes()
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(code) == 9 and code[4] == "-" for code in codes)
    assert not any(ch in "".join(codes) for ch in "01IO")


def test_usernames():
    assert username_error("clerk01") is None
    assert username_error("abc") is not None
    assert username_error("张三三三三三") is not None
