"""The virtual users (run by locust in its own, gevent-patched process: never import nameko or
eventlet here). Started by ``python -m load``; the environment it passes:

    QLP_PROFILE=load        the profile (gateway address, commitment seconds, mail directory)
    LOAD_REVIEWERS          JSON {"city": [login, …], "province": [login, …]}, password LOAD_PASSWORD
    LOAD_OUT                where the per-step times, statuses and ids are written (JSON)

Each request is recorded under its step's name with its status; whole journeys too."""

from __future__ import annotations

import itertools
import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Collection
from pathlib import Path
from typing import Any

import gevent
import requests
from locust import HttpUser, between, constant, events, task

from load import journeys, review
from load.api import Api, JourneyTimeout, StepFailed
from load.mails import MailIndex
from services.common.config import load_config

CONFIG = load_config()
BASE = f"http://{CONFIG['gateway']['host']}:{CONFIG['gateway']['port']}"
PERMITS_COMMITMENT = float(CONFIG["permits"]["commitment_seconds"])
PERSONNEL_COMMITMENT = float(CONFIG["personnel"]["commitment_seconds"])
MAILS = MailIndex(Path(CONFIG["var_dir"], "mail"))
REVIEWERS: dict[str, list[str]] = json.loads(os.environ.get("LOAD_REVIEWERS") or "{}")
PASSWORD = os.environ.get("LOAD_PASSWORD", "")
OUT = Path(os.environ.get("LOAD_OUT") or Path(CONFIG["var_dir"], "load-results.json"))
_next_reviewer = {level: itertools.cycle(logins) for level, logins in REVIEWERS.items() if logins}

RESULTS: dict[str, Any] = {
    "statuses": defaultdict(Counter),   # step → status → count
    "times_ms": defaultdict(list),      # step → response times
    "journeys": defaultdict(Counter),   # journey → outcome → count
    "journey_ms": defaultdict(list),    # journey → whole-journey times (successful ones)
    "failures": [],                     # the first failures, as text
    "submitted": [],                    # permits application ids submitted
    "reported": [],                     # personnel declaration ids reported
}


@events.request.add_listener
def _record(request_type: str, name: str, response_time: float, response: Any = None,
            exception: BaseException | None = None, **_: Any) -> None:
    status = getattr(response, "status_code", 0) or 0
    key = str(status) if status else f"error:{type(exception).__name__ if exception else 'none'}"
    RESULTS["statuses"][name][key] += 1
    RESULTS["times_ms"][name].append(round(response_time, 1))


def dump() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text(json.dumps(RESULTS, ensure_ascii=False))
    tmp.replace(OUT)


def _dump_every(seconds: float) -> None:
    while True:
        gevent.sleep(seconds)
        dump()


@events.test_start.add_listener
def _start(**_: Any) -> None:
    gevent.spawn(_dump_every, 15)


@events.quitting.add_listener
def _quit(**_: Any) -> None:
    dump()


class JourneyUser(HttpUser):
    abstract = True
    host = BASE

    def on_start(self) -> None:
        self.api = Api(self.send, sleep=gevent.sleep)

    def send(self, step: str, method: str, path: str, ok: Collection[int],
             **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 60)
        with self.client.request(method, path, name=step, catch_response=True, **kwargs) as response:
            if response.status_code in ok:
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}")
            return response

    def journey(self, name: str, run: Any) -> None:
        """Run one whole journey; its outcome and (when it succeeded) its duration are recorded."""
        began = time.monotonic()
        try:
            run()
        except (StepFailed, JourneyTimeout, AssertionError, KeyError, ValueError,
                requests.RequestException) as exc:
            outcome = type(exc).__name__ + (f" {exc.status}" if isinstance(exc, StepFailed) else "")
            RESULTS["journeys"][name][outcome] += 1
            if len(RESULTS["failures"]) < 50:
                RESULTS["failures"].append(f"{name}: {exc}"[:500])
            gevent.sleep(5)
            return
        RESULTS["journeys"][name]["ok"] += 1
        RESULTS["journey_ms"][name].append(round((time.monotonic() - began) * 1000))


class PermitsEnterprise(JourneyUser):
    """A new enterprise each time: registration → records → application → licence → verify."""

    weight = 3
    wait_time = constant(1)

    @task
    def whole_journey(self) -> None:
        def run() -> None:
            journeys.register_enterprise(self.api, MAILS)
            journeys.fill_records(self.api)
            app_id = journeys.permits_application(self.api, PERMITS_COMMITMENT, RESULTS["submitted"])
            journeys.licence_and_verify(self.api, app_id)

        self.journey("journey: permits (registration → verify page)", run)


class PersonnelEnterprise(JourneyUser):
    """An enterprise that registers once, then reports batches of 安管人员 declarations."""

    weight = 2
    wait_time = between(2, 5)
    registered = False

    def register(self) -> None:
        journeys.register_enterprise(self.api, MAILS)
        self.registered = True

    @task
    def batch(self) -> None:
        if not self.registered:
            self.journey("journey: registration (personnel enterprise)", self.register)
            return
        self.journey("journey: personnel batch of 3 declarations",
                     lambda: journeys.personnel_batch(self.api, PERSONNEL_COMMITMENT, RESULTS["reported"]))


class Reviewer(JourneyUser):
    abstract = True
    level = ""
    wait_time = constant(2)

    def on_start(self) -> None:
        super().on_start()
        self.login = next(_next_reviewer[self.level])

    def round(self) -> None:
        if not self.api.csrf:
            self.api.login("review: sign in", self.login, PASSWORD)
        review.work_queue(self.api)

    @task
    def desk(self) -> None:
        self.journey(f"journey: {self.level} desk round", self.round)


class CityReviewer(Reviewer):
    level = "city"
    fixed_count = len(REVIEWERS.get("city", [])) or 1


class ProvinceReviewer(Reviewer):
    level = "province"
    fixed_count = len(REVIEWERS.get("province", [])) or 1
