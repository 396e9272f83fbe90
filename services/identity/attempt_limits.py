"""Rate limits on password work, as plain Python (issue 17 item 4; docs/security.md V2/V11).

Two bounds keep a login storm from starving everything else identity answers (the session and
account checks every page needs):

* **Attempts per window**, of any outcome (right password, wrong password, unknown login): per
  client IP and per account, ``security.login_attempts_per_ip`` / ``login_attempts_per_account``
  in each fixed window of ``security.attempt_window_seconds``. The counters live in identity's
  PostgreSQL (``attempt_windows``, one upsert per key and window), so the limit holds however
  many gateway processes and identity instances share the work. An attempt over the limit is
  refused before any argon2 work with :class:`~services.common.errors.TooManyAttempts` (HTTP 429,
  ``Retry-After``). The failure lock-outs (domain.LOCKOUT_*) stay as they were: those count
  wrong passwords over 15 minutes; these count every attempt over a minute.
* **Concurrent hashing** per identity process: at most ``security.password_hash_slots`` argon2
  computations at once (0: the tpool size) and ``security.password_hash_queue`` callers waiting;
  any caller beyond that, or one that waited ``password_hash_wait_seconds``, gets ``Busy``
  (HTTP 503, code ``busy``) at once instead of holding one of the process's RPC workers.

A fixed window lets a client spend its limit at the end of one window and again at the start of
the next (twice the limit within a few seconds, once); the per-minute figures allow for that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

SCOPE_IP = "ip"
SCOPE_ACCOUNT = "account"
SCOPES = (SCOPE_IP, SCOPE_ACCOUNT)  # upserted in this order in one transaction: no deadlock

DEFAULTS = {
    "login_attempts_per_ip": 20,
    "login_attempts_per_account": 10,
    "attempt_window_seconds": 60,
    "password_hash_slots": 0,
    "password_hash_queue": 2,
    "password_hash_wait_seconds": 5.0,
}
# Rows of windows that started this long before the current one are deleted now and then (only
# the current window counts).
KEEP_WINDOWS = timedelta(minutes=10)


@dataclass(frozen=True)
class Limits:
    per_ip: int
    per_account: int
    window_seconds: int

    def limit(self, scope: str) -> int:
        return self.per_ip if scope == SCOPE_IP else self.per_account


@dataclass(frozen=True)
class HashLimits:
    slots: int
    queue: int
    wait_seconds: float


def _setting(config: dict[str, Any], key: str) -> Any:
    return (config.get("security") or {}).get(key, DEFAULTS[key])


def limits(config: dict[str, Any]) -> Limits:
    """The attempt limits of the platform configuration (``security``), with the defaults."""
    return Limits(per_ip=max(1, int(_setting(config, "login_attempts_per_ip"))),
                  per_account=max(1, int(_setting(config, "login_attempts_per_account"))),
                  window_seconds=max(1, int(_setting(config, "attempt_window_seconds"))))


def hash_limits(config: dict[str, Any], pool_size: int) -> HashLimits:
    """Concurrent argon2 work: slots (0 in the configuration: ``pool_size``, the tpool's
    threads), callers allowed to wait for a slot, and how long one may wait."""
    slots = int(_setting(config, "password_hash_slots")) or pool_size
    return HashLimits(slots=max(1, slots), queue=max(0, int(_setting(config, "password_hash_queue"))),
                      wait_seconds=max(0.0, float(_setting(config, "password_hash_wait_seconds"))))


def window_start(now: datetime, window_seconds: int) -> datetime:
    """The start of the fixed window ``now`` falls in (windows are aligned on the epoch)."""
    stamp = now.timestamp()
    return datetime.fromtimestamp(stamp - stamp % window_seconds, tz=UTC)


def retry_after(now: datetime, window_seconds: int) -> int:
    """Whole seconds until the current window ends (at least 1): the ``Retry-After`` value."""
    end = window_start(now, window_seconds) + timedelta(seconds=window_seconds)
    return max(1, math.ceil((end - now).total_seconds()))


def over_limit(counts: dict[str, int], rules: Limits) -> bool:
    """Whether any counter, this attempt included, is past its limit."""
    return any(count > rules.limit(scope) for scope, count in counts.items())


def refusal_message(seconds: int) -> str:
    return f"登录尝试过于频繁，请 {seconds} 秒后再试"


def ip_key(ip: str | None) -> str | None:
    """The counter key of a client address (None: no IP given, e.g. an internal caller)."""
    ip = (ip or "").strip()
    return ip[:64] if ip and ip != "unknown" else None


def account_key(login: str) -> str:
    """The counter key of an account: its stored login, or what was typed when none matched
    (normalised by domain.login_candidates), so an unknown login is limited the same way."""
    return login.strip().lower()[:64]


def must_refuse_hash(busy: int, waiting: int, rules: HashLimits) -> bool:
    """A new caller is refused when every slot is busy and the queue is full."""
    return busy >= rules.slots and waiting >= rules.queue
