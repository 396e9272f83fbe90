"""Start, stop and kill the platform's processes for tests (servers are started by make test)."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import pika
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from deploy import processes
from services.common.config import SERVICE_NAMES, load_config, nameko_config
from tests.support.waiting import wait_for

COMPONENTS = (*SERVICE_NAMES, "gateway")


def test_config() -> dict[str, Any]:
    os.environ["QLP_PROFILE"] = "test"
    return load_config()


def argv_for(component: str) -> list[str]:
    if component == "gateway":
        return [sys.executable, "-m", "gateway"]
    return [sys.executable, "-m", "services.common.runner", component]


def gateway_url(config: dict[str, Any]) -> str:
    return f"http://{config['gateway']['host']}:{config['gateway']['port']}"


def start(component: str, config: dict[str, Any]) -> int:
    return processes.start_process(component, argv_for(component), config)


def stop(component: str, config: dict[str, Any]) -> None:
    processes.stop_process(component, config, timeout=15)


def kill(component: str, config: dict[str, Any]) -> None:
    processes.kill_process(component, config)


def wait_healthy(config: dict[str, Any], timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            response = requests.get(gateway_url(config) + "/healthz", timeout=10)
            last = response.json()
            if response.status_code == 200:
                return last
        except (requests.RequestException, ValueError) as exc:
            last = exc
        time.sleep(0.3)
    logs = "\n".join(
        f"--- {c}:\n{processes.tail(processes.log_path(c, config), 15)}" for c in COMPONENTS
    )
    raise AssertionError(f"platform not healthy after {timeout}s: {last}\n{logs}")


def wait_rpc_healthy(config: dict[str, Any], services: tuple[str, ...] | list[str],
                     timeout: float = 60) -> None:
    """Until each of these services answers ``health()`` ok over RPC (the ones a test module
    started for itself, without the gateway's /healthz)."""
    with ClusterRpcProxy(nameko_config(config, "tests"), timeout=5) as cluster:
        for service in services:

            def healthy(name: str = service) -> bool:
                try:
                    return getattr(cluster, name).health()["status"] == "ok"
                except Exception:
                    return False

            wait_for(healthy, timeout=timeout, what=f"{service} healthy")


def amqp_parameters(config: dict[str, Any], **options: Any) -> pika.ConnectionParameters:
    """pika's connection to the test broker (``options``: heartbeat, timeouts, ...)."""
    amqp = config["amqp"]
    return pika.ConnectionParameters(
        host=amqp["host"], port=amqp["port"], virtual_host=amqp["vhost"],
        credentials=pika.PlainCredentials(amqp["user"], amqp["password"]), **options)


# Components a test module starts for itself may already be running for the session's
# platform (tests/integration/conftest.py running_platform): those are reused and left running.
_running_before: dict[str, bool] = {}


def start_for_test(components: tuple[str, ...] | list[str], config: dict[str, Any]) -> None:
    """Start these components unless running; remember which were running already."""
    for component in components:
        _running_before.setdefault(component, processes.is_running(component, config))
        start(component, config)


def stop_for_test(components: tuple[str, ...] | list[str], config: dict[str, Any]) -> None:
    """Stop what start_for_test started; what the session's platform runs stays up."""
    mine = [c for c in components if not _running_before.pop(c, False)]
    processes.stop_processes(mine, config, timeout=15)
