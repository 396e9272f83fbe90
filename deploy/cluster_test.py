"""`make cluster-test` (issue 18 item 2, 3 and the replica): the platform on six "hosts" of this
machine under a moderate load of whole journeys, with faults.

Hosts are Linux network namespaces joined by a bridge on a private test subnet that this script
creates and removes itself (deploy/cluster_hosts.py): three RabbitMQ nodes (Debian's
rabbitmq-server, named after their addresses, one generated Erlang cookie, classic peer
discovery); two services hosts with the six services and a gateway each; an agency host with
the pika agency consumer (deploy/agency_consumer.py) and a PostgreSQL streaming replica. On the
bridge's own address (the root namespace): the PostgreSQL primary, S3 (SeaweedFS), the SMTP
sink, and HAProxy (Debian's) in front of the three brokers (AMQP, management) and of the two
gateways (deploy/cluster_platform.py). The load driver (deploy/cluster_load.py) runs the
journeys of `make load` through HAProxy.

Timeline (seconds after the load began, --load-seconds in all):
  0    review runs on 1 instance (services host 1)
  50   a 2nd review instance (services host 2); 100: a 3rd (services host 1)
  130  the RabbitMQ node leading the most queues is killed (SIGKILL, all its host's processes),
       then started again once the platform answers
  190  services host 2 cut off the bridge (its link down) for 20 s, then restored
  250  every process of services host 1 killed; its services started again 20 s later
Then: the enterprises finish, the desks are drained, and the checks (cluster_checks.py) run.
A fault's window lasts from the fault until /healthz answers 200 again plus a grace; a 5xx or
refused request under way inside a window is counted there, any other one fails the test.

Needs root (ip netns). State and logs: var/cluster/ (removed at the start of the next run).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import string
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from deploy import cluster_platform as platform
from deploy.cluster_checks import (
    Phase,
    Verdict,
    Window,
    agency_stream,
    consumers_by_phase,
    dead_letters,
    drain_rates,
    expired_requests,
    failures_by_window,
    nonempty,
    review_queue,
)
from deploy.cluster_hosts import (
    BROKERS,
    SERVICES_HOSTS,
    STATE,
    VHOST,
    bridge_address,
    create_network,
    cut,
    kill_host,
    log,
    node,
    remove_network,
    running_nodes,
    start_node,
    wait,
    write_node_files,
)
from deploy.cluster_load import Driver, reviewer_logins

GRACE = 15.0  # seconds after /healthz is green again that still belong to a fault's window
ALL = platform.ALL_SERVICES
FINAL = ("rejected", "licence_issued", "withdrawn", "terminated")
DECLARATION_FINAL = ("approved", "rejected", "withdrawn", "deleted", "terminated")


class Broker:
    """The cluster's management API through HAProxy's management frontend."""

    def __init__(self, password: str) -> None:
        self.password = password

    def get(self, path: str, **params: str) -> Any:
        response = requests.get(f"http://{bridge_address()}:15672/api/{path}",
                                auth=("qlp", self.password), params=params or None, timeout=15)
        response.raise_for_status()
        return response.json()

    def queues(self) -> list[dict[str, Any]]:
        return self.get(f"queues/{VHOST}", columns="name,messages,leader,node,message_stats.ack,"
                                                   "members,online,type,consumers")

    def depths(self) -> dict[str, int]:
        return {q["name"]: int(q.get("messages") or 0) for q in self.queues()}

    def review_acks(self) -> tuple[int, int]:
        """(acks on review's queues so far, consumers of its RPC queue)."""
        queues = self.queues()
        acks = sum(int((q.get("message_stats") or {}).get("ack") or 0) for q in queues
                   if review_queue(q["name"]))
        return acks, next((int(q.get("consumers") or 0) for q in queues
                           if q["name"] == "rpc-review"), 0)


class Sampler(threading.Thread):
    """Every 5 s: review's cumulative acks (for the drain rate) and whether /healthz is 200."""

    def __init__(self, broker: Broker, driver: Driver) -> None:
        super().__init__(daemon=True, name="sampler")
        self.broker, self.driver = broker, driver
        self.acks: list[tuple[float, int]] = []
        self.consumers: list[tuple[float, int]] = []
        self.health: list[tuple[float, int | None]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(5):
            at = self.driver.now()
            try:
                acks, consumers = self.broker.review_acks()
                self.acks.append((at, acks))
                self.consumers.append((at, consumers))
            except (requests.RequestException, ValueError):
                pass
            try:
                self.health.append((at, platform.healthz()))
            except requests.RequestException:
                self.health.append((at, None))


def healthy_again(what: str) -> float:
    return wait(lambda: platform.healthz() == 200, 300, f"/healthz 200 after {what}", 1.0)


def start_cluster(password: str, cookie: str, figures: dict[str, Any]) -> None:
    began = time.monotonic()
    for host in BROKERS:
        write_node_files(host, password)
        start_node(host, cookie)
    platform.start_servers(password)
    log("PostgreSQL, S3 and SMTP ready on the bridge")
    formed = wait(lambda: len(running_nodes(BROKERS[0], password)) == 3, 300,
                  "three RabbitMQ nodes clustered")
    figures["RabbitMQ: 3 nodes clustered (s after start)"] = round(time.monotonic() - began, 1)
    log(f"3 RabbitMQ nodes clustered ({formed:.0f} s of waiting)")
    platform.migrate(password)
    platform.start_haproxy(password, SERVICES_HOSTS)
    platform.start_replica(password)
    log("migrations done; HAProxy and the PostgreSQL replica started")
    # review on one instance first (item 3); everything else on both services hosts.
    platform.start_host(password, SERVICES_HOSTS[0], (*ALL, "gateway"))
    platform.start_host(password, SERVICES_HOSTS[1], (*(s for s in ALL if s != "review"), "gateway"))
    wait(lambda: all(platform.gateway_up(h) for h in SERVICES_HOSTS), 420,
         "both gateways' /healthz 200")
    platform.start_agency(password)
    wait(lambda: platform.agency_log(password).exists()
         and "consuming" in platform.agency_log(password).read_text(), 120,
         "the agency consumer consuming")
    figures["platform up (s after start)"] = round(time.monotonic() - began, 1)
    log(f"platform up through HAProxy after {time.monotonic() - began:.0f} s")


def leader_counts(broker: Broker) -> Counter:
    return Counter(q.get("leader") or q.get("node") for q in broker.queues()
                   if q.get("type") == "quorum")


def faults(password: str, cookie: str, driver: Driver, load_seconds: float,
           windows: list[Window], phases: list[Phase], figures: dict[str, Any]) -> None:
    broker = Broker(password)

    def at(second: float) -> None:
        while driver.now() < second:
            time.sleep(0.5)

    s1, s2 = SERVICES_HOSTS
    at(50)
    platform.start_component(password, s2, "review")
    phases.append(Phase(1, 0, driver.now()))
    log("review: a 2nd instance (services host 2)")
    at(100)
    platform.start_component(password, s1, "review-2")
    phases.append(Phase(2, phases[-1].end, driver.now()))
    log("review: a 3rd instance (services host 1)")
    at(130)
    leaders = leader_counts(broker)
    victim_node, led = leaders.most_common(1)[0]
    victim = next(h for h in BROKERS if node(h) == victim_node)
    figures["queue leaders before the kill"] = dict(leaders)
    killed = driver.now()
    kill_host(victim)
    log(f"RabbitMQ: killed {victim_node} (leads {led} of {sum(leaders.values())} queues)")
    back = healthy_again("the broker kill")
    windows.append(Window("RabbitMQ leader killed", killed, driver.now() + GRACE))
    figures["RabbitMQ kill: /healthz 200 again after (s)"] = round(back, 1)
    start_node(victim, cookie)
    at(190)
    cut(s2, True)
    began = driver.now()
    log("services host 2 cut off the bridge")
    time.sleep(20)
    cut(s2, False)
    back = healthy_again("the network cut")
    windows.append(Window("services host 2 cut off 20 s", began, driver.now() + GRACE))
    figures["cut: /healthz 200 again after restoring (s)"] = round(back, 1)
    log("services host 2 back on the bridge")
    at(250)
    phases.append(Phase(3, phases[-1].end, driver.now()))
    began = driver.now()
    figures["processes killed on services host 1"] = kill_host(s1)
    log("services host 1: every process killed")
    time.sleep(20)
    platform.start_host(password, s1, (*ALL, "gateway"))
    back = healthy_again("the services host kill")
    wait(lambda: platform.gateway_up(s1), 300, "services host 1's gateway back")
    windows.append(Window("services host 1 killed", began, driver.now() + GRACE))
    log("services host 1: started again")
    at(load_seconds)


def check(password: str, driver: Driver, sampler: Sampler, windows: list[Window],
          phases: list[Phase], reviewers: dict[str, list[str]], figures: dict[str, Any]) -> Verdict:
    from load.observe import Databases

    verdict = Verdict()
    broker = Broker(password)
    config = platform.config_for(password)
    dbs = Databases(config)
    try:
        moved = driver.drain_desks(reviewers, 300)
        log(f"desks drained ({moved} cases moved)")
        figures["cases moved by the final desk drain"] = moved

        def states(ids: list[str], final: tuple[str, ...], fetch: Any) -> dict[str, str]:
            return {i: s for i, s in fetch(ids).items() if s not in final}

        settle(lambda: not states(driver.submitted, FINAL, dbs.application_states), 240,
               "every submitted application decided")
        settle(lambda: not any(dbs.outbox_pending().values()), 180, "every outbox published")
        emitted, unpublished = dbs.agency_emitted(0)

        def written() -> list[str]:
            out = platform.agency_out(password)
            lines = out.read_text().splitlines() if out.exists() else []
            return [json.loads(line)["id"] for line in lines if line.strip()]

        settle(lambda: set(emitted) <= set(written()), 240, "the agency consumer caught up")
        settle(lambda: not live(broker.depths()), 240, "every queue empty (but dead letters)")
        undecided = states(driver.submitted, FINAL, dbs.application_states)
        verdict.add("every submitted application decided", bool(driver.submitted) and not undecided,
                    f"{len(driver.submitted) - len(undecided)}/{len(driver.submitted)}"
                    + (f"; undecided {dict(Counter(undecided.values()))}" if undecided else ""))
        open_decl = states(driver.reported, DECLARATION_FINAL, dbs.declaration_states)
        verdict.add("every reported declaration decided", not open_decl,
                    f"{len(driver.reported) - len(open_decl)}/{len(driver.reported)}")
        redelivered = platform.agency_log(password).read_text().count("duplicate ")
        stream = agency_stream(emitted, written(), redelivered)
        verdict.add("agency events: 0 lost, 0 duplicated", stream.exactly_once and not unpublished,
                    f"{stream.emitted} emitted, {stream.written} written, {stream.missing} lost, "
                    f"{stream.duplicated} duplicated ({stream.redelivered} redeliveries skipped "
                    "by the consumer)")
        decisions = duplicated_decisions(dbs, driver.submitted)
        verdict.add("no duplicated decision", not decisions,
                    str(decisions or "each decided application has one decision and ≤ 1 licence"))
        fails, outside = failures_by_window(driver.records, windows)
        statuses = Counter(s for _, _, _, s in driver.records)
        verdict.add("no 5xx / refused request outside the failover windows", outside == 0,
                    f"{outside} outside; inside: {fails}")
        depths = broker.depths()
        verdict.add("nothing left in queues", not live(depths), str(live(depths) or "all empty"))
        verdict.add("dead letters empty", not dead_letters(depths), str(dead_letters(depths) or "empty"))
        figures["expired RPC requests kept in rpc-dead-letters"] = expired_requests(depths) or "none"
        figures["requests"] = len(driver.records)
        figures["answers"] = dict(sorted(statuses.items()))
        figures["journeys"] = dict(sorted(driver.journeys.items()))
        figures["applications submitted"] = len(driver.submitted)
        figures["declarations reported"] = len(driver.reported)
        figures["fault windows (s since load start)"] = {
            w.name: f"{w.start:.0f}-{w.end:.0f}" for w in windows}
        figures["review drain rate (acks/s) by instances"] = drain_rates(sampler.acks, phases)
        figures["rpc-review consumers seen by instances"] = consumers_by_phase(sampler.consumers,
                                                                               phases)
        settle(lambda: sum(1 for n in broker.get("nodes") if n.get("running")) == 3, 300,
               "the killed RabbitMQ node back in the cluster")
        minority = [q["name"] for q in broker.queues()
                    if q.get("type") == "quorum" and len(q.get("online") or []) < 3]
        figures["quorum queues with < 3 members online at the end"] = len(minority)
        repl = wait_replica(password)
        verdict.add("PostgreSQL replica streaming and caught up",
                    repl.get("state") == "streaming" and bool(repl.get("caught up")), str(repl))
    finally:
        dbs.dispose()
    return verdict


def live(depths: dict[str, int]) -> dict[str, int]:
    return {q: n for q, n in nonempty(depths).items() if not q.endswith("dead-letters")}


def settle(predicate: Any, timeout: float, what: str) -> bool:
    """Like wait(), but a timeout is logged and left to the verdict instead of ending the run."""
    try:
        took = wait(predicate, timeout, what, 2.0)
    except SystemExit:
        log(f"not settled after {timeout:.0f} s: {what}")
        return False
    log(f"settled after {took:.0f} s: {what}")
    return True


def wait_replica(password: str) -> dict[str, Any]:
    last: dict[str, Any] = {}

    def caught_up() -> bool:
        nonlocal last
        last = platform.replication_state(password)
        return bool(last.get("caught up"))

    settle(caught_up, 60, "the replica caught up")
    return last


def duplicated_decisions(dbs: Any, ids: list[str]) -> dict[str, int]:
    """Applications with more than one final transition in their history, or > 1 licence."""
    from sqlalchemy import text

    if not ids:
        return {}
    with dbs.engines["permits"].connect() as conn:
        rows = conn.execute(text(
            "select application_id::text, count(*) from application_history "
            "where to_state = any(:final) and application_id::text = any(:ids) "
            "group by 1 having count(*) > 1"), {"final": list(FINAL), "ids": ids}).all()
        licences = conn.execute(text(
            "select application_id::text, count(*) from licences where application_id::text = any(:ids) "
            "group by 1 having count(*) > 1"), {"ids": ids}).all()
    return {**{f"decision {r[0]}": r[1] for r in rows}, **{f"licence {r[0]}": r[1] for r in licences}}


def run(args: argparse.Namespace, password: str, cookie: str) -> int:
    figures: dict[str, Any] = {}
    began = time.monotonic()
    start_cluster(password, cookie, figures)
    config = platform.config_for(password)
    reviewers = reviewer_logins(config, city=1, province=2)
    driver = Driver(f"http://{bridge_address()}:{platform.HTTP_PORT}", Path(config["var_dir"], "mail"),
                    float(config["permits"]["commitment_seconds"]))
    sampler = Sampler(Broker(password), driver)
    driver.start(args.enterprises, reviewers)
    sampler.start()
    log(f"load: {args.enterprises} enterprises, {sum(map(len, reviewers.values()))} reviewers "
        f"for {args.load_seconds:.0f} s")
    windows: list[Window] = []
    phases: list[Phase] = []
    faults(password, cookie, driver, args.load_seconds, windows, phases, figures)
    log("load: no new journeys; waiting for those under way")
    driver.stop()
    sampler.stopping.set()
    log("checking")
    verdict = check(password, driver, sampler, windows, phases, reviewers, figures)
    figures["total run time (s)"] = round(time.monotonic() - began, 1)
    print("cluster-test: figures")
    for key, value in figures.items():
        print(f"  {key}: {value}")
    if driver.errors:
        print("cluster-test: first journey failures")
        for line in driver.errors[:10]:
            print(f"  {line}")
    print("cluster-test: verdict")
    print(verdict.render())
    (STATE / "report.json").write_text(json.dumps(
        {"figures": figures, "verdict": verdict.lines}, ensure_ascii=False, indent=1, default=str))
    print("cluster-test: PASSED" if verdict.passed else "cluster-test: FAILED")
    return 0 if verdict.passed else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--load-seconds", type=float, default=300)
    parser.add_argument("--enterprises", type=int, default=4)
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("cluster-test: needs root (network namespaces)")
        return 2
    password = secrets.token_urlsafe(16)
    cookie = "".join(secrets.choice(string.ascii_uppercase) for _ in range(32))
    cleanup(password)  # leftovers of an interrupted run
    shutil.rmtree(STATE, ignore_errors=True)
    STATE.mkdir(parents=True)
    try:
        create_network()
        return run(args, password, cookie)
    finally:
        log("cleaning up")
        cleanup(password)


def cleanup(password: str) -> None:
    remove_network()  # kills every process of every host
    platform.stop_replica(password)
    platform.stop_servers(password)
    data = STATE / "servers" / "postgres" / "data"
    if data.is_symlink():  # PostgreSQL's data kept where user nobody reaches it
        shutil.rmtree(data.resolve().parent, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
