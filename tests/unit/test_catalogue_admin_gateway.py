"""业务目录维护's gateway helpers (gateway/views/catalogue_admin.py): the diff query, an uploaded
YAML file read as text, the author name the history shows."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from werkzeug.datastructures import MultiDict

from gateway.views.catalogue_admin import MAX_FILE_BYTES, author_of, diff_query, file_text
from services.common.errors import ValidationFailed


def test_the_diff_query_takes_two_version_numbers():
    assert diff_query(MultiDict({"old": "1", "new": "3"})) == (1, 3)
    for bad in ({"old": "x", "new": "1"}, {"old": "0", "new": "1"}, {"new": "2"}):
        with pytest.raises(ValidationFailed) as refused:
            diff_query(MultiDict(bad))
        assert refused.value.code == "invalid_query"
        assert all(e["code"] == "invalid_query" for errors in refused.value.fields.values() for e in errors)


def storage(data: bytes, name: str = "cip_safety.yaml") -> SimpleNamespace:
    return SimpleNamespace(filename=name, stream=io.BytesIO(data))


def test_an_uploaded_file_is_read_as_utf8_text():
    assert file_text(None) is None
    assert file_text(storage(b"", name="")) is None
    assert file_text(storage("\ufefffamily: 甲\n".encode())) == "family: 甲\n"  # a BOM is dropped
    with pytest.raises(ValidationFailed) as refused:
        file_text(storage("family: 甲".encode("gbk")))
    assert refused.value.fields["file"][0]["code"] == "not_utf8"
    with pytest.raises(ValidationFailed) as large:
        file_text(storage(b"a" * (MAX_FILE_BYTES + 1)))
    assert large.value.fields["file"][0]["code"] == "too_large"


def test_the_author_is_the_accounts_name():
    assert author_of({"contact_name": "目录管理员", "email": "a@example.com"}) == "目录管理员"
    assert author_of({"contact_name": "", "email": "a@example.com"}) == "a@example.com"
    assert author_of({}) == "管理员"
