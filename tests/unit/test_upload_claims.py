"""The upload claim check's pure parts (services/common/claims.py, gateway/uploads.py): staging
with hashing, the services' read-back and its refusals, the gateway's inline-to-claim step,
the sweep, the schema, and the API's streamed upload route. Integration:
tests/integration/test_upload_claims.py."""

from __future__ import annotations

import base64
import hashlib
import io
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.test import Client, EnvironBuilder
from werkzeug.wrappers import Request

from gateway.app import GatewayApp
from gateway.uploads import MemoryStore, inline_to_claims, stage_bytes
from gateway.views.forms import uploaded_file
from services.common import claims
from services.common.attachments import PDF, check_upload, read_transient, store_upload
from services.common.errors import ValidationFailed
from services.common.schema_errors import load_or_fail
from tests.support.enterprise import scan_pdf
from tests.unit.test_gateway_app import FakeRpc, MemorySessions, account, sign_in_as


class MovingStore(MemoryStore):
    def move(self, key: str, prefix: str, content_type: str) -> str:
        new_key = self.new_key(prefix)
        data, _, when = self.objects.pop(key)
        self.objects[new_key] = (data, content_type, when)
        return new_key


def field_code(exc: pytest.ExceptionInfo, name: str) -> str:
    return exc.value.fields[name][0]["code"]


def test_hashing_reader_counts_and_hashes_what_passes_and_stops_past_the_limit():
    data = b"x" * 200_000
    reader = claims.HashingReader(io.BytesIO(data))
    assert b"".join(iter(lambda: reader.read(65536), b"")) == data
    assert reader.size == len(data) and reader.sha256 == hashlib.sha256(data).hexdigest()
    bounded = claims.HashingReader(io.BytesIO(data), limit=100_000)
    with pytest.raises(claims.TooLarge):
        while bounded.read(65536):
            pass


def test_stage_puts_the_stream_under_quarantine_and_answers_the_claim():
    store = MemoryStore()
    claim = stage_bytes(store, b"%PDF-1.4 hello", "营业执照.pdf", "application/pdf; charset=x")
    assert claim["key"].startswith("quarantine/") and claims.is_claim(claim)
    assert claim["size"] == 14 and claim["sha256"] == hashlib.sha256(b"%PDF-1.4 hello").hexdigest()
    assert claim["filename"] == "营业执照.pdf" and claim["content_type"] == "application/pdf"
    assert store.objects[claim["key"]][0] == b"%PDF-1.4 hello"


@pytest.mark.parametrize(
    "declared, kept",
    [
        ("image/PNG", "image/png"),
        ("", "application/octet-stream"),
        ("text/html\r\nX: y", "application/octet-stream"),
        (None, "application/octet-stream"),
        ("application/pdf;name=a", "application/pdf"),
    ],
)
def test_declared_content_type_is_kept_only_as_a_plain_type(declared, kept):
    assert claims.safe_content_type(declared) == kept


def test_a_good_claim_is_checked_from_the_store_and_moved_to_its_final_key():
    store = MovingStore()
    pdf = scan_pdf()
    claim = stage_bytes(store, pdf, "营业执照", "application/pdf")
    checked = check_upload(claim, "business_licence", (PDF,), store=store)
    assert checked.claim_key == claim["key"] and checked.filename == "营业执照.pdf"
    assert checked.size_bytes == len(pdf) and checked.sha256 == claim["sha256"]
    key = store_upload(store, "enterprise/business_licence", checked)
    assert key.startswith("enterprise/business_licence/") and claim["key"] not in store.objects
    assert store.objects[key][0] == pdf and store.objects[key][1] == "application/pdf"


def test_a_refused_claim_answers_the_clerks_error_and_its_quarantine_object_is_deleted():
    store = MemoryStore()
    claim = stage_bytes(store, b"<html>not a pdf</html>", "营业执照.pdf", "application/pdf")
    with pytest.raises(ValidationFailed) as refused:
        check_upload(claim, "business_licence", (PDF,), store=store)
    assert field_code(refused, "business_licence") == "not_pdf"
    assert "文件内容不是PDF文档" in refused.value.fields["business_licence"][0]["message"]
    assert store.objects == {}


def test_a_renamed_file_is_refused_as_type_mismatch_and_deleted():
    store = MemoryStore()
    claim = stage_bytes(store, scan_pdf(), "照片.png", "image/png")
    with pytest.raises(ValidationFailed) as refused:
        check_upload(claim, "f", (PDF,), store=store)
    assert field_code(refused, "f") == "type_mismatch" and store.objects == {}


def test_bytes_that_do_not_match_the_claimed_hash_or_size_are_refused_and_deleted():
    store = MemoryStore()
    pdf = scan_pdf()
    claim = stage_bytes(store, pdf, "a.pdf")
    forged = {**claim, "sha256": hashlib.sha256(b"other").hexdigest()}
    with pytest.raises(ValidationFailed) as refused:
        check_upload(forged, "f", store=store)
    assert field_code(refused, "f") == "invalid" and store.objects == {}
    claim = stage_bytes(store, pdf, "a.pdf")
    with pytest.raises(ValidationFailed):
        check_upload({**claim, "size": len(pdf) - 1}, "f", store=store)
    assert store.objects == {}


def test_a_key_outside_quarantine_is_refused_and_never_touched():
    store = MovingStore()
    store.objects["enterprise/business_licence/2026/12/" + "a" * 32] = (
        scan_pdf(),
        "application/pdf",
        datetime.now(UTC),
    )
    kept = dict(store.objects)
    claim = {"filename": "a.pdf", "key": next(iter(kept)), "size": 1, "sha256": "0" * 64}
    with pytest.raises(ValidationFailed) as refused:
        check_upload(claim, "f", store=store)
    assert field_code(refused, "f") == "invalid" and store.objects == kept


def test_a_claim_already_taken_or_swept_answers_expired():
    claim = {"filename": "a.pdf", "key": "quarantine/2026/12/" + "b" * 32, "size": 10, "sha256": "0" * 64}
    with pytest.raises(ValidationFailed) as refused:
        check_upload(claim, "f", store=MemoryStore())
    assert field_code(refused, "f") == "expired"


def test_a_claim_over_the_limit_is_refused_by_its_size_before_it_is_read():
    store = MemoryStore()
    claim = stage_bytes(store, b"%PDF-1.4", "a.pdf")
    with pytest.raises(ValidationFailed) as refused:
        check_upload({**claim, "size": 11 * 1024 * 1024}, "f", store=store)
    assert field_code(refused, "f") == "too_large" and "10MB" in str(refused.value)
    assert store.objects == {}


def test_read_transient_reads_a_claim_once_and_deletes_it():
    store = MemoryStore()
    claim = stage_bytes(store, b"PK\x03\x04sheet", "passes.xlsx")
    assert read_transient(claim, store=store) == b"PK\x03\x04sheet" and store.objects == {}
    assert read_transient({"content_b64": "!!"}) == b""


def test_inline_uploads_become_claims_before_the_rpc_and_everything_else_is_untouched():
    store = MemoryStore()
    pdf = b"%PDF-1.4 body"
    inline = {"filename": "照.pdf", "content_b64": base64.b64encode(pdf).decode()}
    args = (
        {"id": "a"},
        "x",
        {
            "files": {"licence": inline, "empty": {"filename": "", "content_b64": ""}},
            "evidence": [{"label": "l", "filename": "e.pdf", "content_b64": "!!!"}],
        },
    )
    out = inline_to_claims(store, args)
    licence = out[2]["files"]["licence"]
    assert "content_b64" not in licence and licence["size"] == len(pdf)
    assert store.objects[licence["key"]][0] == pdf
    assert out[2]["files"]["empty"] == {"filename": "", "content_b64": ""}
    assert out[2]["evidence"][0] == {"label": "l", "filename": "e.pdf", "unreadable": True}
    assert out[:2] == args[:2]
    plain = ({"a": [1, {"b": 2}]},)
    assert inline_to_claims(store, plain) is plain
    with pytest.raises(ValidationFailed) as refused:
        check_upload(out[2]["evidence"][0], "evidence", store=store)
    assert field_code(refused, "evidence") == "invalid"


def test_the_sweep_removes_only_quarantine_objects_older_than_the_age():
    store = MemoryStore()
    now = datetime.now(UTC)
    old, fresh = stage_bytes(store, b"1", "a")["key"], stage_bytes(store, b"2", "b")["key"]
    store.objects[old] = (b"1", "x", now - timedelta(hours=2))
    store.objects["permits/x/2026/12/" + "c" * 32] = (b"3", "x", now - timedelta(days=3))
    assert claims.sweep_quarantine(store, now) == 1
    assert old not in store.objects and fresh in store.objects and len(store.objects) == 2


def test_upload_schema_takes_a_claim_or_the_inline_form_and_names_what_is_missing():
    claim = {"filename": "a.pdf", "key": "quarantine/2026/12/" + "d" * 32, "size": 3, "sha256": "e" * 64}
    assert load_or_fail(claims.UploadSchema(), claim)["key"] == claim["key"]
    assert load_or_fail(claims.UploadSchema(), {"filename": "a", "content_b64": ""})["content_b64"] == ""
    with pytest.raises(ValidationFailed) as missing:
        load_or_fail(claims.UploadSchema(), {"filename": "a"})
    assert "content_b64" in missing.value.fields
    with pytest.raises(ValidationFailed) as outside:
        load_or_fail(claims.UploadSchema(), {**claim, "key": "permits/signed_scan/2026/12/" + "d" * 32})
    assert "key" in outside.value.fields
    with pytest.raises(ValidationFailed):
        load_or_fail(claims.UploadSchema(), {"filename": "a", "key": claim["key"]})


@pytest.fixture
def app_client():
    rpc = FakeRpc()
    rpc.behaviour[("identity", "session_account")] = lambda account_id: account(account_id)
    return Client(GatewayApp(rpc, MemorySessions(), {"gateway": {}}))


def test_the_api_streams_a_raw_body_into_quarantine_and_answers_the_claim(app_client):
    sign_in_as(app_client)
    pdf = scan_pdf()
    answer = app_client.post(
        "/api/v1/uploads",
        data=pdf,
        content_type="application/pdf",
        headers={"X-CSRF-Token": "t0ken", "X-Filename": "%E8%90%A5%E4%B8%9A.pdf"},
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    claim = answer.get_json()
    assert claim["filename"] == "营业.pdf" and claim["size"] == len(pdf)
    assert claim["sha256"] == hashlib.sha256(pdf).hexdigest() and claim["content_type"] == "application/pdf"
    assert app_client.application.upload_store.objects[claim["key"]][0] == pdf


def test_an_idempotency_key_that_made_the_gateway_read_the_body_first_still_stages_it(
    app_client, monkeypatch
):
    def reads_first(app, request, view):  # what gateway/idempotency.respond does with a key
        request.get_data(parse_form_data=True)
        return view()

    monkeypatch.setattr("gateway.app.idempotency.respond", reads_first)
    sign_in_as(app_client)
    headers = {"X-CSRF-Token": "t0ken", "X-Idempotency-Key": "k-1", "X-Filename": "a.pdf"}
    answer = app_client.post(
        "/api/v1/uploads", data=b"%PDF-1.4 again", content_type="application/pdf", headers=headers
    )
    assert answer.status_code == 201 and answer.get_json()["size"] == len(b"%PDF-1.4 again")


def test_the_api_takes_a_multipart_file_field_too_and_refuses_an_empty_body(app_client):
    sign_in_as(app_client)
    answer = app_client.post(
        "/api/v1/uploads",
        headers={"X-CSRF-Token": "t0ken"},
        data={"file": (io.BytesIO(b"%PDF-1.4 x"), "照片.pdf")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 201 and answer.get_json()["filename"] == "照片.pdf"
    empty = app_client.post(
        "/api/v1/uploads", data=b"", content_type="application/pdf", headers={"X-CSRF-Token": "t0ken"}
    )
    assert empty.status_code == 422 and empty.get_json()["error"]["fields"]["file"][0]["code"] == "required"


def test_the_upload_route_needs_an_account_and_the_csrf_token(app_client):
    assert app_client.post("/api/v1/uploads", data=b"x", content_type="application/pdf").status_code == 401
    sign_in_as(app_client)
    assert app_client.post("/api/v1/uploads", data=b"x", content_type="application/pdf").status_code == 403
    assert app_client.application.upload_store.objects == {}


def test_a_page_upload_over_10mb_is_refused_before_it_is_staged_and_a_small_one_is_staged():
    store = MemoryStore()

    def form_request(data: bytes) -> Request:
        environ = EnvironBuilder(
            method="POST", data={"licence": (io.BytesIO(data), "照.pdf")}, content_type="multipart/form-data"
        ).get_environ()
        request = Request(environ)
        request.upload_store = store
        return request

    with pytest.raises(ValidationFailed) as refused:
        uploaded_file(form_request(b"%PDF-1.4" + b"0" * (10 * 1024 * 1024)), "licence")
    assert field_code(refused, "licence") == "too_large" and store.objects == {}
    claim = uploaded_file(form_request(b"%PDF-1.4 small"), "licence")
    assert claim is not None and store.objects[claim["key"]][0] == b"%PDF-1.4 small"
    assert uploaded_file(form_request(b"x"), "other") is None
