"""Eight 申报表 renders at once must not hang permits (issue 13): the real permits service renders
8 application forms concurrently while its hub keeps answering and logging, and stays live.

Before the render pool, WeasyPrint ran in ``eventlet.tpool`` threads of the monkey-patched
process; with the hub logging at the same time that ended in ``greenlet.error: Cannot switch to
a different thread`` and a hub that never ran again (the process alive, every call timing out).
The heartbeat here is ``permits.echo`` plus a refused ``get_application`` (nameko logs the
expected NotFound at WARNING, in the hub) every 0.2 s, and ``enterprise.echo`` beside it as the
control. The bound is a liveness bound, not a speed target: every permits echo answers, and none
takes more than 1 s longer than the slowest control echo (a machine that stalls for everyone,
as a shared 2-core machine under load does, slows both; a blocked hub only permits, and a hung
one does not answer at all).
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.config import nameko_config
from services.common.errors import NotFound
from tests.chaos.conftest import LogWatch, assert_survived, component_pids
from tests.support.permits import CIP_ITEMS, CIP_STAFF, CIP_VALUES, new_enterprise, pdf_text, staff

pytestmark = pytest.mark.chaos

RENDERS = 8
LIVENESS_SECONDS = 1.0
HANG = "Cannot switch to a different thread"


class Heartbeat:
    """Calls permits every 0.2 s from its own thread until stopped; keeps the answer times."""

    def __init__(self, config: dict, actor: dict) -> None:
        self.config = config
        self.actor = actor
        self.latencies: list[float] = []
        self.control: list[float] = []  # enterprise.echo: what the machine and broker cost
        self.timeline: list[str] = []  # what each beat saw, for the failure message
        self.failures: list[str] = []
        self.logged = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with ClusterRpcProxy(nameko_config(self.config, "tests"), timeout=10) as cluster:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    cluster.permits.echo({"beat": len(self.latencies)})
                    self.latencies.append(time.monotonic() - started)
                    control = time.monotonic()
                    cluster.enterprise.echo({"beat": len(self.control)})
                    self.control.append(time.monotonic() - control)
                    cluster.permits.get_application(self.actor, str(uuid.uuid4()))
                except NotFound:
                    self.logged += 1  # the hub logged "(expected) error handling worker"
                except Exception as exc:  # a timeout here is the hang this test is about
                    self.failures.append(f"{type(exc).__name__}: {exc}")
                self.timeline.append(f"{time.strftime('%H:%M:%S')} {time.monotonic() - started:.2f}s "
                                     f"(control {self.control[-1] if self.control else 0:.2f}s)")
                self._stop.wait(0.2)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)


def prechecked_applications(cluster, config, count: int) -> tuple[dict, list[str]]:
    actor = new_enterprise(cluster, config)
    for category, name, cert in CIP_STAFF:
        cluster.enterprise.save_record(actor, actor["id"], "staff", staff(category, name, cert))
    ids = []
    for _ in range(count):
        draft = {"type_code": "cip_safety", "transaction_kind": "new", "items": CIP_ITEMS,
                 "values": CIP_VALUES, "request_key": uuid.uuid4().hex}
        app = cluster.permits.create_draft(actor, draft)
        app = cluster.permits.run_precheck(actor, app["id"])
        assert app["state"] == "prechecked", app["precheck"]
        ids.append(app["id"])
    return actor, ids


def test_eight_concurrent_form_renders_leave_the_permits_hub_live(platform_restored):
    config = platform_restored
    rpc_config = nameko_config(config, "tests")
    with ClusterRpcProxy(rpc_config, timeout=60) as cluster:
        actor, ids = prechecked_applications(cluster, config, RENDERS)
    pids = component_pids(config)
    watch = LogWatch(config)

    def render(application_id: str) -> dict:
        with ClusterRpcProxy(rpc_config, timeout=90) as own:
            app = own.permits.generate_form(actor, application_id)
            link = own.permits.attachment_url(actor, app["form_attachment_id"])
            return {"state": app["state"], "number": app["number"], "url": link["url"]}

    with Heartbeat(config, actor) as beat, ThreadPoolExecutor(RENDERS) as pool:
        time.sleep(0.5)  # a few beats before the renders start
        futures = [pool.submit(render, i) for i in ids]
        results = [f.result(timeout=180) for f in futures]
        time.sleep(0.5)

    assert [r["state"] for r in results] == ["form_generated"] * RENDERS
    for result in results[:2]:
        assert result["number"] in pdf_text(requests.get(result["url"], timeout=10).content)
    assert not beat.failures, (f"permits stopped answering during the renders: {beat.failures[:3]}; "
                               f"beats: {beat.timeline}")
    assert beat.latencies and beat.logged, "the heartbeat never got through"
    slowest, control = max(beat.latencies), max(beat.control)
    print(f"{RENDERS} renders: slowest permits echo {slowest:.2f} s, slowest enterprise echo "
          f"{control:.2f} s, {len(beat.latencies)} beats")
    assert slowest < LIVENESS_SECONDS + control, (
        f"permits' hub was blocked: an echo took {slowest:.2f} s during {RENDERS} renders, "
        f"enterprise's at most {control:.2f} s ({len(beat.latencies)} beats: {beat.timeline})")
    hangs = [line for line in watch.lines("permits") if HANG in line]
    assert not hangs, hangs[:2]
    assert_survived(config, pids, watch, f"{RENDERS} concurrent renders")
