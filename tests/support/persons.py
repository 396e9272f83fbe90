"""Person accounts (个人用户) for integration tests: registered and e-mail-verified through the
real identity and notify (the link read from the SMTP sink), with the actor personnel takes."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

from deploy.mail_sink import read_mails
from services.common.access import actor_from_account
from tests.support.data import person_registration
from tests.support.waiting import wait_for

VERIFY_SUBJECT = "请验证您的注册邮箱"


def mail_link(config: dict[str, Any], email: str, subject: str = VERIFY_SUBJECT) -> str:
    """The link in the newest mail to ``email`` with ``subject`` (waits for notify to send it)."""
    mails = wait_for(lambda: [m for m in read_mails(config) if m["To"] == email and m["Subject"] == subject],
                     what=f"the mail “{subject}” to {email}")
    return re.search(r"http://\S+\?token=\S+", mails[-1].get_content()).group(0)


def verified_person(cluster: Any, config: dict[str, Any], **overrides: str) -> dict[str, Any]:
    """Register a person over RPC and verify the e-mail: the registration data plus
    ``account`` (identity's session account) and ``actor`` (docs/contracts.md, kind person)."""
    data = {**person_registration(), **overrides}
    cluster.identity.register_person(data)
    token = parse_qs(urlparse(mail_link(config, data["email"])).query)["token"][0]
    account = cluster.identity.verify_email(token)
    return {**data, "account": account, "actor": actor_from_account(account)}
