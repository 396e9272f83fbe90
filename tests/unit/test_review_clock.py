"""The legal clock: working days with holidays and 调休 work days, pauses, extensions."""

from datetime import date

import pytest

from services.review.clock import (
    Calendar,
    Pause,
    acceptance_deadline,
    deemed_accepted,
    default_calendar,
    evaluate,
    parse_calendar,
)

CAL = default_calendar()


def test_weekends_off_holidays_off_and_make_up_days_work():
    assert CAL.is_working_day(date(2025, 9, 30))       # Tuesday
    assert not CAL.is_working_day(date(2025, 10, 4))   # Saturday
    assert not CAL.is_working_day(date(2025, 10, 1))   # 国庆 (Wednesday)
    assert CAL.is_working_day(date(2025, 9, 28))       # Sunday, 调休上班
    assert not CAL.is_working_day(date(2025, 10, 8))   # 国庆 extended, Wednesday


def test_add_working_days_skips_the_national_day_week():
    # Friday 2025-09-26 + 1 working day = Sunday 09-28 (调休); + 2 = Monday 09-29.
    assert CAL.add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 28)
    assert CAL.add_working_days(date(2025, 9, 26), 3) == date(2025, 9, 30)
    # Next after 09-30: 10-01..10-08 off, 10-11 (Saturday) is a work day.
    assert CAL.add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert CAL.working_days_between(date(2025, 9, 30), date(2025, 10, 9)) == 1


def test_twenty_working_days_from_acceptance():
    view = evaluate(date(2025, 3, 3), 20, 0, [], date(2025, 3, 3), CAL)
    assert view.due_date == date(2025, 3, 31)  # 4 plain weeks (no holiday in March)
    assert view.remaining_days == 20 and not view.overdue and not view.paused


def test_pause_for_correction_stops_the_clock_and_moves_the_due_date():
    started = date(2025, 3, 3)
    paused = [Pause(date(2025, 3, 7), None, "等待企业补正")]
    during = evaluate(started, 20, 0, paused, date(2025, 3, 20), CAL)
    assert during.paused and during.pause_reason == "等待企业补正"
    assert during.used_days == 4 and during.remaining_days == 16 and not during.overdue
    resumed = [Pause(date(2025, 3, 7), date(2025, 3, 14), "等待企业补正")]
    after = evaluate(started, 20, 0, resumed, date(2025, 3, 17), CAL)
    assert after.used_days == 5  # 4 before the pause + Monday 03-17
    # five working days later than without the pause (03-31), skipping 清明 (04-04)
    assert after.due_date == date(2025, 4, 8)


def test_extension_adds_working_days_and_overdue_flag():
    started = date(2025, 3, 3)
    late = evaluate(started, 20, 0, [], date(2025, 4, 1), CAL)
    assert late.overdue and late.remaining_days == -1
    extended = evaluate(started, 20, 10, [], date(2025, 4, 1), CAL)
    assert not extended.overdue and extended.due_date == date(2025, 4, 15)


def test_extension_across_qingming():
    # 2025-04-04 (Friday) is 清明: the due date skips it.
    view = evaluate(date(2025, 3, 31), 4, 0, [], date(2025, 3, 31), CAL)
    assert view.due_date == date(2025, 4, 7)


def test_a_bad_holiday_line_is_refused_with_its_number():
    with pytest.raises(ValueError, match="line 2"):
        parse_calendar("2025-01-01\toff\n2025-13-01\toff\n")
    with pytest.raises(ValueError, match="line 1"):
        parse_calendar("2025-01-01 holiday\n")
    assert parse_calendar("# only a comment\n") == Calendar()


@pytest.mark.parametrize("today", [date(2025, 3, 5), date(2025, 3, 12), date(2025, 3, 20), date(2025, 5, 6)])
def test_totals_kept_on_the_case_row_give_the_same_view_as_the_pauses(today):
    from services.review.clock import evaluate_totals
    pauses = [Pause(date(2025, 3, 4), date(2025, 3, 6), "补正"), Pause(date(2025, 3, 10), None, "整改")]
    if today < date(2025, 3, 10):
        pauses = [Pause(date(2025, 3, 4), min(today, date(2025, 3, 6)), "补正")]
    closed = [p for p in pauses if p.until is not None]
    open_pause = next((p for p in pauses if p.until is None), None)
    closed_days = sum(CAL.working_days_between(p.since, p.until) for p in closed)
    assert evaluate_totals(date(2025, 3, 3), 20, 5, closed_days, open_pause and open_pause.since,
                           open_pause and open_pause.reason, today, CAL) == \
        evaluate(date(2025, 3, 3), 20, 5, pauses, today, CAL)


def test_acceptance_deadline_is_five_working_days_after_receipt_over_national_day():
    # Received Tuesday 09-30: 10-01..10-08 off; 10-09, 10-10, 10-11 (Saturday 调休), 10-13, 10-14.
    assert acceptance_deadline(date(2025, 9, 30), CAL) == date(2025, 10, 14)
    assert not deemed_accepted(date(2025, 9, 30), date(2025, 10, 14), CAL)  # still in time that day
    assert deemed_accepted(date(2025, 9, 30), date(2025, 10, 15), CAL)
    # An ordinary week: received Monday, the fifth working day is the next Monday.
    assert acceptance_deadline(date(2025, 3, 3), CAL) == date(2025, 3, 10)
    # Received on a holiday (a Saturday 网上申报): counting starts with the next working day.
    assert acceptance_deadline(date(2025, 10, 4), CAL) == date(2025, 10, 14)


def test_acceptance_deadline_uses_the_calendar_it_is_given():
    plain = Calendar()
    custom = Calendar(off=frozenset({date(2025, 3, 5)}))
    assert acceptance_deadline(date(2025, 3, 3), plain) == date(2025, 3, 10)
    assert acceptance_deadline(date(2025, 3, 3), custom) == date(2025, 3, 11)


# ---- the library's statutory calendar with the project's file as the override (issue 15 item 1) ----

def test_new_years_day_2027_is_not_a_working_day_although_the_file_ends_in_2026():
    from services.review.clock import HOLIDAYS_FILE

    assert 2027 not in parse_calendar(HOLIDAYS_FILE.read_text(encoding="utf-8")).years
    assert not CAL.is_working_day(date(2027, 1, 1))       # 元旦, a Friday
    assert not CAL.is_working_day(date(2027, 2, 8))       # 春节, a Monday (lunar, computed)
    assert CAL.is_working_day(date(2027, 1, 4))           # a plain Monday


def test_twenty_working_days_from_2026_12_06_skip_new_years_day():
    # Sunday 2026-12-06: 19 working days to Thursday 12-31, 元旦 Friday, weekend, Monday 01-04.
    assert CAL.add_working_days(date(2026, 12, 6), 20) == date(2027, 1, 4)
    assert evaluate(date(2026, 12, 6), 20, 0, [], date(2026, 12, 6), CAL).due_date == date(2027, 1, 4)


def test_the_override_file_wins_for_the_years_it_covers():
    from services.review.clock import YearSchedule

    library = YearSchedule(off=frozenset({date(2027, 1, 1), date(2027, 1, 4)}))
    calendar = parse_calendar("2027-01-04\toff\n2027-01-09\twork\n").with_statutory(lambda year: library)
    assert calendar.is_working_day(date(2027, 1, 1))       # the notice (file) does not give it
    assert not calendar.is_working_day(date(2027, 1, 4))   # the file's day off
    assert calendar.is_working_day(date(2027, 1, 9))       # the file's 调休 Saturday


def test_a_year_the_file_lacks_counts_the_librarys_holidays_only():
    from services.review.clock import YearSchedule

    library = YearSchedule(off=frozenset({date(2028, 1, 3)}), work=frozenset({date(2028, 1, 8)}))
    calendar = parse_calendar("2027-01-04\toff\n").with_statutory(lambda year: library)
    assert not calendar.is_working_day(date(2028, 1, 3))
    assert calendar.is_working_day(date(2028, 1, 8))
    assert calendar.is_working_day(date(2028, 1, 4))


def test_the_file_agrees_with_the_librarys_notices_for_2025_and_2026():
    from datetime import timedelta

    from services.review.clock import HOLIDAYS_FILE, statutory_schedule

    file_only = parse_calendar(HOLIDAYS_FILE.read_text(encoding="utf-8"))
    library_only = Calendar(statutory=statutory_schedule)
    days = [date(2025, 1, 1) + timedelta(days=n) for n in range(730)]
    assert [d for d in days if file_only.is_working_day(d) != library_only.is_working_day(d)] == []


def test_missing_notice_years_warn_about_next_year():
    from services.review.clock import missing_notice_years

    assert missing_notice_years(date(2026, 12, 6), CAL) == [2027]
    covered = parse_calendar("2026-01-01\toff\n2027-01-01\toff\n")
    assert missing_notice_years(date(2026, 12, 6), covered) == []
    assert missing_notice_years(date(2028, 3, 1), covered) == [2028]      # 2029: too early to ask
    assert missing_notice_years(date(2027, 10, 1), covered) == [2028]


# ---- art. 42 counts from 受理; art. 32's window is a separate clock before it (issue 15, item 2) ----
def test_decision_clock_starts_at_acceptance_or_at_receipt_when_deemed():
    from services.review.clock import decision_clock_start

    received, accepted = date(2025, 3, 3), date(2025, 3, 6)
    assert decision_clock_start(received, accepted, deemed=False) == accepted
    assert decision_clock_start(received, date(2025, 3, 11), deemed=True) == received


def test_a_case_awaiting_acceptance_is_reckoned_from_the_end_of_its_window():
    from services.review.clock import awaiting_acceptance, reckoning_start

    received = date(2025, 3, 3)  # a Monday
    window = acceptance_deadline(received, CAL)
    assert window == date(2025, 3, 10)
    assert awaiting_acceptance(False, window) and not awaiting_acceptance(True, None)
    assert not awaiting_acceptance(False, None)  # no 受理 step: receipt is acceptance
    assert reckoning_start(received, window, accepted=False) == window
    assert reckoning_start(date(2025, 3, 5), None, accepted=True) == date(2025, 3, 5)
    # accepted on Wednesday: 20 working days from then, not from Monday's receipt
    assert evaluate(date(2025, 3, 5), 20, 0, [], date(2025, 3, 5), CAL).due_date == date(2025, 4, 2)
    assert evaluate(received, 20, 0, [], received, CAL).due_date == date(2025, 3, 31)
