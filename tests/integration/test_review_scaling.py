"""Two review processes share the work: racing claims through the real RPC never give a case to
two reviewers, and the overdue sweep flags (and announces) each case once."""

from __future__ import annotations

import os
import random
import re
import threading
import uuid

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from deploy import platform as deploy_platform
from deploy import processes
from services.common.config import database_url, nameko_config
from services.common.database import make_engine
from services.common.errors import Conflict
from tests.support.review_producer import (
    Producer,
    request_data,
    start_review_platform,
    stop_review_platform,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
CLAIMANTS = 12
CASES = 8


@pytest.fixture(scope="module")
def two_instances(config):
    os.environ["QLP_REVIEW__OVERDUE_SWEEP_SECONDS"] = "1"  # inherited by both processes
    try:
        start_review_platform(config)
        env = deploy_platform.instance_env("review-2", config, deploy_platform.component_env(config))
        processes.start_process("review-2", deploy_platform.argv_for("review-2"), config, env=env)
        engine = make_engine(database_url(config, "review"), pool_size=2)
        yield config, engine
    finally:
        os.environ.pop("QLP_REVIEW__OVERDUE_SWEEP_SECONDS", None)
        processes.stop_processes(["review-2"], config, timeout=15)
        stop_review_platform(config)
        engine.dispose()


def worker_calls(port: int, entrypoint: str) -> float:
    body = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    pattern = rf'qlp_worker_total\{{[^}}]*entrypoint="{entrypoint}"[^}}]*\}} ([0-9.e+]+)'
    return sum(float(v) for v in re.findall(pattern, body))


def test_racing_claims_across_two_instances_have_exactly_one_winner(two_instances):
    config, engine = two_instances
    second_port = int(config["metrics_ports"]["review"]) + 1000
    wait_for(lambda: _port_up(second_port), timeout=60, what="review-2 serving metrics")
    producer = Producer(config)
    batch = [request_data(region_code="150102") for _ in range(CASES)]
    for data in batch:
        producer.request(data)

    def case_ids():
        with engine.connect() as conn:
            ids = conn.execute(text("select id from cases where case_ref = any(:refs)"),
                               {"refs": [d["case_ref"] for d in batch]}).scalars().all()
        return [str(i) for i in ids] if len(ids) == CASES else None
    ids = wait_for(case_ids, what="all cases received")

    barrier = threading.Barrier(CLAIMANTS)
    wins: dict[str, list[str]] = {i: [] for i in ids}
    conflicts = []
    errors = []
    lock = threading.Lock()

    def claimant(n: int) -> None:
        actor = {"id": str(uuid.uuid4()), "kind": "reviewer", "level": "city", "region_code": "150100",
                 "permissions": [], "enterprise_id": None, "name": f"审核员{n}"}
        order = ids[:]
        random.Random(n).shuffle(order)
        with ClusterRpcProxy(nameko_config(config, "tests"), timeout=30) as cluster:
            barrier.wait()
            for case_id in order:
                try:
                    cluster.review.claim(actor, case_id)
                    with lock:
                        wins[case_id].append(actor["id"])
                except Conflict:
                    with lock:
                        conflicts.append(case_id)
                except Exception as exc:  # anything else is a failure of the test
                    with lock:
                        errors.append(repr(exc))

    threads = [threading.Thread(target=claimant, args=(n,)) for n in range(CLAIMANTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert all(len(winners) == 1 for winners in wins.values()), wins
    assert len(conflicts) == CASES * (CLAIMANTS - 1)
    with engine.connect() as conn:
        holders = dict(conn.execute(text("select id::text, claimed_by from cases where id::text = any(:ids)"),
                                    {"ids": ids}).all())
    assert holders == {case_id: winners[0] for case_id, winners in wins.items()}
    # Both processes served claims (the broker hands the RPC queue's messages round-robin).
    first_port = int(config["metrics_ports"]["review"])
    assert worker_calls(first_port, "claim") > 0 and worker_calls(second_port, "claim") > 0


def test_overdue_sweep_flags_each_case_once_with_two_instances(two_instances):
    config, engine = two_instances
    producer = Producer(config)
    batch = [request_data(case_type="pfl.power.new", region_code="150102") for _ in range(20)]
    for data in batch:
        producer.request(data)
    refs = [d["case_ref"] for d in batch]

    def received():
        with engine.connect() as conn:
            return conn.execute(text("select count(*) from cases where case_ref = any(:r)"),
                                {"r": refs}).scalar_one() == len(refs)
    wait_for(received, what="cases received")
    with engine.begin() as conn:  # their statutory date passed a week ago
        conn.execute(text("update cases set due_date = current_date - 7 where case_ref = any(:r)"),
                     {"r": refs})

    def flagged():
        with engine.connect() as conn:
            return conn.execute(text("select count(*) from cases where overdue and case_ref = any(:r)"),
                                {"r": refs}).scalar_one() == len(refs)
    wait_for(flagged, timeout=30, what="all flagged overdue")
    with engine.connect() as conn:
        per_case = conn.execute(text(
            "select envelope->'data'->>'case_ref', count(*) from outbox where event_type = 'case_overdue' "
            "and envelope->'data'->>'case_ref' = any(:r) group by 1"), {"r": refs}).all()
    assert sorted(count for _, count in per_case) == [1] * len(refs)


def _port_up(port: int) -> bool:
    return processes.port_open("127.0.0.1", port)
