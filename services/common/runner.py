"""Run one platform service: ``python -m services.common.runner identity``."""

from __future__ import annotations

import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

import warnings  # noqa: E402

# eventlet warns of its deprecation at import; say it once in docs, not in every log.
warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import importlib  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from nameko.runners import ServiceRunner  # noqa: E402

from services.common.config import SERVICE_NAMES, load_config, nameko_config  # noqa: E402
from services.common.logs import configure_logging  # noqa: E402

log = logging.getLogger(__name__)


def service_class(target: str) -> type:
    """A platform service by name, or any nameko class as ``module:Class`` (test probes)."""
    if ":" in target:
        module_name, class_name = target.split(":", 1)
        return getattr(importlib.import_module(module_name), class_name)
    return importlib.import_module(f"services.{target}.service").SERVICE_CLASS


def main(argv: list[str]) -> int:
    if len(argv) != 1 or (argv[0] not in SERVICE_NAMES and ":" not in argv[0]):
        print(f"usage: python -m services.common.runner {{{','.join(SERVICE_NAMES)}|module:Class}}")
        return 2
    cls = service_class(argv[0])
    service = cls.name
    configure_logging(service)
    config = load_config()
    runner = ServiceRunner(nameko_config(config, service))
    runner.add_service(cls)

    def shutdown(signum: int, frame: object) -> None:
        # Stop gracefully in a green thread: running workers finish, messages are acked.
        eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    runner.start()
    log.info("service %s started", service)
    runner.wait()
    log.info("service %s stopped", service)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
