"""Password hashing parameters and rehash-on-login (services/identity/passwords.py)."""

from argon2 import PasswordHasher

from services.identity import passwords


def test_the_parameters_are_at_least_owasps_minimum_for_argon2id():
    params = passwords.HASHER
    assert (params.memory_cost, params.time_cost, params.parallelism) >= (19 * 1024, 2, 1)
    assert passwords.HASHER.hash("Qlp#2026-x").startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_a_hash_with_the_old_default_is_replaced_at_login_and_still_verifies():
    old = PasswordHasher()  # the platform's former parameters: t=3, m=64 MiB, p=4
    stored = old.hash("Qlp#2026-old")
    made = []

    def hash_password(password: str) -> str:
        made.append(password)
        return passwords.HASHER.hash(password)

    new = passwords.rehash_after_login(stored, "Qlp#2026-old", hash_password)
    assert made == ["Qlp#2026-old"] and new is not None and new != stored
    assert passwords.HASHER.verify(new, "Qlp#2026-old")
    assert not passwords.needs_rehash(new)
    # once current, the next login does no extra hashing
    assert passwords.rehash_after_login(new, "Qlp#2026-old", hash_password) is None
    assert made == ["Qlp#2026-old"]


def test_stronger_parameters_later_would_rehash_todays_hashes():
    stronger = PasswordHasher(time_cost=3, memory_cost=19 * 1024, parallelism=1)
    today = passwords.HASHER.hash("Qlp#2026-x")
    assert stronger.check_needs_rehash(today)


def test_an_unparseable_stored_hash_is_replaced():
    assert passwords.needs_rehash("not-a-hash")
