"""Serve the gateway: ``python -m gateway``."""

from __future__ import annotations

import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

import warnings  # noqa: E402

# eventlet warns of its deprecation at import; say it once in docs, not in every log.
warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import logging  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402

from eventlet import wsgi  # noqa: E402

from gateway.app import GatewayApp  # noqa: E402
from gateway.rpc import RpcPool, RpcRouter  # noqa: E402
from gateway.sessions import SessionStore  # noqa: E402
from services.common.config import database_url, load_config, nameko_config  # noqa: E402
from services.common.database import make_engine  # noqa: E402
from services.common.liveness import start_heartbeat, with_livez  # noqa: E402
from services.common.logs import configure_logging  # noqa: E402
from services.common.metrics import serve_metrics  # noqa: E402

log = logging.getLogger("gateway")


def build_app(config: dict) -> tuple[GatewayApp, RpcRouter]:
    gateway = config["gateway"]
    rpc_config = nameko_config(config, "gateway")
    pool = RpcRouter(
        RpcPool(rpc_config, size=gateway["rpc_pool_size"], timeout=gateway["rpc_timeout_seconds"]),
        RpcPool(rpc_config, size=gateway["render_rpc_pool_size"],
                timeout=gateway["render_rpc_timeout_seconds"]),
    )
    sessions = SessionStore(make_engine(database_url(config, "gateway")),
                            idle_minutes=gateway["session_idle_minutes"],
                            cache_seconds=float(gateway.get("session_cache_seconds", 5)))
    return GatewayApp(pool.call, sessions, config), pool


def main() -> int:
    configure_logging("gateway")
    config = load_config()
    start_heartbeat("gateway", config)  # a hub blocked past liveness.hub_block_limit_seconds exits
    app, pool = build_app(config)
    # Metrics for operators on loopback (metrics_ports.gateway), not on the public port.
    serve_metrics(int((config.get("metrics_ports") or {}).get("gateway") or 0))
    host, port = config["gateway"]["host"], config["gateway"]["port"]
    # No SO_REUSEPORT: a stray old gateway must make this one fail loudly, not share the port.
    listener = eventlet.listen((host, port), reuse_port=False)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)

    def shutdown(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, shutdown)
    log.info("gateway listening on http://%s:%d/", host, port)
    try:
        # /livez is answered before the app (no session, no RPC): by this hub, while it runs.
        wsgi.server(listener, with_livez(app), log=logging.getLogger("gateway.access"), log_output=False,
                    max_size=1000)
    except SystemExit:
        pass
    finally:
        pool.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
