"""Password hashing: argon2id with parameters chosen on purpose, and rehash-on-login.

Why these parameters (issue 17 item 4; docs/security.md "Password hashing"): argon2-cffi's
default (t=3, m=64 MiB, p=4, RFC 9106's second recommendation) costs 0.22 s of CPU per
verification here (0.03 s with the parameters below) and, under a login storm on two cores,
2.6 s p50 at 6 logins a second (issue 17), so a few
hundred attempts a minute would starve every other request. OWASP's Password Storage Cheat
Sheet lists m=19 MiB, t=2, p=1 as the minimum argon2id configuration (its other listed points
trade memory for passes at the same attacker cost); with p=1 a hash uses one core, so two cores
serve about twice as many logins as they have cores busy, and memory per concurrent hash stays
at 19 MiB. Brute force against the service is bounded by the login limits anyway (5 failures
per account, 30 per IP per 15 minutes); these parameters are about an offline attacker holding
the table, where OWASP's minimum is the agreed floor.

Every hash carries its parameters (``$argon2id$v=19$m=...,t=...,p=...``). After a successful
check, a hash made with other parameters is replaced by one with the current ones
(:func:`rehash_after_login`): raising the parameters later needs no password reset, and the
accounts hashed with the old default move to these at their next login.

Pure (argon2-cffi only): the service runs the hashing itself in eventlet's tpool.
"""

from __future__ import annotations

from collections.abc import Callable

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError

TIME_COST = 2
MEMORY_KIB = 19 * 1024  # 19 MiB
PARALLELISM = 1

HASHER = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM,
                        hash_len=32, salt_len=16, type=Type.ID)


def needs_rehash(stored_hash: str) -> bool:
    """Whether a stored hash was made with other parameters (or another variant) than now."""
    try:
        return HASHER.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def rehash_after_login(stored_hash: str, password: str, hash_password: Callable[[str], str]) -> str | None:
    """The new hash to store after ``password`` was verified against ``stored_hash``, or None
    when the stored one already has the current parameters. ``hash_password`` does the work
    (the service passes its tpool-backed hash)."""
    return hash_password(password) if needs_rehash(stored_hash) else None
