"""What every typed service client shares: the request's ``call``, the service's name, and the
two RPCs every platform service has (services/common/base.py: ``health``, ``echo``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

Call = Callable[..., Any]
"""``call(service, method, *args)``: GatewayApp.call bound to one request."""
Actor = dict[str, Any]
Row = dict[str, Any]


class ServiceClient:
    service: ClassVar[str]

    def __init__(self, call: Call) -> None:
        self._call = call

    def _rpc(self, method: str, *args: Any) -> Any:
        return self._call(self.service, method, *args)

    # ---- every PlatformService's own RPCs ----------------------------------------------------------
    def health(self) -> Row:
        return self._rpc("health")

    def echo(self, payload: object) -> object:
        return self._rpc("echo", payload)
