"""People read Beijing time in pages and mails, whatever zone the servers run in."""

from datetime import UTC, datetime

from services.common.localtime import beijing_time
from services.notify.writer import mail_templates as _mail_templates


def test_beijing_time_from_iso_string_datetime_and_naive_utc():
    assert beijing_time("2026-11-23T16:30:00+00:00") == "2026-11-24 00:30"
    assert beijing_time(datetime(2026, 11, 23, 16, 30, tzinfo=UTC)) == "2026-11-24 00:30"
    assert beijing_time("2026-11-23T16:30:00") == "2026-11-24 00:30"
    assert beijing_time(None) == ""


def test_link_mails_state_the_expiry_in_beijing_time():
    for template in ("verify_email.txt", "reset_password.txt"):
        text = _mail_templates.get_template(template).render(
            contact_name="张三", link="http://x/y", expires_at="2026-11-23T16:30:00+00:00",
            login="91650100228680962Y")
        assert "北京时间 2026-11-24 00:30 前有效" in text, template
        assert "UTC" not in text
