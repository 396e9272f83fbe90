"""A stand-in producer for review tests: publishes ``review_requested`` / ``review_withdrawn``
on a producer's exchange exactly as that producer's outbox relay would (same envelope, same
exchange ``<producer>.events``, routing key = event type), and listens to ``review.events``
for review's answers, through the real broker.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import pika
from nameko.standalone.events import event_dispatcher

from services.common.config import nameko_config
from services.common.envelope import make_envelope
from services.review.events import REVIEW_REQUESTED, REVIEW_WITHDRAWN
from tests.support import platform
from tests.support.waiting import wait_for


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def request_data(case_type: str = "cip.safety.new", region_code: str = "150102",
                 producer: str = "permits", **overrides: Any) -> dict[str, Any]:
    ident = uuid.uuid4().hex
    data = {
        "case_ref": f"{producer}:application:{ident}",
        "case_type": case_type,
        "lane": "standard",
        "enterprise_id": str(uuid.uuid4()),
        "enterprise_name": f"测试建筑有限公司{ident[:6]}",
        "region_code": region_code,
        "title": "建筑施工企业安全生产许可证 新办",
        "revision": 1,
        "fields": {
            "legal_rep": {"label": "法定代表人", "value": "张三"},
            "address": {"label": "注册地址", "value": "呼和浩特市新城区一号"},
            "safety_staff": {"label": "专职安全员人数", "value": 3},
        },
        "attachments": [
            {"id": "att-licence-1", "label": "营业执照", "filename": "执照.pdf", "sha256": sha("licence")},
            {"id": "att-system-1", "label": "安全生产责任制度", "filename": "制度.pdf", "sha256": sha("sys")},
        ],
        "submitted_at": datetime.now(UTC),
    }
    data.update(overrides)
    return data


class Producer:
    """Publishes as ``producer`` would; answers from review are collected by ``Answers``."""

    def __init__(self, config: dict[str, Any], producer: str = "permits") -> None:
        self.producer = producer
        self.dispatch = event_dispatcher(nameko_config(config, "tests"))

    def request(self, data: dict[str, Any]) -> dict[str, Any]:
        spec = REVIEW_REQUESTED[self.producer]
        envelope = make_envelope(self.producer, spec.type, spec.version, spec.serialise(data))
        self.dispatch(self.producer, spec.type, envelope)
        return envelope

    def withdraw(self, case_ref: str, reason: str = "企业主动撤回", outcome: str = "withdrawn") -> None:
        spec = REVIEW_WITHDRAWN[self.producer]
        data = {"case_ref": case_ref, "reason": reason, "by": "企业", "outcome": outcome}
        self.dispatch(self.producer, spec.type,
                      make_envelope(self.producer, spec.type, spec.version, spec.serialise(data)))


class Answers:
    """Every event on review.events, from a queue of our own bound with '#'."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.connection = pika.BlockingConnection(platform.amqp_parameters(config, heartbeat=0))
        self.channel = self.connection.channel()
        self.channel.exchange_declare("review.events", exchange_type="topic", durable=True)
        self.queue = self.channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        self.channel.queue_bind(self.queue, "review.events", routing_key="#")
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def _drain(self) -> None:
        while True:
            method, _props, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return
            with self._lock:
                self.events.append(json.loads(body))

    def wait(self, event_type: str, case_ref: str, timeout: float = 20) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            self._drain()
            return next((e for e in self.events
                         if e["type"] == event_type and e["data"].get("case_ref") == case_ref), None)
        return wait_for(found, timeout=timeout, what=f"review.{event_type} for {case_ref}")

    def of(self, case_ref: str) -> list[str]:
        self._drain()
        return [e["type"] for e in self.events if e["data"].get("case_ref") == case_ref]

    def close(self) -> None:
        self.connection.close()


REVIEW_COMPONENTS = ("identity", "review")


def start_review_platform(config: dict[str, Any], extra: tuple[str, ...] = ()) -> None:
    """Only what review tests need (identity for staff look-ups, review), as real processes:
    the tests do not depend on the other services' state of work."""

    from services.common.migrations import upgrade
    from tests.support import platform

    upgrade((*REVIEW_COMPONENTS, *(c for c in extra if c == "gateway")), config=config)
    platform.start_for_test((*REVIEW_COMPONENTS, *extra), config)
    platform.wait_rpc_healthy(config, [c for c in (*REVIEW_COMPONENTS, *extra) if c != "gateway"])


def stop_review_platform(config: dict[str, Any], extra: tuple[str, ...] = ()) -> None:
    from tests.support import platform

    platform.stop_for_test((*REVIEW_COMPONENTS, *extra), config)
