"""The RabbitMQ metrics the alert rules and the dashboard use exist on a real broker, at the
paths deploy/monitoring/prometheus.yml scrapes, and a message parked in a dead-letter queue
shows up under the selector of the QLPDeadLetters alert."""

from __future__ import annotations

import re
import uuid

import pika
import pytest
import requests
import yaml

from deploy.servers import prometheus_port
from tests.support.waiting import wait_for
from tests.unit.test_monitoring import MONITORING, RABBITMQ_METRICS

pytestmark = pytest.mark.integration


def scrape_paths() -> dict[str, tuple[str, dict]]:
    """job name -> (metrics path, query parameters) of the RabbitMQ jobs in prometheus.yml."""
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text(encoding="utf-8"))
    return {job["job_name"]: (job.get("metrics_path", "/metrics"), job.get("params", {}))
            for job in config["scrape_configs"] if job["job_name"].startswith("rabbitmq")}


def scrape(config, job: str) -> str:
    path, params = scrape_paths()[job]
    url = f"http://{config['amqp']['host']}:{prometheus_port(config)}{path}"
    try:
        response = requests.get(url, params=params, timeout=10)
    except requests.ConnectionError:
        pytest.fail(f"nothing answers on {url}: the test broker predates rabbitmq_prometheus; "
                    "restart the test servers (deploy.servers stop rabbitmq, then start)")
    assert response.status_code == 200, response.text[:500]
    return response.text


def names(text: str) -> set[str]:
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines()
            if line and not line.startswith("#")}


def channel(config):
    amqp = config["amqp"]
    params = pika.ConnectionParameters(
        host=amqp["host"], port=amqp["port"], virtual_host=amqp["vhost"],
        credentials=pika.PlainCredentials(amqp["user"], amqp["password"]))
    return pika.BlockingConnection(params)


def test_dead_letters_and_queue_metrics_appear_where_the_rules_look(config):
    queue = f"monitoringprobe{uuid.uuid4().hex[:8]}.dead-letters"
    assert re.fullmatch(r"[a-z0-9]+\.dead-letters", queue)
    with channel(config) as connection:
        ch = connection.channel()
        ch.queue_declare(queue, durable=True, arguments={"x-queue-type": "quorum"})
        try:
            ch.basic_publish("", queue, b'{"parked": true}',
                             pika.BasicProperties(delivery_mode=2))
            pattern = re.compile(
                rf'^rabbitmq_detailed_queue_messages\{{[^}}]*queue="{re.escape(queue)}"[^}}]*\}} 1(\.0)?$',
                re.M)
            wait_for(lambda: pattern.search(scrape(config, "rabbitmq-queues")), timeout=60,
                     what=f"{queue} holding 1 message in /metrics/detailed")
            detailed = scrape(config, "rabbitmq-queues")
            node = scrape(config, "rabbitmq")
        finally:
            ch.queue_delete(queue)
    found = names(detailed) | names(node)
    assert RABBITMQ_METRICS <= found, f"missing: {RABBITMQ_METRICS - found}"
    consumers = re.search(rf'^rabbitmq_detailed_queue_consumers\{{[^}}]*queue="{re.escape(queue)}"'
                          r'[^}]*\} (\S+)$', detailed, re.M)
    assert consumers and float(consumers.group(1)) == 0
