"""The running platform exports what deploy/monitoring uses: every qlp_* metric the alert rules
and the dashboard name is served by some process's metrics port, and the gauges that need a
live process have values (each service's outbox backlog, review's overdue sweep, the render
pools of permits and personnel)."""

from __future__ import annotations

import re

import pytest
import requests

from tests.support.waiting import wait_for
from tests.unit.test_monitoring import alert_exprs, dashboard_exprs, metric_names

pytestmark = pytest.mark.integration
COMPONENTS = ("identity", "enterprise", "personnel", "permits", "review", "notify", "gateway")


def metrics_text(config, component: str) -> str:
    port = int(config["metrics_ports"][component])
    return requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text


def value(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def family(name: str) -> str:
    return re.sub(r"_(bucket|count|sum|total)$", "", name)


def test_every_platform_metric_the_rules_and_dashboard_use_is_served(running_platform):
    served = set()
    for component in COMPONENTS:
        text = metrics_text(running_platform, component)
        served |= {family(line.split()[2]) for line in text.splitlines()
                   if line.startswith("# HELP ")}
    used = set()
    for _, expr in [*alert_exprs(), *dashboard_exprs()]:
        used |= {family(n) for n in metric_names(expr) if n.startswith("qlp_")}
    assert used - served == set()


def test_the_outbox_gauges_have_a_value_for_every_service(running_platform):
    def measured():
        texts = {c: metrics_text(running_platform, c) for c in COMPONENTS if c != "gateway"}
        return all(value(text, "qlp_outbox_oldest_pending_seconds", service=c) is not None
                   and value(text, "qlp_outbox_pending", service=c) is not None
                   for c, text in texts.items())
    wait_for(measured, timeout=60, what="every service's relay measured its backlog")


def test_review_sweeps_and_the_render_pools_are_measured(running_platform):
    wait_for(lambda: (value(metrics_text(running_platform, "review"),
                            "qlp_review_overdue_sweep_timestamp_seconds") or 0) > 0,
             timeout=120, what="review finished an overdue sweep")
    # permits starts its workers at once; personnel's pool is lazy (no worker before a job)
    for service, workers in (("permits", running_platform["render"]["workers"]), ("personnel", 0)):
        text = metrics_text(running_platform, service)
        assert value(text, "qlp_render_workers", pool=f"{service}.render") == workers
        assert value(text, "qlp_render_busy", pool=f"{service}.render") == 0
        assert value(text, "qlp_render_waiting", pool=f"{service}.render") == 0
