"""What every platform process starts with: glibc arenas bounded, few tpool threads (the
memory they retain after a login burst is measured in docs/benchmarks.md)."""

from __future__ import annotations

import os
import subprocess
import sys

from deploy.platform import component_env


def test_components_start_with_malloc_arenas_bounded():
    env = component_env({"profile": "test"})
    assert env["MALLOC_ARENA_MAX"] == "2"
    assert env["PSYCOPG_WAIT_FUNC"] == "wait_select" and env["QLP_PROFILE"] == "test"


def test_an_operator_setting_wins_over_the_default(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert component_env({"profile": "test"})["MALLOC_ARENA_MAX"] == "4"


def test_the_service_runner_gives_eventlet_four_tpool_threads():
    env = {k: v for k, v in os.environ.items() if k != "EVENTLET_THREADPOOL_SIZE"}
    probe = ("import services.common.runner, eventlet.tpool as t; "
             "print(t._nthreads)")
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", probe], env=env, capture_output=True,
                         text=True, timeout=120, check=True).stdout.strip()
    assert out == "4"
