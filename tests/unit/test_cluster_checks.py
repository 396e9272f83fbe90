"""The verdict helpers of `make cluster-test` (deploy/cluster_checks.py)."""

from __future__ import annotations

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
    is_failure,
    nonempty,
    review_queue,
)
from deploy.cluster_hosts import BROKERS, SERVICES_HOSTS
from deploy.cluster_platform import haproxy_config


def test_failures_inside_a_window_are_counted_there_and_others_outside():
    windows = [Window("broker", 100, 130), Window("cut", 200, 240)]
    records = [
        (10, 11, "a", "200"),
        (99, 101, "a", "503"),  # under way when the window began
        (125, 135, "a", "error:ConnectionError"),
        (150, 151, "a", "502"),  # between the windows: a real failure
        (210, 211, "b", "404"),  # not a failure at all
        (239, 300, "b", "504"),
    ]
    inside, outside = failures_by_window(records, windows)
    assert inside == {"broker": 2, "cut": 1}
    assert outside == 1


def test_failure_means_5xx_or_no_answer():
    assert is_failure("500") and is_failure("error:ReadTimeout")
    assert not is_failure("409") and not is_failure("303")


def test_agency_stream_counts_lost_and_duplicated_ids():
    stream = agency_stream(["e1", "e2", "e3"], ["e1", "e2", "e2", "x"], redelivered=4)
    assert (stream.emitted, stream.written, stream.duplicated, stream.missing) == (3, 3, 1, 1)
    assert stream.redelivered == 4
    assert not stream.exactly_once
    assert agency_stream(["e1"], ["e1"], 0).exactly_once


def test_drain_rate_per_phase_from_cumulative_acks():
    samples = [(0, 0), (10, 50), (20, 100), (30, 250), (40, 400), (45, 400)]
    rates = drain_rates(samples, [Phase(1, 0, 20), Phase(2, 20, 40), Phase(3, 44, 46)])
    assert rates == {1: 5.0, 2: 15.0, 3: None}


def test_queue_filters():
    depths = {"evt-permits--review.x": 0, "rpc-review": 2, "rpc.reply-gateway-1": 3,
              "review.dead-letters": 1, "review.rpc-dead-letters": 4, "agency.dead-letters": 0}
    assert nonempty(depths) == {"review.dead-letters": 1, "review.rpc-dead-letters": 4,
                                "rpc-review": 2}
    assert dead_letters(depths) == {"review.dead-letters": 1}
    assert expired_requests(depths) == {"review.rpc-dead-letters": 4}
    assert review_queue("rpc-review")
    assert review_queue("evt-permits-application_submitted--review.on_submitted")
    assert not review_queue("evt-review-case_decided--permits.on_decided")
    assert not review_queue("evt-permits-x--review.on_x.retry.1")


def test_verdict_passes_only_with_every_line_passed():
    verdict = Verdict()
    assert not verdict.passed
    verdict.add("a", True, "ok")
    assert verdict.passed
    verdict.add("b", False, "no")
    assert not verdict.passed
    assert "[FAIL] b: no" in verdict.render()


def test_haproxy_config_lists_every_broker_and_gateway():
    text = haproxy_config(SERVICES_HOSTS)
    assert text.count(":5672 check") == len(BROKERS)
    assert text.count(":8700 check") == len(SERVICES_HOSTS)
    assert "retry-on conn-failure" in text


def test_consumers_by_phase_takes_the_most_seen_in_each():
    samples = [(5, 1), (45, 1), (55, 2), (95, 2), (105, 3), (140, 2)]
    phases = [Phase(1, 0, 50), Phase(2, 50, 100), Phase(3, 100, 150), Phase(4, 200, 250)]
    assert consumers_by_phase(samples, phases) == {1: 1, 2: 2, 3: 3, 4: None}
