"""Verification links from the profile's mail sink (one .eml file per mail, var/load/mail), read
incrementally: each file is parsed once however many users wait for theirs."""

from __future__ import annotations

import email
import email.policy
import re
import threading
from pathlib import Path

LINK = re.compile(r"http://\S+/verify-email\?token=\S+")
VERIFY_SUBJECT = "请验证您的注册邮箱"


class MailIndex:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.seen: set[str] = set()
        self.links: dict[str, str] = {}
        self._lock = threading.Lock()

    def refresh(self) -> None:
        if not self.directory.is_dir():
            return
        with self._lock:
            for path in sorted(self.directory.glob("*.eml")):
                if path.name in self.seen:
                    continue
                self.seen.add(path.name)
                try:
                    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                except OSError:
                    continue
                if message["Subject"] != VERIFY_SUBJECT:
                    continue
                body = message.get_body(preferencelist=("plain", "html"))
                found = LINK.search(body.get_content() if body else "")
                if found:
                    self.links[str(message["To"])] = found.group(0)

    def link_for(self, address: str) -> str | None:
        if address not in self.links:
            self.refresh()
        return self.links.get(address)
