"""A mail that cannot be sent never blocks the event flow and is retried until it goes out."""

from __future__ import annotations

import os
import sys
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from deploy import processes
from deploy.mail_sink import read_mails
from services.common.config import database_url, nameko_config
from services.common.database import make_engine
from services.common.migrations import upgrade
from tests.support import platform
from tests.support.data import random_uscc
from tests.support.notify import Bus, start_notify, stop_notify
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def test_failed_send_is_retried_and_the_message_is_recorded_anyway(config):
    upgrade(("notify",), config=config)
    # The session's platform may be running notify: replace it for this test, restore it after.
    was_running = processes.is_running("notify", config)
    processes.stop_process("notify", config, timeout=15)
    # notify with an SMTP port nobody listens on: every send fails.
    processes.start_process(
        "notify",
        [sys.executable, "-m", "services.common.runner", "notify"],
        config,
        env={**os.environ, "QLP_SMTP__PORT": "1"},
    )
    engine = make_engine(database_url(config, "notify"), pool_size=1)
    try:
        platform.wait_rpc_healthy(config, ("notify",))
        with ClusterRpcProxy(nameko_config(config, "tests"), timeout=30) as cluster:
            enterprise_id = str(uuid.uuid4())
            email = f"retry-{uuid.uuid4().hex[:8]}@example.com"
            Bus(config).emit(
                "identity",
                "enterprise_account_registered",
                {"account_id": enterprise_id, "uscc": random_uscc(), "contact_name": "重试", "email": email},
            )
            # The event flow went on: the message is there although the mail could not be sent.
            wait_for(lambda: cluster.notify.list_messages(enterprise_id)["messages"], what="message")

        def failed_once():
            with engine.connect() as conn:
                return conn.execute(
                    text("SELECT attempts, last_error, sent_at FROM mails WHERE to_address = :a"),
                    {"a": email},
                ).first()

        row = wait_for(lambda: (r := failed_once()) is not None and r.attempts >= 1 and r, what="failed send")
        assert row.sent_at is None and row.last_error
        assert not any(m["To"] == email for m in read_mails(config))
    finally:
        stop_notify(config)
    # notify again with the real SMTP sink; the back-off (unit-tested) is cut short here.
    with engine.begin() as conn:
        conn.execute(text("UPDATE mails SET next_attempt_at = now() WHERE to_address = :a"), {"a": email})
    start_notify(config)
    try:
        wait_for(lambda: any(m["To"] == email for m in read_mails(config)), timeout=30, what="mail delivered")
        with engine.connect() as conn:
            sent = conn.execute(
                text("SELECT attempts, sent_at FROM mails WHERE to_address = :a"), {"a": email}
            ).first()
        assert sent.sent_at is not None and sent.attempts >= 2
    finally:
        stop_notify(config)
        engine.dispose()
        if was_running:  # the session's notify again, as it was
            platform.start("notify", config)
            platform.wait_healthy(config)
