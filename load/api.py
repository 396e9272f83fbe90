"""A thin JSON client over one "send a request named after its step" function, so the same
journey code runs under locust (its HttpSession records every request) and in the orchestrator's
post-run drain (plain requests). Knows the gateway's conventions: CSRF header, JSON errors."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any, Protocol

import requests


class Send(Protocol):
    def __call__(self, step: str, method: str, path: str, ok: Collection[int],
                 **kwargs: Any) -> requests.Response: ...


class StepFailed(Exception):
    """A step answered with a status the journey cannot go on from."""

    def __init__(self, step: str, status: int, body: str) -> None:
        super().__init__(f"{step}: HTTP {status} {body[:300]}")
        self.step = step
        self.status = status


class JourneyTimeout(Exception):
    """A bounded wait inside a journey ran out (the platform never got there)."""


class Api:
    def __init__(self, send: Send, sleep: Callable[[float], None] = time.sleep) -> None:
        self.send = send
        self.sleep = sleep
        self.csrf = ""

    def call(self, step: str, method: str, path: str, *, ok: Collection[int] = (200,),
             **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if method != "GET" and self.csrf:
            headers.setdefault("X-CSRF-Token", self.csrf)
        response = self.send(step, method, path, ok, headers=headers, **kwargs)
        if response.status_code not in ok:
            raise StepFailed(step, response.status_code, response.text)
        return response

    def json(self, step: str, method: str, path: str, **kwargs: Any) -> Any:
        return self.call(step, method, path, **kwargs).json()

    def login(self, step: str, login: str, password: str) -> dict[str, Any]:
        self.csrf = ""
        body = self.json(step, "POST", "/api/v1/session", json={"login": login, "password": password})
        self.csrf = body["csrf_token"]
        return body.get("account") or {}

    def wait(self, what: str, probe: Callable[[], Any], timeout: float, interval: float) -> Any:
        """The probe's first truthy value; JourneyTimeout after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise JourneyTimeout(f"timed out after {timeout:g} s waiting for {what}")
            self.sleep(interval)


def session_send(base: str, record: Callable[[str, str, float], None] | None = None,
                 timeout: float = 60) -> Send:
    """A Send over a plain requests.Session (the orchestrator's drain), recording
    (step, status key, milliseconds) when ``record`` is given."""
    http = requests.Session()

    def send(step: str, method: str, path: str, ok: Collection[int], **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else base + path
        began = time.perf_counter()
        try:
            response = http.request(method, url, timeout=timeout, **kwargs)
        except requests.RequestException as exc:
            if record:
                record(step, f"error:{type(exc).__name__}", (time.perf_counter() - began) * 1000)
            raise
        if record:
            record(step, str(response.status_code), (time.perf_counter() - began) * 1000)
        return response

    return send
