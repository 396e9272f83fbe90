from datetime import timedelta

from services.notify.domain import mail_backoff, notice_for_account_registered


def test_registration_notice_names_the_enterprise_and_mails_the_contact():
    notice = notice_for_account_registered({"account_id": "a1", "uscc": "91650100228680962Y",
                                            "contact_name": "张三", "email": "z@example.com"})
    assert notice.recipient_id == "a1"
    assert "91650100228680962Y" in notice.body
    assert notice.mail_to == "z@example.com"


def test_mail_backoff_grows_and_is_capped():
    assert mail_backoff(1) == timedelta(seconds=10)
    assert mail_backoff(2) == timedelta(seconds=20)
    assert mail_backoff(3) > mail_backoff(2)
    assert mail_backoff(40) == timedelta(minutes=30)
