"""The load of `make cluster-test`: the journeys of `make load` (load/journeys.py, load/review.py)
at a moderate rate, in threads of the test's own process, through HAProxy. Enterprises register
(a province reviewer approves them), fill their records, submit one CIP 安全生产许可
application (an enterprise holding the licence may not apply anew) and report a batch of 安管人员
declarations; then the next enterprise registers; city and province reviewers work their
desks. Every request is recorded as (sent, answered: seconds since the load
began; step; status)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Collection
from pathlib import Path
from typing import Any

import requests

from load import journeys, review
from load.api import Api, JourneyTimeout, StepFailed
from load.mails import MailIndex
from load.payloads import PASSWORD

FAILURES = (StepFailed, JourneyTimeout, AssertionError, KeyError, ValueError, requests.RequestException)


class Driver:
    def __init__(self, base: str, mail_dir: Path, commitment_seconds: float) -> None:
        self.base = base
        self.mails = MailIndex(mail_dir)
        self.commitment = commitment_seconds
        self.began = time.monotonic()
        self.records: list[tuple[float, float, str, str]] = []
        self.submitted: list[str] = []
        self.reported: list[str] = []
        self.journeys: dict[str, int] = {}
        self.errors: list[str] = []
        self.stopping = threading.Event()  # enterprises: no new journey
        self.closing = threading.Event()  # reviewers: stop (after the enterprises)
        self.threads: list[threading.Thread] = []
        self.desks: list[threading.Thread] = []
        self.lock = threading.Lock()

    def now(self) -> float:
        return time.monotonic() - self.began

    def api(self) -> Api:
        http = requests.Session()

        def send(step: str, method: str, path: str, ok: Collection[int], **kwargs: Any
                 ) -> requests.Response:
            url = path if path.startswith("http") else self.base + path
            kwargs.setdefault("timeout", 90)
            sent = self.now()
            try:
                response = http.request(method, url, **kwargs)
            except requests.RequestException as exc:
                self.records.append((sent, self.now(), step, f"error:{type(exc).__name__}"))
                raise
            self.records.append((sent, self.now(), step, str(response.status_code)))
            return response

        return Api(send, sleep=self.sleep)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)  # journeys' own waits run to their end even while stopping

    def outcome(self, journey: str, ok: bool, exc: Exception | None = None) -> None:
        key = f"{journey}: {'ok' if ok else type(exc).__name__}"
        with self.lock:
            self.journeys[key] = self.journeys.get(key, 0) + 1
            if exc is not None and len(self.errors) < 30:
                self.errors.append(f"{self.now():.0f}s {journey}: {str(exc)[:300]}")

    def attempt(self, journey: str, run: Any) -> bool:
        try:
            run()
        except FAILURES as exc:
            self.outcome(journey, False, exc)
            self.stopping.wait(3)
            return False
        self.outcome(journey, True)
        return True

    # --- the virtual users --------------------------------------------------------------

    def enterprise(self, n: int) -> None:
        """One enterprise after another (an enterprise holds one CIP licence, so applies once)."""
        while not self.stopping.is_set():
            self.one_enterprise()

    def one_enterprise(self) -> None:
        """Registration and records, its application (up to 3 attempts), a personnel batch."""
        api = self.api()
        while not self.stopping.is_set():
            if self.attempt("registration", lambda: (
                    journeys.register_enterprise(api, self.mails), journeys.fill_records(api))):
                break
        for _ in range(3):
            if self.stopping.is_set() or self.attempt(
                    "permits application",
                    lambda: journeys.permits_application(api, self.commitment, self.submitted)):
                break
        if not self.stopping.is_set():
            self.attempt("personnel batch", lambda: journeys.personnel_batch(
                api, self.commitment, self.reported, size=2))

    def reviewer(self, login: str) -> None:
        api = self.api()
        while not self.closing.is_set():
            def round_() -> None:
                if not api.csrf:
                    api.login("review: sign in", login, PASSWORD)
                review.work_queue(api, limit=10, rate=False)
            if not self.attempt("desk round", round_):
                api.csrf = ""  # sign in again (the session may be gone with a gateway)
            self.closing.wait(2)

    def start(self, enterprises: int, reviewers: dict[str, list[str]]) -> None:
        self.began = time.monotonic()
        for logins in reviewers.values():
            for login in logins:
                desk = threading.Thread(target=self.reviewer, args=(login,), daemon=True,
                                        name=f"reviewer-{login}")
                desk.start()
                self.desks.append(desk)
        for n in range(enterprises):
            thread = threading.Thread(target=self.enterprise, args=(n,), daemon=True,
                                      name=f"enterprise-{n}")
            thread.start()
            self.threads.append(thread)
            time.sleep(2)  # not all registrations at once

    def stop(self, timeout: float = 300) -> None:
        """No new journey; wait (bounded) for those under way to end, the reviewers still at
        work (a registration waits for its approval); then the reviewers stop."""
        self.stopping.set()
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(timeout=max(0.1, deadline - time.monotonic()))
        self.closing.set()
        for thread in self.desks:
            thread.join(timeout=60)

    def drain_desks(self, reviewers: dict[str, list[str]], seconds: float) -> int:
        """After the load: every reviewer works its desk until nothing moves (bounded)."""
        apis = []
        for logins in reviewers.values():
            for login in logins:
                api = self.api()
                api.login("review: sign in", login, PASSWORD)
                apis.append(api)
        moved, quiet, deadline = 0, 0, time.monotonic() + seconds
        while time.monotonic() < deadline and quiet < 3:
            now = sum(review.work_queue(api, limit=50, rate=False) for api in apis)
            moved += now
            quiet = quiet + 1 if now == 0 else 0
            time.sleep(0 if now else 3)
        return moved


def reviewer_logins(config: dict[str, Any], city: int, province: int) -> dict[str, list[str]]:
    """City (150100) and province (150000) reviewer accounts over identity's RPC."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.common.config import nameko_config

    made: dict[str, list[str]] = {}
    regions = {"city": "150100", "province": "150000"}
    with ClusterRpcProxy(nameko_config(config, "cluster-test"), timeout=120) as cluster:
        for level, count in (("city", city), ("province", province)):
            for _ in range(count):
                login = f"ct{level[:4]}{uuid.uuid4().hex[:8]}"
                cluster.identity.create_staff_account(None, {
                    "kind": "reviewer", "username": login, "contact_name": f"集群{level}审核员",
                    "email": f"{login}@cluster.example.com", "password": PASSWORD, "level": level,
                    "region_code": regions[level]})
                made.setdefault(level, []).append(login)
    return made
