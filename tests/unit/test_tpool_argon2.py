"""identity hashes passwords with argon2 through ``eventlet.tpool``: is that safe in a monkey-patched
process whose hub logs all the time? (issue 13: Python code in tpool threads that touches a
patched lock hangs the hub for good.) The probe (tests/support/tpool_probe.py) runs in its own
process, because this test process is not monkey-patched: 8 green threads hash and verify 3
passwords each through tpool while two green threads log every 2 ms.

The second test is the probe's own check: the same harness with tpool threads that log does
hang (or dies with ``Cannot switch to a different thread``), so a pass of the first means
something.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

PROBE = [sys.executable, "-m", "tests.support.tpool_probe"]
HANG = "Cannot switch to a different thread"


def test_argon2_through_tpool_finishes_while_the_hub_logs():
    proc = subprocess.Popen([*PROBE, "argon2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    try:
        _out, err = proc.communicate(timeout=300)  # ~11 s on an idle 2-core machine
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("the hub hung: argon2 in tpool is NOT safe here (move it to the render pool)")
    assert proc.returncode == 0, err[-2000:]
    assert "ok 24" in err and HANG not in err


def test_the_probe_sees_the_hang_of_python_code_logging_in_tpool_threads():
    proc = subprocess.Popen([*PROBE, "logging"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    seen = {"last": time.monotonic(), "hang": False, "ok": False, "lines": 0}

    def drain() -> None:  # the hub logs every 2 ms while it runs: silence means hung
        for line in proc.stdout:
            seen["last"] = time.monotonic()
            seen["lines"] += 1
            seen["hang"] = seen["hang"] or HANG in line
            seen["ok"] = seen["ok"] or line.startswith("ok ")

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None and not seen["hang"]:
            if time.monotonic() - seen["last"] > 15:
                break  # 15 s without a line from a hub that logs every 2 ms
            time.sleep(0.2)
        exited = proc.poll()
    finally:
        proc.kill()
        proc.wait()
        reader.join(10)
    assert seen["lines"], "the probe did not even start"
    assert not seen["ok"], "the probe finished: it cannot tell a safe tpool call from a hanging one"
    assert seen["hang"] or exited is None, f"the probe died otherwise (exit status {exited})"
