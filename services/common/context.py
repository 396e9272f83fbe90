"""The request id of the worker running now (green-thread local), for logs and events."""

from __future__ import annotations

import uuid

from eventlet.corolocal import local

_current = local()


def current_request_id() -> str | None:
    return getattr(_current, "request_id", None)


def set_request_id(request_id: str | None) -> None:
    _current.request_id = request_id


def new_request_id() -> str:
    return uuid.uuid4().hex
