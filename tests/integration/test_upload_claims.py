"""Uploads by claim check through the real gateway, broker, services and S3 (services/common/claims.py).

- a 5 MB scan streamed to ``POST /api/v1/uploads`` and claimed by the enterprise's attachment
  route is stored under its final key (the same bytes), and its quarantine object is gone;
- the RPC messages that carried it are small: a queue bound to the RPC exchange beside the
  services' own sees every request the gateway published, and none holds the file;
- the JSON API's inline base64 and a page's multipart form go the same way (claim, small RPC);
- a bad file is refused with the clerk's error and stable code, and its quarantine object removed.
"""

from __future__ import annotations

import base64
import io
import os
import re

import pytest
import requests
from kombu import Connection, Exchange, Queue
from minio.error import S3Error
from PIL import Image
from sqlalchemy import text

from services.common.config import amqp_uri
from services.common.storage import ObjectStore
from tests.support.data import random_resident_id
from tests.support.registration import page_csrf
from tests.support.waiting import wait_for

SMALL_RPC = 16 * 1024  # the largest RPC body any of these calls may have: far below one file


@pytest.fixture(scope="module")
def enterprise(new_active_enterprise):
    http, csrf, account = new_active_enterprise()
    return http, {"X-CSRF-Token": csrf}, account


@pytest.fixture(scope="module")
def staff(gateway, enterprise):
    http, csrf, _ = enterprise
    number = random_resident_id()
    created = http.post(
        gateway + "/api/v1/enterprise/staff",
        headers=csrf,
        json={"category": "electrician", "name": "卫流式", "id_number": number},
    )
    assert created.status_code == 201, created.text
    return {**created.json(), "number": number}


class RpcTap:
    """A queue bound to nameko's RPC exchange for one service's requests: a copy of each."""

    def __init__(self, config: dict, service: str) -> None:
        self.connection = Connection(amqp_uri(config))
        self.queue = Queue(
            f"test-upload-tap-{os.getpid()}",
            Exchange("nameko-rpc", type="topic", durable=True),
            routing_key=f"{service}.*",
            exclusive=True,
            auto_delete=True,
        )
        self.channel = self.connection.channel()
        self.bound = self.queue(self.channel)
        self.bound.declare()

    def bodies(self) -> list[tuple[str, int]]:
        """(routing key, body size) of every request published since the last call."""
        out = []
        while (message := self.bound.get(no_ack=True)) is not None:
            out.append((message.delivery_info["routing_key"], len(message.body)))
        return out

    def close(self) -> None:
        self.connection.release()


@pytest.fixture
def tap(running_platform):
    tap = RpcTap(running_platform, "enterprise")
    yield tap
    tap.close()


@pytest.fixture(scope="module")
def store(running_platform):
    return ObjectStore(running_platform)


def big_scan(megabytes: float = 5.0) -> bytes:
    """A one-page 300 DPI colour scan of about ``megabytes`` MB (noise does not compress)."""
    side = int((megabytes * 1024 * 1024 / 1.17) ** 0.5)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(
        out, "PDF", resolution=300, quality=95
    )
    return out.getvalue()


def gone(store: ObjectStore, key: str) -> bool:
    try:
        store.client.stat_object(store.bucket, key)
    except S3Error as exc:
        return exc.code in ("NoSuchKey", "NoSuchObject", "ResourceNotFound")
    return False


def stored_key(engines, attachment_id: str) -> str:
    with engines("enterprise").connect() as conn:
        return conn.execute(
            text("select storage_key from attachments where id = :i"), {"i": attachment_id}
        ).scalar_one()


def rpc_sizes(tap: RpcTap, method: str) -> list[int]:
    sizes: list[int] = []
    wait_for(
        lambda: sizes.extend(n for key, n in tap.bodies() if key == f"enterprise.{method}") or sizes,
        what=f"the tapped enterprise.{method} request",
    )
    return sizes


def test_a_streamed_5mb_scan_is_claimed_stored_and_never_crosses_the_bus(
    gateway, enterprise, staff, store, engines, tap
):
    http, csrf, _ = enterprise
    scan = big_scan()
    assert len(scan) > 4.5 * 1024 * 1024
    staged = http.post(
        gateway + "/api/v1/uploads",
        data=scan,
        headers={**csrf, "Content-Type": "application/pdf", "X-Filename": "%E7%94%B5%E5%B7%A5.pdf"},
    )
    assert staged.status_code == 201, staged.text
    claim = staged.json()
    assert (
        claim["key"].startswith("quarantine/")
        and claim["size"] == len(scan)
        and claim["filename"] == "电工.pdf"
    )
    assert store.get(claim["key"]) == scan

    kept = http.post(
        gateway + "/api/v1/enterprise/attachments",
        headers=csrf,
        json={"purpose": "staff_document", "owner_id": staff["id"], "file": claim},
    )
    assert kept.status_code == 201, kept.text
    key = stored_key(engines, kept.json()["id"])
    assert key.startswith("enterprise/staff_document/") and store.get(key) == scan
    assert gone(store, claim["key"])
    assert max(rpc_sizes(tap, "upload_attachment")) < SMALL_RPC

    again = http.post(
        gateway + "/api/v1/enterprise/attachments",
        headers=csrf,
        json={"purpose": "staff_document", "owner_id": staff["id"], "file": claim},
    )
    assert again.status_code == 422 and again.json()["error"]["fields"]["file"][0]["code"] == "expired"


def test_inline_base64_from_the_api_is_staged_by_the_gateway_and_claimed(
    gateway, enterprise, staff, store, engines, tap
):
    http, csrf, _ = enterprise
    scan = big_scan()
    kept = http.post(
        gateway + "/api/v1/enterprise/attachments",
        headers=csrf,
        json={
            "purpose": "staff_document",
            "owner_id": staff["id"],
            "file": {"filename": "证书.pdf", "content_b64": base64.b64encode(scan).decode()},
        },
    )
    assert kept.status_code == 201, kept.text
    assert store.get(stored_key(engines, kept.json()["id"])) == scan
    assert max(rpc_sizes(tap, "upload_attachment")) < SMALL_RPC


def test_a_page_form_upload_goes_as_a_claim(gateway, enterprise, staff, engines, store, tap):
    http, _, _ = enterprise
    token = page_csrf(http.get(gateway + "/enterprise").text)
    scan = big_scan(3.0)
    edited = http.post(
        gateway + f"/enterprise/staff/{staff['id']}/edit",
        allow_redirects=False,
        data={
            "csrf_token": token,
            "category": "electrician",
            "name": staff["name"],
            "id_type": "resident_id",
            "id_number": staff["number"],
        },
        files={"attachment": ("表单上传.pdf", io.BytesIO(scan), "application/pdf")},
    )
    assert edited.status_code == 303, edited.text
    assert max(rpc_sizes(tap, "upload_attachment")) < SMALL_RPC
    person = http.get(gateway + f"/api/v1/enterprise/staff/{staff['id']}").json()
    row = next(a for a in person["attachments"] if a["filename"] == "表单上传.pdf")
    assert store.get(stored_key(engines, row["id"])) == scan


def test_a_bad_file_is_refused_with_the_clear_error_and_its_quarantine_object_removed(
    gateway, enterprise, staff, store
):
    http, csrf, _ = enterprise
    html = b"<html><script>alert(1)</script></html>" * 1000
    staged = http.post(
        gateway + "/api/v1/uploads",
        data=html,
        headers={**csrf, "Content-Type": "application/pdf", "X-Filename": "scan.pdf"},
    )
    assert staged.status_code == 201, staged.text
    claim = staged.json()
    refused = http.post(
        gateway + "/api/v1/enterprise/attachments",
        headers=csrf,
        json={"purpose": "staff_document", "owner_id": staff["id"], "file": claim},
    )
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]["fields"]["file"][0]
    assert error["code"] == "not_pdf" and re.search(r"文件内容不是PDF文档", error["message"])
    assert gone(store, claim["key"])

    staged = http.post(
        gateway + "/api/v1/uploads", data=html, headers={**csrf, "Content-Type": "application/pdf"}
    )
    forged = {**staged.json(), "size": 3}  # a claim whose size is not the object's
    answer = http.post(
        gateway + "/api/v1/enterprise/attachments",
        headers=csrf,
        json={"purpose": "staff_document", "owner_id": staff["id"], "file": forged},
    )
    assert answer.status_code == 422 and answer.json()["error"]["fields"]["file"][0]["code"] == "invalid"
    assert gone(store, forged["key"])


def test_uploading_needs_a_signed_in_account(gateway):
    answer = requests.post(
        gateway + "/api/v1/uploads", data=b"%PDF-1.4", headers={"Content-Type": "application/pdf"}
    )
    assert answer.status_code == 401
