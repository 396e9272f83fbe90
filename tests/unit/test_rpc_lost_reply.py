"""A request whose reply the broker could not take is still acknowledged (services/common/rpc.py):
unacknowledged it stayed held by the live consumer for good (seen in `make cluster-test`)."""

from __future__ import annotations

from amqp.exceptions import ConnectionForced

from services.common.rpc import ack_after_lost_reply


class Consumer:
    def __init__(self, fail: Exception | None = None) -> None:
        self.acked: list[object] = []
        self.fail = fail

    def ack_message(self, message: object) -> None:
        if self.fail:
            raise self.fail
        self.acked.append(message)


def test_the_request_is_acknowledged_after_its_reply_was_lost():
    consumer = Consumer()
    ack_after_lost_reply(consumer, "request")
    assert consumer.acked == ["request"]


def test_a_broken_consumer_connection_is_logged_not_raised(caplog):
    consumer = Consumer(fail=ConnectionForced("gone"))
    ack_after_lost_reply(consumer, "request")
    assert consumer.acked == []
    assert "could not acknowledge" in caplog.text


def test_platform_rpc_acknowledges_when_the_reply_cannot_be_sent():
    from services.common.rpc import PlatformRpc

    consumer = Consumer()

    class RpcConsumerStub:
        queue_consumer = consumer

        def handle_result(self, message: object, result: object, exc_info: object) -> tuple:
            raise OSError("Server unexpectedly closed connection")

    rpc = PlatformRpc.__new__(PlatformRpc)
    rpc.rpc_consumer = RpcConsumerStub()
    worker_ctx = type("WorkerContext", (), {"call_id": "notify.health.1"})()
    assert rpc.handle_result("request", worker_ctx, 42, None) == (42, None)
    assert consumer.acked == ["request"]
