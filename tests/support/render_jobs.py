"""Jobs for the render pool's unit tests (run inside render workers)."""

from __future__ import annotations

import os
import time


def echo(value: object, suffix: str = "") -> object:
    return (value, suffix) if suffix else value


def fail(message: str) -> None:
    raise ValueError(message)


def sleep(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def pid() -> int:
    return os.getpid()


def crash() -> None:
    os._exit(7)
