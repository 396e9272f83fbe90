"""The queue-argument builders, RPC deadlines and the expiring proxies (no broker: the real
broker's behaviour is in tests/chaos/test_poison_message.py)."""

from __future__ import annotations

import time
from types import SimpleNamespace
from unittest import mock

import pytest
from eventlet.event import Event
from nameko.exceptions import RpcTimeout

from deploy import agency_consumer
from services.common import queues
from services.common.queues import DEADLINE_HEADER
from services.common.rpc import (
    RPC_REPLIES_DROPPED,
    RPC_REQUESTS_EXPIRED,
    BoundedMethodProxy,
    ExpiringMethodProxy,
    PlatformRpcConsumer,
    PlatformRpcProxy,
)

QUORUM_REFUSES = {"x-max-priority", "x-queue-mode", "exclusive", "auto_delete"}


def test_handler_queue_is_quorum_with_a_delivery_limit_dead_lettering_to_its_service():
    args = queues.handler_queue_arguments("permits", 5)
    assert args == {
        "x-queue-type": "quorum",
        "x-delivery-limit": 5,
        "x-dead-letter-exchange": "qlp.dead-letters",
        "x-dead-letter-routing-key": "permits",
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",  # at-least-once dead-lettering requires it
    }


def test_retry_queue_expires_back_into_the_handler_queue():
    args = queues.retry_queue_arguments("evt-a-b--c.d", 800, 5)
    assert args["x-queue-type"] == "quorum"
    assert args["x-message-ttl"] == 800
    assert args["x-dead-letter-exchange"] == ""  # the default exchange: straight to the queue
    assert args["x-dead-letter-routing-key"] == "evt-a-b--c.d"
    assert args["x-dead-letter-strategy"] == "at-least-once"


def test_dead_letter_queue_never_drops_what_it_holds():
    queue = queues.dead_letter_queue("notify")
    assert queue.name == "notify.dead-letters"
    assert queue.routing_key == "notify" and queue.exchange.name == "qlp.dead-letters"
    assert queue.durable and not queue.auto_delete and not queue.exclusive
    assert queue.queue_arguments == {"x-queue-type": "quorum"}  # no limit, no TTL, no DLX


def test_rpc_queue_dead_letters_to_a_bounded_queue_of_its_own():
    args = queues.rpc_queue_arguments("permits", 3)
    assert args["x-queue-type"] == "quorum" and args["x-delivery-limit"] == 3
    assert args["x-dead-letter-routing-key"] == "permits.rpc"
    assert "x-dead-letter-strategy" not in args  # at-most-once: kept for diagnosis only
    queue = queues.rpc_dead_letter_queue("permits", {"events": {"rpc_dead_letter_ttl_ms": 60000,
                                                                "rpc_dead_letter_max": 10}})
    assert queue.name == "permits.rpc-dead-letters" and queue.routing_key == "permits.rpc"
    assert queue.durable and not queue.auto_delete
    assert queue.queue_arguments == {"x-queue-type": "quorum", "x-message-ttl": 60000,
                                     "x-max-length": 10}


def test_no_builder_asks_for_what_quorum_queues_refuse():
    for args in (queues.handler_queue_arguments("s", 5), queues.retry_queue_arguments("q", 1, 5),
                 queues.dead_letter_queue_arguments(), queues.rpc_queue_arguments("s", 5),
                 queues.rpc_dead_letter_queue_arguments(1, 1)):
        assert args["x-queue-type"] == "quorum"
        assert not QUORUM_REFUSES & set(args)
    with pytest.raises(ValueError, match="x-max-priority"):
        queues.quorum_arguments(**{"x-max-priority": 10})


def test_delivery_limit_and_prefetch_come_from_config():
    assert queues.delivery_limit({}) == queues.DEFAULT_DELIVERY_LIMIT
    assert queues.delivery_limit({"events": {"delivery_limit": 2}}) == 2
    with pytest.raises(ValueError, match="delivery_limit"):
        queues.delivery_limit({"events": {"delivery_limit": 0}})
    assert queues.prefetch_count(None) == 1
    assert queues.prefetch_count({"events": {"prefetch_count": 0}}) == 1
    assert queues.prefetch_count({"events": {"prefetch_count": 4}}) == 4
    assert queues.service_rpc_timeout({"amqp": {"service_rpc_timeout_seconds": 7}}) == 7.0


@pytest.mark.parametrize("name, platform", [
    ("evt-identity-account_status_changed--notify.on_account_status_changed", True),
    ("evt-review-case_decided--permits.on_case_decided.retry.2", True),
    ("rpc-permits", True),
    ("notify.dead-letters", True),
    ("permits.rpc-dead-letters", True),
    ("rpc.reply-standalone_rpc_proxy-0b6e3c1e", False),  # transient: stays classic
    ("agency-sch", False),  # an agency's own queue
    ("agency-sch.dead-letters", False),
])
def test_which_queues_the_upgrade_step_may_convert(name, platform):
    assert queues.is_platform_queue(name) is platform


def test_deadline_header_tells_whether_a_request_is_still_wanted():
    now = 1_000_000.0
    assert queues.expired({}, now) is None  # a caller without a deadline (old client)
    assert queues.expired({DEADLINE_HEADER: queues.deadline_after(5, now)}, now + 4.9) is None
    assert queues.expired({DEADLINE_HEADER: queues.deadline_after(5, now)}, now + 7) == 2
    assert queues.expired({DEADLINE_HEADER: "garbage"}, now) is None


class FakeReplyListener:
    routing_key = "reply-key"

    def __init__(self):
        self._reply_events = {}

    def get_reply_event(self, correlation_id):
        self._reply_events[correlation_id] = Event()
        return self._reply_events[correlation_id]


def worker_ctx():
    container = SimpleNamespace(config={"AMQP_URI": "memory://", "SERIALIZER": "json",
                                        "PLATFORM": {}})
    return SimpleNamespace(container=container, data={}, call_id_stack=["tests.call.1"],
                           context_data={})


def test_requests_carry_the_callers_timeout_as_expiration_and_deadline():
    proxy = ExpiringMethodProxy(worker_ctx(), "permits", "submit", FakeReplyListener(), 8)
    assert proxy.publisher.expiration == 8.0  # kombu sends it as "8000" (ms)
    proxy.publisher = mock.Mock()
    with mock.patch.object(ExpiringMethodProxy, "get_message_headers",
                           wraps=proxy.get_message_headers):
        before = time.time()
        proxy.call_async(1, two=2)
    headers = proxy.publisher.publish.call_args.kwargs["extra_headers"]
    assert before + 8 <= headers[DEADLINE_HEADER] <= time.time() + 8


def test_a_service_waits_for_a_reply_no_longer_than_its_timeout():
    listener = FakeReplyListener()
    proxy = BoundedMethodProxy(worker_ctx(), "enterprise", "get", listener, 0.05)
    proxy.publisher = mock.Mock()
    with pytest.raises(RpcTimeout):
        proxy("x")
    assert listener._reply_events == {}  # the reply nobody reads any more is forgotten


def test_platform_rpc_proxy_timeout_from_config_or_given():
    ctx = worker_ctx()
    ctx.container.config["PLATFORM"] = {"amqp": {"service_rpc_timeout_seconds": 12}}
    for given, expected in ((None, 12.0), (3, 3)):
        provider = PlatformRpcProxy("enterprise", timeout=given)
        provider.container = ctx.container
        provider.rpc_reply_listener = FakeReplyListener()
        method = provider.get_dependency(ctx).get
        assert isinstance(method, BoundedMethodProxy) and method.timeout == expected
        assert method.publisher.expiration == expected


def rpc_consumer():
    consumer = PlatformRpcConsumer()
    consumer.container = SimpleNamespace(service_name="probe", config={})
    consumer.queue_consumer = mock.Mock()
    return consumer


def message(deadline):
    headers = {} if deadline is None else {DEADLINE_HEADER: deadline}
    return SimpleNamespace(headers=headers, delivery_info={"routing_key": "probe.remember"})


def test_rpc_consumer_drops_a_request_past_its_deadline_unrun():
    consumer = rpc_consumer()
    counted = RPC_REQUESTS_EXPIRED.labels("probe", "remember")._value.get()
    late = message(time.time() - 3)
    with mock.patch("nameko.rpc.RpcConsumer.handle_message") as run:
        consumer.handle_message({"args": [], "kwargs": {}}, late)
    run.assert_not_called()
    consumer.queue_consumer.ack_message.assert_called_once_with(late)
    assert RPC_REQUESTS_EXPIRED.labels("probe", "remember")._value.get() == counted + 1


@pytest.mark.parametrize("deadline", [None, time.time() + 3600])
def test_rpc_consumer_runs_a_request_still_wanted(deadline):
    consumer = rpc_consumer()
    wanted = message(deadline)
    with mock.patch("nameko.rpc.RpcConsumer.handle_message") as run:
        consumer.handle_message({"args": [], "kwargs": {}}, wanted)
    run.assert_called_once()
    consumer.queue_consumer.ack_message.assert_not_called()


def test_rpc_consumer_sends_no_reply_for_a_request_that_finished_past_its_deadline():
    consumer = rpc_consumer()
    counted = RPC_REPLIES_DROPPED.labels("probe", "remember")._value.get()
    late = message(time.time() - 2)
    with mock.patch("nameko.rpc.RpcConsumer.handle_result") as reply:
        assert consumer.handle_result(late, {"ok": 1}, None) == ({"ok": 1}, None)
    reply.assert_not_called()
    consumer.queue_consumer.ack_message.assert_called_once_with(late)
    assert RPC_REPLIES_DROPPED.labels("probe", "remember")._value.get() == counted + 1


@pytest.mark.parametrize("deadline", [None, time.time() + 3600])
def test_rpc_consumer_replies_to_a_caller_still_waiting(deadline):
    consumer = rpc_consumer()
    wanted = message(deadline)
    with mock.patch("nameko.rpc.RpcConsumer.handle_result", return_value=("r", None)) as reply:
        assert consumer.handle_result(wanted, "r", None) == ("r", None)
    reply.assert_called_once_with(wanted, "r", None)


def test_agency_queue_is_quorum_and_dead_letters_beside_itself():
    args = agency_consumer.queue_arguments("agency-sch", 4)
    assert args["x-queue-type"] == "quorum" and args["x-delivery-limit"] == 4
    assert args["x-dead-letter-exchange"] == ""
    assert args["x-dead-letter-routing-key"] == "agency-sch.dead-letters"


def test_upgrade_step_rebuilds_the_arguments_the_services_would_declare():
    platform = {"events": {"delivery_limit": 3}}
    handler = "evt-review-case_decided--permits.on_case_decided"
    rebuild = queues.platform_queue_arguments
    assert rebuild(handler, {}, platform) == queues.handler_queue_arguments("permits", 3)
    assert rebuild(f"{handler}.retry.2", {"x-message-ttl": 5000}, platform) == \
        queues.retry_queue_arguments(handler, 5000, 3)
    assert rebuild(f"{handler}.retry.2", {}, platform) is None  # delay unknown: left to permits
    assert rebuild("permits.dead-letters", {}, platform) == {"x-queue-type": "quorum"}
    assert rebuild("rpc-permits", {}, platform) == queues.rpc_queue_arguments("permits", 3)
    assert rebuild("permits.rpc-dead-letters", {}, platform) == \
        queues.rpc_dead_letter_queue("permits", platform).queue_arguments
