"""/documents/<source>/<id>: the owning service decides (its 404 stays a 404), the gateway only
streams the file it was given a link for, inline for PDFs and images, framed by its own pages only."""

from __future__ import annotations

import pytest
from werkzeug.test import Client

from gateway.app import GatewayApp
from gateway.views import documents
from services.common.errors import NotFound
from tests.unit.test_gateway_app import FakeRpc, MemorySessions, account, sign_in_as

PDF = b"%PDF-1.7\n" + b"x" * 100


class FakeUpstream:
    def __init__(self, body: bytes, status: int = 200) -> None:
        self.body, self.status_code, self.closed = body, status, False
        self.headers = {"Content-Length": str(len(body))}

    def iter_content(self, size: int):
        yield from (self.body[i:i + size] for i in range(0, len(self.body), size))

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def rpc():
    fake = FakeRpc()
    fake.behaviour[("identity", "session_account")] = lambda account_id: account(
        account_id, kind="reviewer", level="city", region_code="150100")
    return fake


@pytest.fixture
def fetched(monkeypatch):
    seen: list[str] = []

    def get(url, stream, timeout):
        seen.append(url)
        return FakeUpstream(PDF)

    monkeypatch.setattr(documents.requests, "get", get)
    return seen


@pytest.fixture
def client(rpc):
    return Client(GatewayApp(rpc, MemorySessions(), {"gateway": {}}))


def test_a_pdf_is_served_inline_same_origin_after_the_owner_service_says_yes(client, rpc, fetched):
    rpc.behaviour[("permits", "attachment_url")] = lambda actor, aid: {
        "url": f"http://s3.local/{aid}?sig", "filename": "安全生产许可证申报表.pdf",
        "content_type": "application/pdf"}
    sign_in_as(client, "r1")
    response = client.get("/documents/permits/f1")
    assert response.status_code == 200 and response.get_data() == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline; filename=")
    assert "filename*=UTF-8''%E5%AE%89" in response.headers["Content-Disposition"]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert fetched == ["http://s3.local/f1?sig"]
    ((_, _, (actor, aid), _),) = [c for c in rpc.calls if c[1] == "attachment_url"]
    assert aid == "f1" and actor["kind"] == "reviewer" and actor["region_code"] == "150100"
    download = client.get("/documents/permits/f1?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment; ")


def test_a_refusal_is_the_services_404_and_nothing_is_fetched(client, rpc, fetched):
    rpc.behaviour[("personnel", "attachment_url")] = NotFound("附件不存在")
    sign_in_as(client, "r1")
    assert client.get("/documents/personnel/x1").status_code == 404
    assert client.get("/documents/nowhere/x1").status_code == 404
    assert fetched == []


def test_signed_out_visitors_are_sent_to_login(client, fetched):
    response = client.get("/documents/permits/f1")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    assert fetched == []


@pytest.mark.parametrize(("content_type", "inline"), [
    ("application/pdf", True), ("image/png", True), ("image/jpeg", True),
    ("text/html", False), ("application/octet-stream", False)])
def test_only_pdfs_and_images_are_inline(content_type, inline):
    assert documents.disposition("a.x", content_type, False).startswith("inline" if inline else "attachment")


def test_case_documents_keep_each_file_with_its_owner_and_open_the_form_first():
    case = {"producer": "identity", "attachments": [
        {"id": "b1", "label": "营业执照", "filename": "执照.pdf", "sha256": "a"},
        {"id": "b2", "label": "法人身份证", "filename": "身份证.png", "sha256": "b"}],
        "rectifications": [{"evidence": [{"id": "e1", "label": "整改", "filename": "整改.pdf"}]}]}
    found = documents.case_documents(case)
    assert [(d["source"], d["id"], d["kind"]) for d in found["items"]] == [
        ("enterprise", "b1", "pdf"), ("enterprise", "b2", "image"), ("review", "e1", "pdf")]
    assert found["viewer"]["id"] == "b1"
    form_first = documents.case_documents({"producer": "permits", "attachments": [
        {"id": "m1", "label": "安全管理制度", "filename": "制度.pdf"},
        {"id": "s1", "label": "签章申报表扫描件", "filename": "签章.pdf"},
        {"id": "f1", "label": "建筑施工企业安全生产许可证申请表", "filename": "申请表.pdf"}]})
    assert form_first["viewer"]["id"] == "f1"
    assert documents.case_documents({"producer": "unknown", "attachments": [{"id": "z"}]}) == {
        "items": [], "viewer": None}
