"""The agency stream end to end: domain events → notify (real process) → its outbox → qlp.agency →
``python -m deploy.agency_consumer`` (a real pika consumer, as a subprocess) that is offline while
the events are produced and, after reconnecting, writes every one, once, in order per entity."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pika
import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from services.common.config import PROJECT_ROOT, amqp_uri, database_url, nameko_config
from services.common.database import make_engine
from tests.support.data import random_uscc
from tests.support.notify import Bus, start_notify, stop_notify
from tests.support.platform import amqp_parameters
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stream_platform(config):
    start_notify(config)
    yield config
    stop_notify(config)


@pytest.fixture(scope="module")
def notify_db(stream_platform):
    engine = make_engine(database_url(stream_platform, "notify"), pool_size=2)
    yield engine
    engine.dispose()


def run_consumer(config, queue: str, out: Path, idle: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "deploy.agency_consumer",
            "--queue",
            queue,
            "--out",
            str(out),
            "--url",
            amqp_uri(config),
            "--exit-when-idle",
            str(idle),
        ],
        cwd=PROJECT_ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def queue_depth(config, queue: str) -> int:
    with pika.BlockingConnection(amqp_parameters(config)) as connection:
        return connection.channel().queue_declare(queue, passive=True).method.message_count


def outbox_count(db, entity_id: str) -> int:
    with db.connect() as conn:
        return conn.execute(
            text(
                "SELECT count(*) FROM outbox WHERE event_type LIKE 'agency.%' AND envelope->>'entity_id' = :e"
            ),
            {"e": entity_id},
        ).scalar_one()


def test_an_offline_agency_gets_every_event_once_in_order_per_entity(stream_platform, notify_db, tmp_path):
    config = stream_platform
    bus = Bus(config)
    queue = f"agency-test-{uuid.uuid4().hex[:8]}"
    out = tmp_path / "events.jsonl"
    # First run: declares the durable queue and its binding, finds nothing, exits: now offline.
    run_consumer(config, queue, out, idle=1)
    assert not out.exists() or out.read_text() == ""

    expected: dict[str, list[str]] = {}

    def produce(producer: str, event_type: str, data: dict, entity: str, agency_type: str | None) -> None:
        before = outbox_count(notify_db, entity)
        bus.emit(producer, event_type, data)
        if agency_type is not None:
            expected.setdefault(entity, []).append(agency_type)
            wait_for(lambda: outbox_count(notify_db, entity) == before + 1, what=f"{agency_type} in outbox")

    enterprise_id = str(uuid.uuid4())
    uscc = random_uscc()
    with ClusterRpcProxy(nameko_config(config, "tests"), timeout=30) as cluster:
        bus.emit(
            "identity",
            "enterprise_account_registered",
            {"account_id": enterprise_id, "uscc": uscc, "contact_name": "李", "email": "secret@example.com"},
        )
        wait_for(
            lambda: cluster.notify.list_messages(enterprise_id)["messages"], what="registration recorded"
        )
    # A credential-bearing event is never forwarded.
    bus.emit(
        "identity",
        "account_email_verification_requested",
        {
            "account_id": enterprise_id,
            "email": "secret@example.com",
            "contact_name": "李",
            "link": "http://127.0.0.1/verify?token=SECRET-TOKEN",
            "expires_at": datetime.now(UTC).isoformat(),
        },
    )
    produce(
        "identity",
        "account_status_changed",
        {"account_id": enterprise_id, "kind": "enterprise", "status": "active", "reason": None},
        enterprise_id,
        "enterprise.registered",
    )
    produce(
        "enterprise",
        "records_changed",
        {"enterprise_id": enterprise_id, "records_version": 2, "sections": ["staff"]},
        enterprise_id,
        "enterprise.changed",
    )
    licences = [str(uuid.uuid4()) for _ in range(3)]
    for index, licence_id in enumerate(licences):
        base = {
            "licence_id": licence_id,
            "enterprise_id": enterprise_id,
            "number": f"承装5-{index}",
            "type_code": "pfl.power",
            "valid_until": "2031-01-31",
        }
        produce(
            "permits",
            "licence_issued",
            {**base, "application_id": None, "items": [], "valid_from": "2025-02-01"},
            licence_id,
            "licence.issued",
        )
        for status, agency_type in (
            ("suspended", "licence.suspended"),
            ("valid", "licence.changed"),
            ("revoked", "licence.revoked"),
        ):
            produce("permits", "licence_status_changed", {**base, "status": status}, licence_id, agency_type)
    certificate = str(uuid.uuid4())
    produce(
        "personnel",
        "certificate_issued",
        {
            "certificate_id": certificate,
            "enterprise_id": enterprise_id,
            "holder_name": "张三",
            "id_number": "150102199001011234",
            "kind": "electrician",
            "number": "DG-1",
            "valid_until": "2029-01-01",
        },
        certificate,
        "certificate.issued",
    )
    produce(
        "personnel",
        "certificate_transferred",
        {
            "certificate_id": certificate,
            "from_enterprise_id": enterprise_id,
            "to_enterprise_id": str(uuid.uuid4()),
            "kind": "electrician",
            "number": "DG-1",
        },
        certificate,
        "certificate.transferred",
    )
    total = sum(len(types) for types in expected.values())
    wait_for(
        lambda: queue_depth(config, queue) == total,
        timeout=30,
        what=f"{total} events waiting in the offline agency's queue",
    )

    # Back online: everything arrives.
    run_consumer(config, queue, out, idle=2)
    events = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(events) == total
    assert len({e["id"] for e in events}) == total  # once each
    for entity, types in expected.items():
        mine = [e for e in events if e["entity_id"] == entity]
        assert [e["type"] for e in mine] == types
        assert [e["sequence"] for e in mine] == list(range(1, len(types) + 1))
    raw = out.read_text()
    for secret in ("SECRET-TOKEN", "secret@example.com", "150102199001011234", "verify"):
        assert secret not in raw
    registered = next(e for e in events if e["type"] == "enterprise.registered")
    assert registered["data"] == {
        "enterprise_id": enterprise_id,
        "uscc": uscc,
        "name": None,
        "region_code": None,
    }
    assert set(registered) == {"id", "type", "version", "occurred_at", "entity_id", "sequence", "data"}
    assert queue_depth(config, queue) == 0  # all acknowledged

    # A redelivered event (same id) is not written twice.
    with pika.BlockingConnection(amqp_parameters(config)) as connection:
        channel = connection.channel()
        channel.basic_publish(
            "qlp.agency",
            "agency.licence.revoked.v1",
            json.dumps(events[-1]).encode(),
            properties=pika.BasicProperties(delivery_mode=2, content_type="application/json"),
        )
    run_consumer(config, queue, out, idle=2)
    assert len(out.read_text().splitlines()) == total
    assert queue_depth(config, queue) == 0
