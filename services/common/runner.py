"""Run one platform service: ``python -m services.common.runner identity``."""

from __future__ import annotations

import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
# Only argon2 runs in tpool threads (identity); each hash takes 19 MiB that glibc keeps per
# thread arena, so eventlet's 20 threads held ~490 MB after a login burst against ~110 MB
# with 4 (and 4 threads keep 2 cores busy). Read by eventlet.tpool at import.
os.environ.setdefault("EVENTLET_THREADPOOL_SIZE", "4")

import warnings  # noqa: E402

# eventlet warns of its deprecation at import; say it once in docs, not in every log.
warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import importlib  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from eventlet.event import Event  # noqa: E402
from nameko.containers import ServiceContainer  # noqa: E402

from services.common.config import SERVICE_NAMES, load_config, nameko_config  # noqa: E402
from services.common.liveness import start_heartbeat  # noqa: E402
from services.common.logs import configure_logging  # noqa: E402
from services.common.metrics import serve_metrics  # noqa: E402

log = logging.getLogger(__name__)


def service_class(target: str) -> type:
    """A platform service by name, or any nameko class as ``module:Class`` (test probes)."""
    if ":" in target:
        module_name, class_name = target.split(":", 1)
        return getattr(importlib.import_module(module_name), class_name)
    return importlib.import_module(f"services.{target}.service").SERVICE_CLASS


RESTART_DELAYS = (1, 2, 5, 10, 30)


class SupervisedContainer(ServiceContainer):
    """Tells the runner it died as soon as nameko starts killing it: the kill itself can
    hang for as long as the broker is away (its consumers wait to reconnect)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.outcome: Event = Event()

    def kill(self, exc_info: tuple | None = None) -> None:
        if not self.outcome.ready():
            self.outcome.send(exc_info[1] if exc_info else RuntimeError("container killed"))
        super().kill(exc_info)


def _watch(container: SupervisedContainer) -> None:
    try:
        container.wait()
        error: BaseException | None = None
    except Exception as exc:
        error = exc
    if not container.outcome.ready():
        container.outcome.send(error)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or (argv[0] not in SERVICE_NAMES and ":" not in argv[0]):
        print(f"usage: python -m services.common.runner {{{','.join(SERVICE_NAMES)}|module:Class}}")
        return 2
    cls = service_class(argv[0])
    service = cls.name
    configure_logging(service)
    platform_config = load_config()
    config = nameko_config(platform_config, service)
    # Before the container: /livez must answer while the broker is still being reached, and
    # a hub blocked at any time, start-up included, must end the process.
    start_heartbeat(service, platform_config)
    serve_metrics(int((platform_config.get("metrics_ports") or {}).get(service) or 0))
    state: dict = {"stopping": False, "container": None}

    def shutdown(signum: int, frame: object) -> None:
        # Stop gracefully in a green thread: running workers finish, messages are acked.
        state["stopping"] = True
        if state["container"] is not None:
            eventlet.spawn_n(state["container"].stop)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    crashes = 0
    # Supervise the container in-process. nameko kills a container when, say, an RPC reply
    # cannot be published because the broker is away; its ServiceRunner then tries to stop
    # the dead container's peers and can hang for as long as the broker is gone, leaving a
    # process that looks alive and serves nothing. Instead: a new container, with back-off.
    while not state["stopping"]:
        container = SupervisedContainer(cls, config)
        state["container"] = container
        container.start()
        log.info("service %s started", service)
        eventlet.spawn_n(_watch, container)
        error = container.outcome.wait()
        if error is None or state["stopping"]:
            break  # a graceful stop
        delay = RESTART_DELAYS[min(crashes, len(RESTART_DELAYS) - 1)]
        crashes += 1
        log.error("service %s container died (%s: %s); restarting it in %d s", service,
                  type(error).__name__, error, delay)
        eventlet.sleep(delay)
    log.info("service %s stopped", service)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
