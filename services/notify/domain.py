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
    # Links that are credentials (verify, reset) go by mail only, not into 我的消息.
    show_message: bool = True


def notice_for_account_registered(data: dict[str, Any]) -> Notice:
    return Notice(
        recipient_id=str(data["account_id"]),
        title="企业账号注册成功",
        body=(f"{data['contact_name']}，您好！统一社会信用代码为 {data['uscc']} 的企业账号已创建。"
              "验证邮件已发送到注册邮箱，请完成邮箱验证后登录，继续填写企业信息。"),
        link="/messages",
        mail_to=data["email"],
        mail_template="account_registered.txt",
    )


def mail_backoff(attempts: int) -> timedelta:
    """Exponential back-off for a failed send: 10 s, 20 s, 40 s … capped at 30 minutes."""
    return min(timedelta(seconds=10 * 2 ** max(attempts - 1, 0)), MAX_MAIL_BACKOFF)


def notice_for_verification_link(data: dict[str, Any]) -> Notice:
    return Notice(
        recipient_id=str(data["account_id"]),
        title="请验证您的注册邮箱",
        body="验证邮件已发送到您的注册邮箱，请点击邮件中的链接完成验证（24小时内有效）。",
        link=None,
        mail_to=data["email"],
        mail_template="verify_email.txt",
        show_message=False,
    )


def notice_for_password_reset(data: dict[str, Any]) -> Notice:
    return Notice(
        recipient_id=str(data["account_id"]),
        title="重置密码",
        body="我们收到了重置密码的申请，重置链接已发送到您的邮箱（30分钟内有效）。如非本人操作，请忽略。",
        link=None,
        mail_to=data["email"],
        mail_template="reset_password.txt",
        show_message=False,
    )


STATUS_NOTICES = {
    "pending_review": ("邮箱验证成功，注册信息待审核", "您的邮箱已验证，注册信息已提交审核，请耐心等待。"),
    "active": ("账号已可以使用", "您的账号已通过审核（或验证），现在可以登录办理业务。"),
    "rejected": ("注册审核不通过",
                 "您的注册未通过审核。原因：{reason}。请登录后点击“前往修改”，按驳回原因修改后重新提交。"),
    "disabled": ("账号已停用", "您的账号已被停用，如有疑问请联系管理员。"),
}


def notice_for_status_change(data: dict[str, Any]) -> Notice | None:
    """Only the statuses a person needs to hear about get a message (and a mail for decisions)."""
    entry = STATUS_NOTICES.get(data["status"])
    if entry is None or data["kind"] not in ("enterprise", "sub"):
        return None
    title, body = entry
    return Notice(
        recipient_id=str(data["account_id"]),
        title=title,
        body=body.format(reason=data.get("reason") or "未说明"),
        link="/account",
        mail_to=None,
        mail_template=None,
    )
