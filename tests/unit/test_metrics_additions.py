"""The metrics the alert rules need (deploy/monitoring): the render pool's gauges and refusals
with real worker processes, the overdue gauge going back to 0, and the metrics host setting."""

from __future__ import annotations

import eventlet
import pytest
from prometheus_client import REGISTRY

from services.common.config import load_config
from services.common.errors import Busy
from services.common.metrics import metrics_host, record_overdue
from services.common.renderpool import RenderPool, RenderSettings

J = "tests.support.render_jobs:"
POOL = "metrics-test.render"


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def wait_until(condition, seconds: float = 15) -> bool:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return True
        eventlet.sleep(0.05)
    return condition()


@pytest.fixture
def pool():
    made = RenderPool(POOL, [J + "echo", J + "sleep"],
                      RenderSettings(workers=1, queue=1, timeout_seconds=30))
    yield made
    made.stop(grace=1)


def test_render_gauges_follow_running_and_waiting_jobs_and_refusals_are_counted(pool):
    refused_before = sample("qlp_render_refused_total", pool=POOL) or 0.0
    assert sample("qlp_render_busy", pool=POOL) == 0
    running = eventlet.spawn(pool.run, J + "sleep", 1.5)
    assert wait_until(lambda: sample("qlp_render_busy", pool=POOL) == 1)
    waiting = eventlet.spawn(pool.run, J + "echo", "queued")
    assert wait_until(lambda: sample("qlp_render_waiting", pool=POOL) == 1)
    with pytest.raises(Busy):
        pool.run(J + "echo", "one too many")
    assert sample("qlp_render_refused_total", pool=POOL) == refused_before + 1
    assert sample("qlp_render_workers", pool=POOL) == 1
    running.wait()
    assert waiting.wait() == "queued"
    assert sample("qlp_render_busy", pool=POOL) == 0
    assert sample("qlp_render_waiting", pool=POOL) == 0


def test_overdue_gauge_sets_each_level_and_a_level_no_longer_overdue_goes_to_zero():
    record_overdue({"province": 3, "city": 1})
    assert sample("qlp_review_cases_overdue", level="province") == 3
    assert sample("qlp_review_cases_overdue", level="city") == 1
    record_overdue({"city": 2})
    assert sample("qlp_review_cases_overdue", level="province") == 0
    assert sample("qlp_review_cases_overdue", level="city") == 2
    assert (sample("qlp_review_overdue_sweep_timestamp_seconds") or 0) > 0


def test_metrics_listen_on_loopback_unless_the_environment_says_otherwise():
    assert metrics_host(load_config("test", environ={})) == "127.0.0.1"
    assert metrics_host(load_config("test", environ={"QLP_METRICS_HOST": "0.0.0.0"})) == "0.0.0.0"


def test_event_age_is_observed_from_the_envelope_and_a_body_without_one_is_ignored():
    from datetime import UTC, datetime, timedelta

    from services.common.metrics import observe_event_age

    labels = {"service": "metrics-test", "queue": "evt-x"}
    before = sample("qlp_event_age_seconds_count", **labels) or 0.0
    ten_minutes_ago = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    observe_event_age("metrics-test", "evt-x", {"occurred_at": ten_minutes_ago})
    observe_event_age("metrics-test", "evt-x", {"no": "envelope"})
    observe_event_age("metrics-test", "evt-x", "not even a dict")
    assert sample("qlp_event_age_seconds_count", **labels) == before + 1
    assert sample("qlp_event_age_seconds_bucket", le="300.0", **labels) == 0
    assert sample("qlp_event_age_seconds_bucket", le="900.0", **labels) == 1
