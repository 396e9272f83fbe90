"""The gateway's typed service clients (gateway/clients/) against the services they call: every
client method is an RPC of its service with the same parameters, and sends exactly its own name
and arguments; the gateway calls services only through them, and every client method it names
exists (with arguments its signature accepts, where the call site spells them out)."""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
from pathlib import Path

import pytest
from nameko.rpc import Rpc

from gateway.clients import CLIENT_CLASSES, Clients
from gateway.clients.base import ServiceClient
from gateway.views import documents, imports, public

SERVICES = {"identity", "enterprise", "personnel", "permits", "review", "notify"}
BY_SERVICE = {client.service: client for client in CLIENT_CLASSES}
BY_NAME = {client.__name__: client for client in CLIENT_CLASSES}
# The area helpers that answer one client (``self._pn(request).get_person(...)``).
HELPERS = {"_pn": "personnel", "_permits": "permits", "_review": "review"}


def rpc_methods(client_class: type) -> list[str]:
    """The client's RPC methods, its own and those every client has (ServiceClient's)."""
    return sorted(name for name in dir(client_class)
                  if not name.startswith("_") and inspect.isfunction(getattr(client_class, name)))


def service_class(name: str) -> type:
    return importlib.import_module(f"services.{name}.service").SERVICE_CLASS


CASES = [(client, name) for client in CLIENT_CLASSES for name in rpc_methods(client)]


def test_the_clients_have_methods():
    assert len(CASES) > 150
    assert {client.service for client in CLIENT_CLASSES} == SERVICES
    assert set(vars(Clients(lambda *call: None))) == SERVICES  # every client on a request's Clients


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


def test_clients_of_names_each_service():
    clients = Clients(lambda *call: None)
    assert {name: type(clients.of(name)) for name in SERVICES} == BY_SERVICE
    with pytest.raises(KeyError):
        clients.of("nobody")


# ---- the gateway's call sites ------------------------------------------------------------------------
GATEWAY_FILES = sorted(path for path in Path("gateway").rglob("*.py") if "clients" not in path.parts)


@functools.cache
def _trees() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"), str(path))) for path in GATEWAY_FILES]


def _client_of(node: ast.expr) -> type | None:
    """The client class an expression stands for: ``self.clients(request).notify``, ``clients.notify``
    (a request's Clients held in a local), ``self._pn(request)``, or a client class by name."""
    if isinstance(node, ast.Attribute) and node.attr in SERVICES:
        holder = node.value
        called = isinstance(holder, ast.Call) and isinstance(holder.func, ast.Attribute) \
            and holder.func.attr == "clients"
        if called or (isinstance(holder, ast.Name) and holder.id == "clients"):
            return BY_SERVICE[node.attr]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in HELPERS:
        return BY_SERVICE[HELPERS[node.func.attr]]
    if isinstance(node, ast.Name) and node.id in BY_NAME:
        return BY_NAME[node.id]
    return None


def client_call_sites() -> list[tuple[str, type, str, ast.AST]]:
    """Every ``<client>.<method>`` the gateway names: (where, client class, method, node)."""
    sites = []
    for path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and (client := _client_of(node.value)) is not None:
                sites.append((f"{path}:{node.lineno}", client, node.attr, node))
    return sites


def test_nothing_in_the_gateway_calls_a_service_by_strings():
    """``GatewayApp.call(request, service, method, ...)`` is the clients' transport only: no view
    (nor the app) calls it with a service and a method in strings."""
    offenders = []
    for path, tree in _trees():
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "call" and isinstance(node.func.value, ast.Name)
                        and node.func.value.id == "self"
                        and not (path == Path("gateway/app.py") and function.name == "clients")):
                    offenders.append(f"{path}:{node.lineno} in {function.name}")
    assert offenders == []


def test_the_gateway_names_client_methods_at_all():
    sites = client_call_sites()
    assert len(sites) > 250  # the scan below sees the call sites (a changed spelling would blind it)
    assert {client.service for _, client, _, _ in sites} == SERVICES


def test_every_client_method_the_gateway_names_exists():
    missing = [f"{where}: {client.__name__}.{name}" for where, client, name, _ in client_call_sites()
               if not name.startswith("__") and not inspect.isfunction(getattr(client, name, None))]
    assert missing == []


def test_every_spelt_out_client_call_fits_the_methods_signature():
    """A direct call (``...personnel.get_person(actor, person_id)``, no ``*args``) binds to the
    method's parameters: no argument missing or too many."""
    calls = {id(node.func): node for _, tree in _trees() for node in ast.walk(tree)
             if isinstance(node, ast.Call)}
    wrong, checked = [], 0
    for where, client, name, node in client_call_sites():
        call = calls.get(id(node))
        method = getattr(client, name, None)
        if call is None or not inspect.isfunction(method) or isinstance(node.value, ast.Name):
            continue  # a method taken from the class, not called here
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            continue
        signature = inspect.signature(method)
        try:
            signature.bind(None, *call.args, **{k.arg: None for k in call.keywords})
        except TypeError as exc:
            wrong.append(f"{where}: {client.__name__}.{name}: {exc}")
        checked += 1
    assert wrong == []
    assert checked > 200


def test_the_services_chosen_from_data_answer_what_the_views_ask():
    """documents (attachment_url by source), imports (start / import_job / import_report by kind)
    and the health probe call ``Clients.of(name)``: each named client has those methods."""
    for service in documents.SOURCES.values():
        assert inspect.isfunction(getattr(BY_SERVICE[service], "attachment_url", None)), service
    for kind, spec in imports.KINDS.items():
        client = BY_SERVICE[spec["service"]]
        assert spec["start"] is getattr(client, spec["start"].__name__), kind
        assert inspect.isfunction(getattr(client, "import_job", None)), kind
        assert inspect.isfunction(getattr(client, "import_report", None)), kind
    assert set(public.SERVICE_NAMES) <= SERVICES
    assert inspect.isfunction(ServiceClient.health)
