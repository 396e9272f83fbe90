"""Typed clients of the services: one class per service whose methods are the service's RPCs,
with its parameter names and defaults, so a view calls ``permits.get_application(actor, id)``
instead of naming the service and the method in strings.

``GatewayApp.clients(request)`` gives a request's ``Clients``: each wraps the app's ``call`` for
that request, so the request id travels with every call and a service that does not answer is
remembered for the rest of the request. ``tests/unit/test_gateway_clients.py`` checks every
client method against the service's entrypoint of the same name (an RPC, same parameters), and
that nothing in the gateway outside this package names a service and a method in strings.
``Clients.of(name)`` is for the few views that choose the service from data (a document's
source, an import's kind, the health probe); the methods they call are checked the same way.
"""

from __future__ import annotations

from typing import Any

from gateway.clients.base import Call, ServiceClient
from gateway.clients.enterprise import EnterpriseClient
from gateway.clients.identity import IdentityClient
from gateway.clients.notify import NotifyClient
from gateway.clients.permits import PermitsClient
from gateway.clients.personnel import PersonnelClient
from gateway.clients.review import ReviewClient

CLIENT_CLASSES: tuple[type[ServiceClient], ...] = (
    IdentityClient, EnterpriseClient, PersonnelClient, PermitsClient, ReviewClient, NotifyClient)


class Clients:
    """The typed clients for one request."""

    def __init__(self, call: Call) -> None:
        self.identity = IdentityClient(call)
        self.enterprise = EnterpriseClient(call)
        self.personnel = PersonnelClient(call)
        self.permits = PermitsClient(call)
        self.review = ReviewClient(call)
        self.notify = NotifyClient(call)

    def of(self, service: str) -> Any:
        """The client of the service named ``service`` (KeyError for a name that is none); Any,
        since the caller picks a method the services share (tests check it is on each)."""
        clients = {c.service: c for c in vars(self).values() if isinstance(c, ServiceClient)}
        return clients[service]
