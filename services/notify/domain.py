"""What notify says about each event: plain Python, unit-tested."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

MAX_MAIL_BACKOFF = timedelta(minutes=30)


@dataclass(frozen=True)
class Notice:
    recipient_id: str
    title: str
    body: str
    link: str | None
    mail_to: str | None
    mail_template: str | None


def notice_for_account_registered(data: dict[str, Any]) -> Notice:
    return Notice(
        recipient_id=str(data["account_id"]),
        title="企业账号注册成功",
        body=(f"{data['contact_name']}，您好！统一社会信用代码为 {data['uscc']} 的企业账号已创建。"
              "请完成邮箱验证后登录，继续填写企业信息。"),
        link="/messages",
        mail_to=data["email"],
        mail_template="account_registered.txt",
    )


def mail_backoff(attempts: int) -> timedelta:
    """Exponential back-off for a failed send: 10 s, 20 s, 40 s … capped at 30 minutes."""
    return min(timedelta(seconds=10 * 2 ** max(attempts - 1, 0)), MAX_MAIL_BACKOFF)
