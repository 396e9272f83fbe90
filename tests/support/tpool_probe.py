"""Run as a script by tests/unit/test_tpool_argon2.py: a monkey-patched process like a service,
whose hub logs every 2 ms while 8 green threads hash and verify passwords through
``eventlet.tpool`` exactly as identity does. Prints ``ok <hashes>`` and exits 0 when done; a
hub that hangs never gets there (the test's timeout fails it).

``python -m tests.support.tpool_probe argon2`` is identity's use; ``... logging`` makes tpool
threads log instead (Python code taking a patched lock in a real thread): the known hang, which
shows the probe can fail. The hang is a race, so that mode makes 2,000 such calls per green
thread: a few calls (as an earlier version made) sometimes finished on a fast machine.
"""

from __future__ import annotations

import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

import warnings  # noqa: E402

warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import logging  # noqa: E402
import sys  # noqa: E402

from argon2 import PasswordHasher  # noqa: E402
from argon2.exceptions import VerifyMismatchError  # noqa: E402
from eventlet import tpool  # noqa: E402

from services.common.logs import configure_logging  # noqa: E402

THREADS = 8
ROUNDS = 3
log = logging.getLogger("tpool_probe")
_hasher = PasswordHasher()  # identity's: argon2id with the library's defaults


LOGGING_CALLS = 2000  # per green thread: the hang is a race, so give it many chances


def log_many(n: int) -> int:
    for _ in range(50):
        log.info("logging from a tpool thread %d", n)
    return n


def main(mode: str) -> int:
    configure_logging("tpool-probe")
    stop = eventlet.event.Event()

    def hub_logger() -> None:
        while not stop.ready():
            log.info("the hub logs")
            eventlet.sleep(0.002)

    def user(n: int) -> int:
        if mode == "logging":  # Python code taking a patched lock in real threads, many times
            return sum(1 for _ in range(LOGGING_CALLS) if tpool.execute(log_many, n) == n)
        done = 0
        for r in range(ROUNDS):
            password = f"密码-{n}-{r}-Secret!"
            hashed = tpool.execute(_hasher.hash, password)
            assert tpool.execute(_hasher.verify, hashed, password)
            try:  # a wrong password: the library raises in the tpool thread, as at login
                tpool.execute(_hasher.verify, hashed, password + "x")
                raise AssertionError("a wrong password was accepted")
            except VerifyMismatchError:
                pass
            log.info("user %d round %d hashed", n, r)
            done += 1
        return done

    loggers = [eventlet.spawn(hub_logger) for _ in range(2)]
    users = [eventlet.spawn(user, n) for n in range(THREADS)]
    total = sum(u.wait() for u in users)
    stop.send(True)
    for g in loggers:
        g.wait()
    print(f"ok {total}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "argon2"))
