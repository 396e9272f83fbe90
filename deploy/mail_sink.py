"""SMTP sink for development and tests: every message becomes one .eml file in var/mail.

Run: python -m deploy.mail_sink --host 127.0.0.1 --port 2525 --dir var/mail
(deploy.servers starts it). Tests read what the platform sent with read_mails().
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import signal
import threading
import time
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def mail_dir(config: dict[str, Any]) -> Path:
    return Path(config["var_dir"], "mail")


class MaildirHandler:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        # Envelope addresses go into headers: Bcc recipients are otherwise invisible to tests.
        prefix = (
            f"X-Envelope-From: {envelope.mail_from}\r\n"
            f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        content = envelope.original_content or b""
        # Name sorts by arrival; write to a dot-file then rename so readers never see half a mail.
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.eml"
        tmp = self.directory / f".{name}.tmp"
        with open(tmp, "wb") as handle:
            handle.write(prefix + content)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(self.directory / name)
        return "250 Message accepted for delivery"


def read_mails(config: dict[str, Any]) -> list[EmailMessage]:
    """All received mails, oldest first, parsed so that encoded (e.g. Chinese) headers decode."""
    directory = mail_dir(config)
    if not directory.is_dir():
        return []
    mails = []
    for path in sorted(directory.glob("*.eml")):
        with open(path, "rb") as handle:
            message = email.message_from_binary_file(handle, policy=email.policy.default)
        mails.append(cast(EmailMessage, message))
    return mails


def clear_mails(config: dict[str, Any]) -> None:
    directory = mail_dir(config)
    if directory.is_dir():
        for path in directory.glob("*.eml"):
            path.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True, type=Path)
    args = parser.parse_args()
    controller = Controller(
        MaildirHandler(args.dir),
        hostname=args.host,
        port=args.port,
        enable_SMTPUTF8=True,  # accept UTF-8 addresses/headers as well as RFC 2047 ones
        decode_data=False,
    )
    controller.start()
    print(f"mail sink listening on {args.host}:{args.port}, writing to {args.dir}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.5):  # short waits keep the signal handler responsive
        pass
    controller.stop()
    print("mail sink stopped", flush=True)


if __name__ == "__main__":
    main()
