"""A pool of long-lived nameko RPC proxies with a timeout on every call.

Creating a proxy per request costs a connection and a reply queue (the reason
published nameko figures are 20-110 calls/s); a started proxy reused from a pool
costs one publish and one reply.

Every request carries an AMQP expiration (and a deadline header) equal to the timeout: one
the gateway gave up on is dropped by the broker or by the service, never run late
(services/common/rpc.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import eventlet
from amqp.exceptions import AMQPError
from eventlet.queue import LightQueue
from kombu.exceptions import KombuError
from nameko.exceptions import RpcTimeout, UnknownService

from services.common.errors import ServiceError
from services.common.rpc import ExpiringClusterRpcProxy

log = logging.getLogger(__name__)


class ServiceUnavailable(Exception):
    """A service did not answer in time, or is not running."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service


class _PooledProxy:
    def __init__(self, nameko_config: dict[str, Any], timeout: float) -> None:
        self._standalone = ExpiringClusterRpcProxy(nameko_config, timeout=timeout)
        self.cluster = self._standalone.start()

    def set_request_id(self, request_id: str) -> None:
        # The standalone proxy sends its worker context's data as message headers.
        self._standalone._worker_ctx.data["request_id"] = request_id

    def close(self) -> None:
        try:
            self._standalone.stop()
        except Exception:  # closing a broken connection may fail; it is gone either way
            log.debug("closing a broken RPC proxy failed", exc_info=True)


class RpcPool:
    def __init__(self, nameko_config: dict[str, Any], size: int, timeout: float) -> None:
        self.nameko_config = nameko_config
        self.timeout = timeout
        self.size = size
        self._idle: LightQueue = LightQueue()
        self._created = 0
        self._lock = eventlet.semaphore.Semaphore()

    def _acquire(self) -> _PooledProxy:
        with self._lock:
            if self._idle.qsize() == 0 and self._created < self.size:
                self._created += 1
                try:
                    return _PooledProxy(self.nameko_config, self.timeout)
                except Exception:
                    self._created -= 1
                    raise
        return self._idle.get(timeout=self.timeout)

    def _discard(self, proxy: _PooledProxy) -> None:
        proxy.close()
        with self._lock:
            self._created -= 1

    def call(self, service: str, method: str, *args: Any, request_id: str = "",
             **kwargs: Any) -> Any:
        try:
            proxy = self._acquire()
        except eventlet.queue.Empty as exc:
            raise ServiceUnavailable(service, "no free RPC connection") from exc
        except (OSError, KombuError, AMQPError) as exc:
            raise ServiceUnavailable(service, f"broker unreachable: {exc}") from exc
        healthy = True
        try:
            proxy.set_request_id(request_id)
            # The proxy's own timeout covers waiting for the reply; this one also
            # covers a publish that hangs on a dead broker connection.
            with eventlet.Timeout(self.timeout + 1, ServiceUnavailable(service, "timeout")):
                return getattr(getattr(proxy.cluster, service), method)(*args, **kwargs)
        except ServiceError:
            raise
        except RpcTimeout as exc:
            healthy = False
            raise ServiceUnavailable(service, "timeout") from exc
        except UnknownService as exc:
            raise ServiceUnavailable(service, "not running") from exc
        except ServiceUnavailable:
            healthy = False
            raise
        except (OSError, ConnectionError, KombuError, AMQPError) as exc:
            # The broker is away (kombu/amqp wrap the socket errors in their own classes).
            healthy = False
            raise ServiceUnavailable(service, f"connection failed: {exc}") from exc
        finally:
            if healthy:
                self._idle.put(proxy)
            else:
                self._discard(proxy)

    def close(self) -> None:
        while self._idle.qsize():
            self._discard(self._idle.get())


# Calls that render a PDF or a workbook in the service's worker pool: under load a render
# waits its turn behind others (render.workers per service), so these get the gateway's
# render_rpc_timeout_seconds instead of the ordinary rpc_timeout_seconds. Anything else that
# outlasts the ordinary timeout is a fault and answers 503 as before.
SLOW_CALLS: frozenset[tuple[str, str]] = frozenset({
    ("permits", "generate_form"),
    ("personnel", "export_registered"),
})


class RpcRouter:
    """One ``call`` over two pools: slow calls (SLOW_CALLS) wait out the render timeout on
    their own proxies, so a queue of renders never holds the proxies every page needs."""

    def __init__(self, fast: RpcPool, slow: RpcPool) -> None:
        self.fast, self.slow = fast, slow

    def call(self, service: str, method: str, *args: Any, request_id: str = "",
             **kwargs: Any) -> Any:
        pool = self.slow if (service, method) in SLOW_CALLS else self.fast
        return pool.call(service, method, *args, request_id=request_id, **kwargs)

    def close(self) -> None:
        self.fast.close()
        self.slow.close()


RpcCall = Callable[..., Any]
