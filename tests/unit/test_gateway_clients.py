"""The gateway's typed service clients (gateway/clients/) against the services they call: every
client method is an RPC of its service with the same parameters, and sends exactly its own name
and arguments."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest
from nameko.rpc import Rpc

from gateway.clients import CLIENT_CLASSES, Clients


def rpc_methods(client_class: type) -> list[str]:
    return sorted(name for name, value in vars(client_class).items()
                  if inspect.isfunction(value) and not name.startswith("_"))


def service_class(name: str) -> type:
    return importlib.import_module(f"services.{name}.service").SERVICE_CLASS


CASES = [(client, name) for client in CLIENT_CLASSES for name in rpc_methods(client)]


def test_the_clients_have_methods():
    assert len(CASES) > 30
    assert {client.service for client in CLIENT_CLASSES} == {"permits", "review"}


@pytest.mark.parametrize(("client", "name"), CASES, ids=[f"{c.service}.{n}" for c, n in CASES])
def test_each_client_method_is_the_services_rpc_with_the_same_parameters(client, name):
    entrypoint = getattr(service_class(client.service), name, None)
    assert entrypoint is not None, f"{client.service} has no {name}"
    assert any(isinstance(e, Rpc) for e in getattr(entrypoint, "nameko_entrypoints", ())), \
        f"{client.service}.{name} is not an RPC"

    def parameters(function):
        return [(p.name, p.default, p.kind) for p in inspect.signature(function).parameters.values()
                if p.name != "self"]

    assert parameters(getattr(client, name)) == parameters(entrypoint)


@pytest.mark.parametrize(("client", "name"), CASES, ids=[f"{c.service}.{n}" for c, n in CASES])
def test_each_client_method_sends_its_own_name_and_its_arguments_in_order(client, name):
    sent = []
    method = getattr(client(lambda *call: sent.append(call) or "answer"), name)
    arguments = [object() for _ in inspect.signature(method).parameters]
    assert method(*arguments) == "answer"
    assert sent == [(client.service, name, *arguments)]


def test_a_requests_clients_carry_its_call():
    seen = []
    clients = Clients(lambda *call: seen.append(call))
    clients.permits.my_licences({"id": "a"})
    assert seen == [("permits", "my_licences", {"id": "a"})]


def test_views_call_permits_and_review_only_through_their_clients():
    by_string = re.compile(r'self\.call\(\s*request,\s*"(permits|review)"')
    offenders = [str(path) for path in sorted([*Path("gateway/views").rglob("*.py"), Path("gateway/app.py")])
                 if by_string.search(path.read_text(encoding="utf-8"))]
    assert offenders == []
