"""The supervisor's decisions (deploy/supervisor.py) as pure functions: when to wait, kill,
restart, and how long the back-off is."""

import json
import os

import pytest

from deploy import processes
from deploy.supervisor import (
    KILL,
    NONE,
    START,
    WAIT,
    Look,
    Policy,
    Watch,
    after_start,
    backoff_delay,
    decide,
    exit_reason,
    livez_address,
    restart_summary,
)

POLICY = Policy(liveness_grace=10, start_grace=60, healthy_reset=30, backoff=(1, 2, 5, 10, 30))


def healthy(pid=100, now=1000.0):
    """A watch that has seen pid answer /livez since `now`."""
    watch, action, _ = decide(Watch(), Look(pid=pid, live=True, age=500), now, POLICY)
    assert action == NONE
    return watch


@pytest.mark.parametrize(("streak", "delay"), [(0, 1), (1, 2), (2, 5), (3, 10), (4, 30), (9, 30)])
def test_backoff_grows_then_stays_at_the_last_delay(streak, delay):
    assert backoff_delay(streak, POLICY.backoff) == delay


def test_a_live_process_is_left_alone():
    watch = healthy()
    watch, action, reason = decide(watch, Look(pid=100, live=True), 1001, POLICY)
    assert (action, reason) == (NONE, None)
    assert watch.pid == 100 and watch.was_healthy


def test_an_exited_process_is_restarted_after_the_first_delay_with_its_exit_code():
    watch = healthy()
    watch, action, reason = decide(watch, Look(pid=None, exit_code=70), 1005, POLICY)
    assert action == WAIT and "code 70" in reason and "blocked" in reason
    assert watch.restart_due == 1006
    _, action, _ = decide(watch, Look(pid=None), 1005.5, POLICY)
    assert action == WAIT
    watch, action, reason = decide(watch, Look(pid=None), 1006, POLICY)
    assert action == START and "code 70" in reason


def test_a_process_never_seen_is_started_as_not_running():
    _, action, reason = decide(Watch(), Look(pid=None), 0, POLICY)
    assert (action, reason) == (WAIT, "not running")


def test_liveness_failing_past_the_grace_kills_with_the_reason():
    watch = healthy()
    watch, action, _ = decide(watch, Look(pid=100, live=False, probe_error="TimeoutError"), 1001,
                              POLICY)
    assert action == NONE and watch.failing_since == 1001
    watch, action, _ = decide(watch, Look(pid=100, live=False), 1010.9, POLICY)
    assert action == NONE
    watch, action, reason = decide(watch, Look(pid=100, live=False, probe_error="TimeoutError"),
                                   1011, POLICY)
    assert action == KILL
    assert reason.startswith("liveness: /livez failing for 10 s") and "TimeoutError" in reason
    # Killed: the next look finds no process; the restart keeps the liveness reason.
    watch, action, reason = decide(watch, Look(pid=None, exit_code=-9), 1012, POLICY)
    assert action == WAIT and reason.startswith("liveness")


def test_one_good_answer_ends_a_failing_spell():
    watch = healthy()
    watch, _, _ = decide(watch, Look(pid=100, live=False), 1001, POLICY)
    watch, _, _ = decide(watch, Look(pid=100, live=True), 1008, POLICY)
    watch, action, _ = decide(watch, Look(pid=100, live=False), 1015, POLICY)
    assert action == NONE and watch.failing_since == 1015


def test_a_starting_process_gets_the_start_grace_but_not_more():
    watch, action, _ = decide(Watch(), Look(pid=7, live=False, age=0), 0, POLICY)
    assert action == NONE
    watch, action, _ = decide(watch, Look(pid=7, live=False), 59, POLICY)
    assert action == NONE
    watch, action, _ = decide(watch, Look(pid=7, live=False), 60, POLICY)
    assert action == NONE  # the failing spell starts when the start grace ends
    _, action, _ = decide(watch, Look(pid=7, live=False), 70, POLICY)
    assert action == KILL


def test_an_adopted_old_process_gets_no_start_grace():
    watch, action, _ = decide(Watch(), Look(pid=7, live=False, age=3600), 0, POLICY)
    assert action == NONE
    _, action, _ = decide(watch, Look(pid=7, live=False), 10, POLICY)
    assert action == KILL


def test_restarts_in_a_row_back_off_and_health_resets_the_streak():
    watch = healthy()
    delays = []
    now = 1000.0
    for _ in range(6):
        watch, action, _ = decide(watch, Look(pid=None, exit_code=1), now, POLICY)
        assert action == WAIT
        delays.append(watch.restart_due - now)
        now = watch.restart_due
        watch, action, _ = decide(watch, Look(pid=None), now, POLICY)
        assert action == START
        watch = after_start(watch, ok=True)
        watch, _, _ = decide(watch, Look(pid=int(now), live=False, age=0), now, POLICY)
        now += 0.5
    assert delays == [1, 2, 5, 10, 30, 30]
    assert watch.restarts == 6
    # Healthy for healthy_reset seconds: the next crash waits the first delay again.
    watch, _, _ = decide(watch, Look(pid=int(now - 0.5), live=True), now, POLICY)
    watch, _, _ = decide(watch, Look(pid=int(now - 0.5), live=True), now + 30, POLICY)
    assert watch.streak == 0
    watch, _, _ = decide(watch, Look(pid=None, exit_code=1), now + 31, POLICY)
    assert watch.restart_due == now + 32


def test_a_failed_start_is_tried_again_later():
    watch = Watch(pid=None, restart_due=5, reason="exited", streak=0)
    watch = after_start(watch, ok=False)
    assert watch.restarts == 0 and watch.streak == 1 and watch.reason == "exited"
    watch, action, _ = decide(watch, Look(pid=None), 6, POLICY)
    assert action == WAIT and watch.restart_due == 8


def test_a_new_process_started_by_someone_else_is_adopted():
    watch = Watch(pid=None, restart_due=50, reason="exited")
    watch, action, _ = decide(watch, Look(pid=9, live=True), 10, POLICY)
    assert action == NONE and watch.pid == 9 and watch.restart_due is None
    assert watch.reason is None


def test_exit_reasons():
    assert exit_reason(None) == "exited"
    assert exit_reason(1) == "exited (code 1)"
    assert exit_reason(-9) == "exited (signal SIGKILL)"
    assert exit_reason(None, hub_blocked=True) == "exited (event loop blocked, said its log)"


def test_an_adopted_process_whose_log_says_its_hub_blocked():
    watch = healthy()
    _, action, reason = decide(watch, Look(pid=None, hub_blocked=True), 1001, POLICY)
    assert action == WAIT and "event loop blocked" in reason


def test_policy_from_config():
    policy = Policy.from_config({"supervisor": {"liveness_grace_seconds": 3,
                                                "backoff_seconds": [1, 4]}})
    assert policy.liveness_grace == 3.0 and policy.backoff == (1.0, 4.0)
    assert Policy.from_config({}) == Policy()


def test_livez_addresses():
    config = {"gateway": {"host": "127.0.0.1", "port": 8700},
              "metrics_ports": {"review": 9105, "notify": 9106}}
    assert livez_address("gateway", config) == ("127.0.0.1", 8700)
    assert livez_address("notify", config) == ("127.0.0.1", 9106)
    assert livez_address("review-3", config) == ("127.0.0.1", 11105)
    assert livez_address("identity", config) is None


def test_restart_summary_counts_the_latest_run(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    records = [
        {"run": "a", "component": "notify", "reason": "exited"},
        {"run": "b", "component": "notify", "reason": "exited (code 1)"},
        {"run": "b", "component": "notify", "reason": "liveness: /livez failing for 5 s"},
        {"run": "b", "component": "gateway", "reason": "exited"},
    ]
    (run / "restarts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records) + "torn")
    summary = restart_summary({"var_dir": str(tmp_path)})
    assert summary == {"notify": (2, "liveness: /livez failing for 5 s"), "gateway": (1, "exited")}
    assert restart_summary({"var_dir": str(tmp_path)}, run="a") == {"notify": (1, "exited")}
    assert restart_summary({"var_dir": str(tmp_path)}, run="c") == {}
    assert restart_summary({"var_dir": str(tmp_path / "none")}) == {}


def test_forget_pid_keeps_a_pidfile_that_names_a_newer_process(tmp_path):
    """stop/kill remove a pidfile only if it still names the process they ended: one the
    supervisor started meanwhile keeps its pidfile."""
    config = {"var_dir": str(tmp_path)}
    pidfile = processes.pid_path("notify", config)
    pidfile.parent.mkdir(parents=True)
    pidfile.write_text("222 1\n")
    processes.forget_pid("notify", config, 111)
    assert pidfile.exists()
    processes.forget_pid("notify", config, 222)
    assert not pidfile.exists()
    pidfile.write_text(f"{os.getpid()}\n")  # alive: kept by a stale-pidfile clean-up
    processes.forget_pid("notify", config)
    assert pidfile.exists()
    pidfile.write_text("999999999\n")  # no such process
    processes.forget_pid("notify", config)
    assert not pidfile.exists()
    processes.forget_pid("notify", {"var_dir": str(tmp_path / "fresh")})  # no var/run yet


def test_process_age_of_a_running_process():
    age = processes.process_age(os.getpid())
    assert age is not None and age >= 0
    assert processes.process_age(999999999) is None
