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


def test_a_transfer_to_do_goes_to_the_enterprise_that_decides():
    from services.notify.domain import effects_of_transfer_requested

    base = {"transfer_id": "t1", "certificate_id": "c1", "holder_name": "王五",
            "from_enterprise_id": "old", "to_enterprise_id": "new"}
    incoming = effects_of_transfer_requested({**base, "awaiting_enterprise_id": "new"}).todos[0]
    assert incoming.recipient.account_id == "new" and incoming.title == "人员调入确认：王五"
    outgoing = effects_of_transfer_requested({**base, "awaiting_enterprise_id": "old"}).todos[0]
    assert outgoing.recipient.account_id == "old" and outgoing.title == "人员调出确认：王五"
    older_event = effects_of_transfer_requested(base).todos[0]  # no awaiting_enterprise_id
    assert older_event.recipient.account_id == "old"
