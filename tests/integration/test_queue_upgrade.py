"""`python -m deploy.servers start` on a broker an earlier release used: the platform's classic
queues that are empty and unused become quorum queues at once, with the platform's arguments
and their bindings; any queue still holding messages or consumed, and queues not the
platform's, stay as they are."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pika
import pytest
from pika.exceptions import ChannelClosedByBroker

from deploy.broker_queues import upgrade_queues
from deploy.servers import RabbitMQ
from services.common.queues import handler_queue_arguments, is_platform_queue, retry_queue_arguments

pytestmark = pytest.mark.integration


@pytest.fixture
def channel(config):
    amqp = config["amqp"]
    connection = pika.BlockingConnection(pika.ConnectionParameters(
        host=amqp["host"], port=amqp["port"], virtual_host=amqp["vhost"],
        credentials=pika.PlainCredentials(amqp["user"], amqp["password"])))
    yield connection
    connection.close()


def exists(connection, queue: str) -> bool:
    channel = connection.channel()
    try:
        channel.queue_declare(queue, passive=True)
    except ChannelClosedByBroker as exc:
        assert exc.reply_code == 404
        return False
    channel.close()
    return True


def described(config, queue: str) -> dict:
    rabbit = RabbitMQ(config)
    vhost = quote(config["amqp"]["vhost"], safe="")
    return rabbit.api(f"queues/{vhost}/{quote(queue, safe='')}").json()


def bound(config, queue: str) -> set[tuple[str, str]]:
    rabbit = RabbitMQ(config)
    vhost = quote(config["amqp"]["vhost"], safe="")
    return {(b["source"], b["routing_key"])
            for b in rabbit.api(f"queues/{vhost}/{quote(queue, safe='')}/bindings").json()
            if b["source"]}


def test_empty_unused_classic_platform_queues_become_quorum_and_nothing_else(config, channel):
    tag = uuid.uuid4().hex[:8]
    service = f"upgrade_{tag}"
    empty = f"evt-src_{tag}-thing_happened--{service}.on_thing"
    retry = f"{empty}.retry.1"
    holding = f"{service}.dead-letters"
    consumed = f"rpc-{service}"
    quorum = f"{service}.rpc-dead-letters"
    foreign = f"agency-{tag}"
    exchange = f"src_{tag}.events"
    ch = channel.channel()
    ch.exchange_declare(exchange, exchange_type="topic", durable=True)
    for queue in (empty, holding, consumed, foreign):
        ch.queue_declare(queue, durable=True)  # as the release before declared them
    ch.queue_declare(retry, durable=True, arguments={
        "x-message-ttl": 700, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": empty})
    ch.queue_bind(empty, exchange, routing_key="thing_happened")
    ch.queue_declare(quorum, durable=True, arguments={"x-queue-type": "quorum"})
    ch.confirm_delivery()
    ch.basic_publish("", holding, b"a dead letter nobody looked at yet")
    listener = channel.channel()
    listener.basic_consume(consumed, lambda *args: None)
    try:
        converted = upgrade_queues(config)
        assert {empty, retry} <= set(converted)
        assert not {holding, consumed, quorum, foreign} & set(converted)
        limit = config["events"]["delivery_limit"]
        assert described(config, empty)["type"] == "quorum"
        assert described(config, empty)["arguments"] == handler_queue_arguments(service, limit)
        assert bound(config, empty) == {(exchange, "thing_happened")}
        assert described(config, retry)["arguments"] == retry_queue_arguments(empty, 700, limit)
        for queue in (holding, consumed, foreign):
            assert described(config, queue)["type"] == "classic"
        assert exists(channel, quorum)
        # And a message published now reaches the converted queue.
        ch.basic_publish(exchange, "thing_happened", b"after the upgrade")
        assert ch.queue_declare(empty, passive=True).method.message_count == 1
    finally:
        listener.close()
        cleanup = channel.channel()
        for queue in (empty, retry, holding, consumed, quorum, foreign):
            cleanup.queue_delete(queue)
        cleanup.exchange_delete(exchange)
        cleanup.close()


def test_every_durable_queue_of_the_running_platform_is_a_quorum_queue(running_platform):
    config = running_platform
    vhost = quote(config["amqp"]["vhost"], safe="")
    listing = RabbitMQ(config).api(f"queues/{vhost}?columns=name,type,durable,arguments").json()
    ours = [q for q in listing if is_platform_queue(q["name"])]
    names = {q["name"] for q in ours}
    for service in ("identity", "enterprise", "personnel", "permits", "review", "notify"):
        assert {f"rpc-{service}", f"{service}.rpc-dead-letters"} <= names
    assert "notify.dead-letters" in names
    assert any(name.startswith("evt-") and ".retry." in name for name in names)
    classic = sorted(q["name"] for q in ours if q["type"] != "quorum")
    assert classic == [], f"platform queues that are not quorum queues: {classic}"
    limit = config["events"]["delivery_limit"]
    for queue in ours:
        if queue["name"].startswith(("evt-", "rpc-")):
            assert queue["arguments"]["x-delivery-limit"] == limit, queue
    replies = [q for q in listing if q["name"].startswith("rpc.reply-")]
    # nameko's reply queues stay classic: they vanish 5 minutes after their consumer did.
    assert replies and all(q["type"] == "classic" and q["arguments"].get("x-expires")
                           for q in replies)
