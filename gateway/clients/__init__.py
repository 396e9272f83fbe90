"""Typed clients of the services: one class per service whose methods are the service's RPCs,
with its parameter names and defaults, so a view calls ``permits.get_application(actor, id)``
instead of naming the service and the method in strings.

``GatewayApp.clients(request)`` gives a request's ``Clients``: each wraps the app's ``call`` for
that request, so the request id travels with every call and a service that does not answer is
remembered for the rest of the request. ``tests/unit/test_gateway_clients.py`` checks every
client method against the service's entrypoint of the same name (an RPC, same parameters).
Services not listed here are still called with ``GatewayApp.call(request, service, method, ...)``.
"""

from __future__ import annotations

from gateway.clients.base import Call, ServiceClient
from gateway.clients.permits import PermitsClient
from gateway.clients.review import ReviewClient

CLIENT_CLASSES: tuple[type[ServiceClient], ...] = (PermitsClient, ReviewClient)


class Clients:
    """The typed clients for one request."""

    def __init__(self, call: Call) -> None:
        self.permits = PermitsClient(call)
        self.review = ReviewClient(call)
