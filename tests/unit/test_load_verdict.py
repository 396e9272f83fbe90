"""The load tier's pure parts (load/verdict.py): percentiles, the step table, errors by status,
exactly-once counting of the agency stream and the PASS/FAIL verdicts."""

from __future__ import annotations

from load.verdict import (
    Verdict,
    count_5xx,
    delivery,
    errors_by_status,
    health_problems,
    health_verdict,
    nonempty_queues,
    percentile,
    step_rows,
    undecided,
)


def test_nearest_rank_percentiles():
    values = [float(v) for v in range(1, 101)]  # 1 … 100
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) == 0.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0  # order of arrival does not matter


def test_step_rows_count_only_failed_answers_as_errors():
    times = {"permits: submit": [100.0, 200.0, 300.0, 400.0], "verify page": [10.0]}
    statuses = {"permits: submit": {"200": 2, "409": 1, "503": 1}, "verify page": {"200": 1}}
    rows = {r.step: r for r in step_rows(times, statuses)}
    assert rows["permits: submit"].count == 4 and rows["permits: submit"].errors == 2
    assert rows["permits: submit"].p50_ms == 200.0 and rows["permits: submit"].p95_ms == 400.0
    assert rows["verify page"].errors == 0


def test_errors_grouped_by_status_and_5xx_counted():
    statuses = {
        "a": {"200": 5, "503": 2, "error:ConnectionError": 1},
        "b": {"303": 1, "503": 1, "422": 3, "500": 0},
    }
    assert errors_by_status(statuses) == {
        "422": {"b": 3}, "503": {"a": 2, "b": 1}, "error:ConnectionError": {"a": 1}}
    assert count_5xx(statuses) == 3
    assert count_5xx({"a": {"200": 9, "404": 1}}) == 0


def test_exactly_once_counts_duplicates_misses_and_events_from_before_the_run():
    emitted = ["e1", "e2", "e3", "e4"]
    perfect = delivery(emitted, ["e2", "e1", "e4", "e3"])
    assert perfect.exactly_once and perfect.expected == 4 and perfect.received == 4

    twice = delivery(emitted, ["e1", "e2", "e2", "e3", "e4", "e4", "e4"])
    assert not twice.exactly_once and twice.duplicates == 3 and not twice.missing

    lost = delivery(emitted, ["e1", "e3", "old"])
    assert not lost.exactly_once and lost.missing == ["e2", "e4"] and lost.extra == 1

    assert delivery([], []).exactly_once


def test_health_verdict_names_the_first_bad_sample():
    green = health_verdict([(0.0, 200, "{}"), (3.0, 200, "{}")])
    assert green.passed and "2/2" in green.detail
    bad = health_verdict([(0.0, 200, "{}"), (3.0, 503, '{"permits": "timeout"}'), (6.0, None, "ReadTimeout")])
    assert not bad.passed and "1/3" in bad.detail and "+3 s: 503" in bad.detail and "permits" in bad.detail
    assert not health_verdict([]).passed


def test_health_problems_name_the_services_that_were_not_ok():
    body = '{"status": "degraded", "services": {"identity": "ok", "permits": "unavailable: timeout"}}'
    samples = [(0.0, 200, "{}"), (3.0, 503, body), (6.0, 503, body), (9.0, None, "ReadTimeout")]
    assert health_problems(samples) == {"503 permits: unavailable: timeout": 2, "no answer (ReadTimeout)": 1}


def test_undecided_and_queues_and_the_overall_verdict():
    states = {"a1": "licence_issued", "a2": "under_review", "a3": "missing"}
    assert undecided(states, ("licence_issued", "rejected")) == {"a2": "under_review", "a3": "missing"}
    assert nonempty_queues({"rpc-permits": 3, "mine": 5, "evt": 0}, ignore=["mine"]) == {"rpc-permits": 3}
    # a late reply in the queue of a caller that has gone expires with it; one whose caller
    # still listens (or any other queue without consumers) still counts
    gone, listening = "rpc.reply-standalone_rpc_proxy-1", "rpc.reply-standalone_rpc_proxy-2"
    queues = {gone: 1, listening: 1, "rpc-review": 2}
    consumers = {gone: 0, listening: 1, "rpc-review": 0}
    assert nonempty_queues(queues, consumers=consumers) == {"rpc-review": 2, listening: 1}
    assert nonempty_queues(queues) == queues

    verdict = Verdict()
    assert not verdict.passed  # nothing checked is not a pass
    verdict.add("0 responses 5xx", True, "0 of 10")
    assert verdict.passed
    verdict.add("dead-letter queues empty", False, "{'permits.dead-letters': 2}")
    assert not verdict.passed
    assert verdict.lines() == ["PASS  0 responses 5xx: 0 of 10",
                               "FAIL  dead-letter queues empty: {'permits.dead-letters': 2}"]


def test_mail_index_finds_each_verification_link_once_and_ignores_other_mail(tmp_path):
    from email.message import EmailMessage

    from load.mails import MailIndex

    def write(name: str, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["To"], message["Subject"] = to, subject
        message.set_content(body)
        (tmp_path / name).write_bytes(bytes(message))

    index = MailIndex(tmp_path)
    assert index.link_for("a@example.com") is None
    write("001.eml", "a@example.com", "请验证您的注册邮箱",
          "请点击 http://127.0.0.1:7800/verify-email?token=abc123 完成验证")
    write("002.eml", "b@example.com", "密码重置", "http://127.0.0.1:7800/password/reset?token=zzz")
    assert index.link_for("a@example.com") == "http://127.0.0.1:7800/verify-email?token=abc123"
    assert index.link_for("b@example.com") is None
    assert index.seen == {"001.eml", "002.eml"}  # each file parsed once


def test_report_shows_steps_journeys_errors_and_the_overall_verdict():
    from load.report import render

    results = {
        "times_ms": {"permits: 申报表 PDF": [120.0, 10050.0]},
        "statuses": {"permits: 申报表 PDF": {"200": 1, "503": 1}},
        "journeys": {"journey: permits": {"ok": 1, "StepFailed 503": 1}},
        "journey_ms": {"journey: permits": [40000.0]},
        "failures": ["journey: permits: 申报表 PDF: HTTP 503"] * 2,
    }
    verdict = Verdict()
    verdict.add("0 responses 5xx", False, "1 of 2 requests")
    text = render(results, {"all_statuses": results["statuses"], "facts": {"RSS": "permits 700"}}, verdict)
    assert "permits: 申报表 PDF" in text and "10050" in text
    assert "journey: permits: ok 1, failed: StepFailed 503 1; p50 40.0 s" in text
    assert "503: 1 (permits: 申报表 PDF 1)" in text
    assert "2 × journey: permits: 申报表 PDF: HTTP 503" in text
    assert "FAIL  0 responses 5xx: 1 of 2 requests" in text and text.endswith("load run: FAIL")
