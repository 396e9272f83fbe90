"""Render calls wait out the render timeout on their own proxies; every other call keeps the
ordinary timeout (gateway/rpc.py RpcRouter)."""

from __future__ import annotations

from typing import Any

from gateway.rpc import SLOW_CALLS, RpcRouter


class RecordingPool:
    def __init__(self, name: str) -> None:
        self.name, self.calls, self.closed = name, [], False

    def call(self, service: str, method: str, *args: Any, request_id: str = "", **kw: Any) -> str:
        self.calls.append((service, method, args, request_id))
        return self.name

    def close(self) -> None:
        self.closed = True


def test_render_calls_go_to_the_slow_pool_and_the_rest_to_the_fast_one():
    fast, slow = RecordingPool("fast"), RecordingPool("slow")
    router = RpcRouter(fast, slow)  # type: ignore[arg-type]
    assert router.call("permits", "generate_form", {"id": "a"}, "app-1", request_id="r1") == "slow"
    assert router.call("personnel", "export_registered", {}, {}) == "slow"
    assert router.call("permits", "get_application", {}, "app-1", request_id="r2") == "fast"
    assert router.call("personnel", "search_registered", {}, {}) == "fast"
    assert slow.calls[0] == ("permits", "generate_form", ({"id": "a"}, "app-1"), "r1")
    assert [c[1] for c in fast.calls] == ["get_application", "search_registered"]
    router.close()
    assert fast.closed and slow.closed


def test_every_slow_call_names_a_real_entrypoint():
    from services.permits.service import PermitsService
    from services.personnel.service import PersonnelService

    services = {"permits": PermitsService, "personnel": PersonnelService}
    for service, method in SLOW_CALLS:
        assert callable(getattr(services[service], method, None)), (service, method)
