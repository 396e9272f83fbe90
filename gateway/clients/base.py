"""What every typed service client shares: the request's ``call`` and the service's name."""

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
