"""The security refusals through the real gateway (eventlet.wsgi), bus, services and S3:

- uploads: a PDF with JavaScript and a PNG renamed .pdf are refused by the one content check on
  the enterprise's record attachments and on personnel's photo and declaration attachments,
  with the stable field codes ``active_content`` / ``type_mismatch`` and nothing stored;
- request bodies over the limit are a 413 ``request_too_large`` whether declared by
  Content-Length or sent chunked, and the gateway still answers afterwards.
"""

from __future__ import annotations

import base64
import io
import socket
from urllib.parse import urlsplit

import pytest
import requests
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject
from sqlalchemy import text

from tests.support.data import random_mobile, random_resident_id
from tests.support.enterprise import scan_pdf


@pytest.fixture(scope="module")
def enterprise(new_active_enterprise):
    http, csrf, account = new_active_enterprise()
    return http, {"X-CSRF-Token": csrf}, account


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def javascript_pdf() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(scan_pdf())))
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), (67, 142, 219)).save(out, "PNG")
    return out.getvalue()


def field_code(response: requests.Response, field: str) -> str:
    assert response.status_code == 422, response.text
    return response.json()["error"]["fields"][field][0]["code"]


def test_active_pdfs_and_renamed_images_are_refused_on_every_surface(gateway, enterprise, engines):
    http, csrf, account = enterprise
    staff = http.post(gateway + "/api/v1/enterprise/staff", headers=csrf,
                      json={"category": "electrician", "name": "冯十一", "id_number": random_resident_id()})
    assert staff.status_code == 201, staff.text
    attach = gateway + "/api/v1/enterprise/attachments"

    def enterprise_upload(name: str, data: bytes) -> requests.Response:
        return http.post(attach, headers=csrf, json={
            "purpose": "staff_document", "owner_id": staff.json()["id"],
            "file": {"filename": name, "content_b64": b64(data)}})

    refused = enterprise_upload("证书.pdf", javascript_pdf())
    assert field_code(refused, "file") == "active_content"
    assert "JavaScript" in refused.json()["error"]["fields"]["file"][0]["message"]
    assert field_code(enterprise_upload("证书.pdf", png()), "file") == "type_mismatch"
    assert enterprise_upload("证书.pdf", scan_pdf()).status_code == 201

    api = gateway + "/api/v1/personnel"
    person = http.post(api + "/people", headers=csrf, json={
        "name": "郑安全", "id_type": "resident_id", "id_number": random_resident_id(),
        "mobile": random_mobile()})
    assert person.status_code == 201, person.text
    photo = api + f"/people/{person.json()['id']}/photo"
    renamed = http.post(photo, headers=csrf, json={"filename": "照片.pdf", "content_b64": b64(png())})
    assert field_code(renamed, "photo") == "type_mismatch"
    assert http.post(photo, headers=csrf, json={"filename": "照片.png", "content_b64": b64(png())}
                     ).status_code == 200

    declaration = http.post(api + "/declarations", headers=csrf, json={
        "type_code": "safety", "kind": "new", "person_id": person.json()["id"], "form": {"class_code": "C2"}})
    assert declaration.status_code == 201, declaration.text
    code = declaration.json()["required_attachments"][0]["code"]
    material = api + f"/declarations/{declaration.json()['id']}/attachments/{code}"
    active = http.post(material, headers=csrf,
                       json={"filename": "材料.pdf", "content_b64": b64(javascript_pdf())})
    assert field_code(active, code) == "active_content"

    with engines("enterprise").connect() as conn:
        names = conn.execute(text("select filename from attachments where owner_id = :o"),
                             {"o": staff.json()["id"]}).scalars().all()
    assert names == ["证书.pdf"]  # only the clean scan was stored


def raw_request(gateway: str, head: bytes, body_chunks: list[bytes]) -> bytes:
    """Send a request by hand (chunked bodies need it) and return the answer, head and body.

    The connection stays open (keep-alive): eventlet drains what the gateway did not read, so
    every chunk is sent and the answer waits in the socket whatever the timing."""
    parts = urlsplit(gateway)
    with socket.create_connection((parts.hostname, parts.port), timeout=120) as sock:
        sock.sendall(head)
        for chunk in body_chunks:
            sock.sendall(chunk)
        reply = b""
        while b"\r\n\r\n" not in reply:
            reply += sock.recv(65536)
        headers = reply.split(b"\r\n\r\n", 1)[0].lower()
        length = int(headers.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
        while len(reply.split(b"\r\n\r\n", 1)[1]) < length:
            reply += sock.recv(65536)
        return reply


def test_bodies_over_the_limit_are_refused_declared_or_chunked(gateway, running_platform):
    limit = running_platform["gateway"]["max_request_bytes"]
    big = b"a" * (limit + 1024 * 1024)
    declared = requests.post(gateway + "/api/v1/session", data=big,
                             headers={"Content-Type": "application/json"})
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "request_too_large"
    assert "上限" in declared.json()["error"]["message"]

    host = urlsplit(gateway).netloc.encode()
    piece = b"b" * (1024 * 1024)
    chunks = [b"%x\r\n" % len(piece) + piece + b"\r\n"] * (limit // len(piece) + 2) + [b"0\r\n\r\n"]
    reply = raw_request(gateway, b"POST /api/v1/session HTTP/1.1\r\nHost: " + host +
                        b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n", chunks)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert b'"code": "request_too_large"' in reply

    small = requests.post(gateway + "/api/v1/session", json={"login": "nobody", "password": "x"})
    assert small.status_code in (401, 422), small.text  # the gateway is still serving


def test_filters_headers_and_form_csrf_through_the_real_gateway(gateway, enterprise):
    http, csrf, _ = enterprise
    injected = http.get(gateway + "/api/v1/permits/applications", params={"state_group": "' OR '1'='1"})
    assert injected.status_code == 422, injected.text
    assert injected.json()["error"]["code"] == "invalid_query"
    assert injected.json()["error"]["fields"]["state_group"][0]["code"] == "invalid_query"
    listed = http.get(gateway + "/api/v1/permits/applications", params={"state_group": "pending"})
    assert listed.status_code == 200

    page = http.get(gateway + "/enterprise")
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert injected.headers["Content-Security-Policy"].startswith("default-src 'none'")

    forged = http.post(gateway + "/enterprise", data={"current_address": "伪造的地址"}, allow_redirects=False)
    assert forged.status_code == 403 and "页面已过期" in forged.text
    assert http.get(gateway + "/api/v1/enterprise").json()["current_address"] != "伪造的地址"
