"""A hung process (alive, serving nothing) is found and replaced, and nothing it held is lost.

Issue 13: permits' hub hung for good; the process stayed alive, /healthz said
``permits: timeout`` for 25 minutes and nothing restarted it. Two defences, each tested here:

- inside every process, a real OS thread watches the hub's heartbeat and ends a process whose
  hub is blocked (services/common/liveness.py);
- outside, the supervisor (deploy/supervisor.py, what `make up` runs) kills and restarts a
  process whose /livez stops answering: here a service stopped with SIGSTOP, which no
  thread inside it can notice.

The supervisor is started by the test and stopped after it, so that the other chaos tests,
which stop services on purpose, are not undone behind their backs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from deploy import platform as deploy_platform
from deploy import processes
from deploy.supervisor import read_restarts, read_state
from services.common.liveness import EXIT_HUB_BLOCKED
from tests.chaos.conftest import assert_exactly_once
from tests.support import platform
from tests.support.hub_blocker import BLOCKING
from tests.support.waiting import wait_for

pytestmark = pytest.mark.chaos

HUNG = "notify"  # its events queue up while it hangs; every one must be handled afterwards
HANG_SECONDS = 30  # how long it stays stopped if the supervisor does not act


@pytest.fixture
def supervisor(platform_restored):
    config = platform_restored
    deploy_platform.start_supervisor(config)
    try:
        yield config
    finally:
        deploy_platform.stop_supervisor(config)
        assert not processes.is_running("supervisor", config)


def supervisor_sees(config, component: str, state: str) -> bool:
    """The running supervisor (not the one before it, whose view stays on disk) has seen
    component's current process in state."""
    view = read_state(config)
    if view.get("pid") != processes.read_pid("supervisor", config):
        return False
    seen = view.get("components", {}).get(component, {})
    return seen.get("state") == state and seen.get("pid") == processes.read_pid(component, config)


def restarts_of(config, component: str, after: int) -> list[dict]:
    return [r for r in read_restarts(config)[after:] if r["component"] == component]


def test_a_stopped_service_is_killed_restarted_and_loses_nothing(supervisor, registrar, engines):
    config = supervisor
    wait_for(lambda: supervisor_sees(config, HUNG, "healthy"), 60,
             f"the supervisor to see {HUNG} healthy")
    before = len(read_restarts(config))
    pid = processes.read_pid(HUNG, config)
    accounts = registrar(threads=2)

    os.killpg(pid, signal.SIGSTOP)  # hung, not dead: the pid stays, nothing answers
    try:
        # Registered while notify hangs: their events wait in its queue (or unacked in it).
        assert all(f.result(timeout=60) == 201 for f in accounts.submit(4))
        assert processes.pid_alive(pid), "restarted before the events were emitted"
        restart = wait_for(lambda: restarts_of(config, HUNG, before), HANG_SECONDS,
                           f"the supervisor to restart the stopped {HUNG}")[0]
    finally:
        if processes.pid_alive(pid):  # the supervisor did not act: leave nothing stopped
            os.killpg(pid, signal.SIGCONT)
    assert restart["reason"].startswith("liveness: /livez failing"), restart
    assert not processes.pid_alive(pid)
    assert processes.read_pid(HUNG, config) == restart["pid"] != pid

    platform.wait_healthy(config, timeout=90)
    assert_exactly_once(engines, accounts.tag)  # every event handled once, after the restart

    status = subprocess.run([sys.executable, "-m", "deploy.platform", "status"],
                            env=deploy_platform.component_env(config), capture_output=True,
                            text=True, timeout=120)
    line = next(x for x in status.stdout.splitlines() if x.startswith(f"{HUNG} "))
    assert f"pid={restart['pid']}" in line and "restarts=1" in line, status.stdout
    assert "last: liveness: /livez failing" in line


def test_a_component_that_dies_is_started_again(supervisor, gateway):
    config = supervisor
    wait_for(lambda: supervisor_sees(config, "gateway", "healthy"), 60,
             "the supervisor to see the gateway healthy")
    before = len(read_restarts(config))
    pid = processes.read_pid("gateway", config)
    os.killpg(pid, signal.SIGKILL)  # a crash: the pidfile stays, naming a dead process
    restart = wait_for(lambda: restarts_of(config, "gateway", before), 60,
                       "the supervisor to restart the gateway")[0]
    assert restart["reason"].startswith("exited"), restart
    assert processes.read_pid("gateway", config) == restart["pid"] != pid
    platform.wait_healthy(config, timeout=90)


def test_a_process_whose_hub_blocks_exits_non_zero_saying_why(config):
    limit = 2
    env = {**os.environ, "QLP_LIVENESS__HUB_BLOCK_LIMIT_SECONDS": str(limit)}
    result = subprocess.run(
        [sys.executable, "-m", "services.common.runner",
         "tests.support.hub_blocker:HubBlockingService"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert BLOCKING in result.stdout, result.stdout + result.stderr
    assert result.returncode == EXIT_HUB_BLOCKED, result.stdout + result.stderr
    last_words = result.stderr.strip().splitlines()[-1]
    assert "event loop blocked: no heartbeat for" in last_words
    assert f"(limit {limit} s)" in last_words
