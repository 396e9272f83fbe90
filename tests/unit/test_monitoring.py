"""deploy/monitoring: promtool accepts the scrape configurations and the alert rules, the alert
rules pass their unit tests (alerts.test.yml), and the Grafana dashboard is valid JSON whose
every query parses as PromQL and names only metrics that exist: the platform's own (registered
in prometheus_client when the modules that define them are imported) or RabbitMQ's (checked
against a real broker by tests/integration/test_monitoring_broker.py)."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
DASHBOARD = MONITORING / "grafana-dashboard.json"

# Metric modules of the platform: importing them registers every qlp_* metric.
METRIC_MODULES = ("services.common.metrics", "services.common.liveness", "services.common.rpc",
                  "gateway.app")
# RabbitMQ's rabbitmq_prometheus names the rules and panels use (verified on a real broker).
RABBITMQ_METRICS = frozenset({
    "rabbitmq_detailed_queue_messages", "rabbitmq_detailed_queue_messages_ready",
    "rabbitmq_detailed_queue_consumers", "rabbitmq_alarms_memory_used_watermark",
    "rabbitmq_alarms_free_disk_space_watermark",
})
# Written by Prometheus itself, or by prometheus_client's process collector (Linux).
BUILTIN_METRICS = frozenset({"up", "process_start_time_seconds"})
PROMQL_FUNCTIONS = frozenset({
    "sum", "max", "min", "avg", "count", "by", "without", "on", "and", "or", "unless", "rate",
    "increase", "changes", "histogram_quantile", "avg_over_time", "max_over_time",
    "min_over_time", "absent", "time", "le", "bool",
})


def promtool() -> str:
    found = shutil.which("promtool")
    if not found:
        pytest.fail("promtool is missing: `bash deploy/bootstrap.sh` installs Debian's prometheus")
    return found


def run_promtool(*args: str) -> str:
    result = subprocess.run([promtool(), *args], capture_output=True, text=True, cwd=MONITORING,
                            timeout=120)
    assert result.returncode == 0, f"promtool {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression (identifiers outside braces, strings and ranges)."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)          # string literals
    bare = re.sub(r"\{[^}]*\}", "", bare)                       # label matchers
    bare = re.sub(r"\[[^\]]*\]", "", bare)                      # ranges, subqueries
    bare = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", bare)  # grouping labels
    names = set(re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b", bare))
    return {n for n in names if n not in PROMQL_FUNCTIONS and not n.startswith("humanize")}


def platform_metrics() -> set[str]:
    for module in METRIC_MODULES:
        importlib.import_module(module)
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"),
                "summary": ("_count", "_sum"), "gauge": ("",), "info": ("_info",)}
    names: set[str] = set()
    for family in REGISTRY.collect():  # a labelled metric with no child yet has no sample
        names.update(family.name + suffix for suffix in suffixes.get(family.type, ("",)))
        names.update(sample.name for sample in family.samples)
    return names


def known_metrics() -> set[str]:
    return platform_metrics() | RABBITMQ_METRICS | BUILTIN_METRICS


def dashboard_exprs() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    found = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            found.append((panel["title"], target["expr"]))
    return found


def alert_exprs() -> list[tuple[str, str]]:
    rules = yaml.safe_load((MONITORING / "alerts.yml").read_text(encoding="utf-8"))
    return [(rule["alert"], rule["expr"]) for group in rules["groups"] for rule in group["rules"]]


@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus-local.yml"])
def test_promtool_accepts_the_scrape_configuration_and_its_rules(config):
    out = run_promtool("check", "config", config)
    assert "SUCCESS" in out and "rules found" in out


def test_every_alert_passes_its_promtool_unit_tests():
    out = run_promtool("test", "rules", "alerts.test.yml")
    assert "SUCCESS" in out


def test_every_alert_has_a_unit_test_that_expects_it_to_fire():
    tests = yaml.safe_load((MONITORING / "alerts.test.yml").read_text(encoding="utf-8"))
    fired = {case["alertname"] for test in tests["tests"] for case in test["alert_rule_test"]
             if case.get("exp_alerts")}
    assert {name for name, _ in alert_exprs()} - fired == set()


def test_every_alert_has_a_severity_and_a_runbook_section_in_the_operations_guide():
    rules = yaml.safe_load((MONITORING / "alerts.yml").read_text(encoding="utf-8"))
    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    anchors = {re.sub(r"[^a-z0-9 -]", "", h.lower()).strip().replace(" ", "-")
               for h in re.findall(r"^#+ (.+)$", guide, flags=re.M)}
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert rule["labels"]["severity"] in ("critical", "warning", "info"), rule["alert"]
            anchor = rule["annotations"]["runbook"].split("#", 1)[1]
            assert anchor in anchors, f"{rule['alert']}: no section #{anchor} in docs/operations.md"


def test_alerts_name_only_metrics_that_exist():
    known = known_metrics()
    for alert, expr in alert_exprs():
        assert metric_names(expr) <= known, f"{alert}: unknown {metric_names(expr) - known}"


def test_the_dashboard_is_json_and_every_panel_queries_metrics_that_exist():
    known = known_metrics()
    exprs = dashboard_exprs()
    assert len(exprs) >= 20
    for title, expr in exprs:
        names = metric_names(expr)
        assert names, f"{title}: no metric in {expr!r}"
        assert names <= known, f"{title}: unknown {names - known}"


def test_every_dashboard_query_parses_as_promql(tmp_path):
    """promtool has no parse command: the queries become recording rules it checks."""
    rules = [{"record": f"qlp:dashboard:{n}", "expr": expr.replace("$__rate_interval", "5m")}
             for n, (_, expr) in enumerate(dashboard_exprs())]
    path = tmp_path / "dashboard-rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run([promtool(), "check", "rules", str(path)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dashboard_uses_one_datasource_variable_and_unique_panel_ids():
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]


def test_the_metric_name_extraction_is_not_fooled_by_labels_or_functions():
    expr = ('histogram_quantile(0.95, sum by (le, service) (rate(qlp_event_age_seconds_bucket'
            '{job="qlp",queue=~"evt-.+"}[5m]))) > 300 and on (service) up == 1')
    assert metric_names(expr) == {"qlp_event_age_seconds_bucket", "up"}
    assert "qlp_no_such_metric" not in known_metrics()


def test_the_local_scrape_targets_are_the_ports_make_up_uses():
    from deploy.servers import prometheus_port
    from services.common.config import load_config

    config = load_config("local", environ={})
    local = yaml.safe_load((MONITORING / "prometheus-local.yml").read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in local["scrape_configs"]}
    first_port = {}
    for static in jobs["qlp"]["static_configs"]:
        first_port[static["labels"]["component"]] = int(static["targets"][0].rsplit(":", 1)[1])
    assert first_port == {c: int(p) for c, p in config["metrics_ports"].items()}
    for name in ("rabbitmq", "rabbitmq-queues"):
        (static,) = jobs[name]["static_configs"]
        assert static["targets"] == [f"127.0.0.1:{prometheus_port(config)}"]
