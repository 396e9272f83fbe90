"""The common ObjectStore against the real SeaweedFS S3 server."""

from datetime import timedelta
from urllib.parse import unquote

import pytest
import requests
from minio.error import S3Error

from services.common.storage import ObjectStore


@pytest.fixture(scope="module")
def store(config):
    return ObjectStore(config)


def test_put_get_delete_with_server_generated_key(store):
    data = b"%PDF-1.4\n% test attachment\n"
    key = store.put("identity/licences", data, "application/pdf")
    assert key.startswith("identity/licences/") and len(key.rsplit("/", 1)[1]) == 32
    assert store.get(key) == data
    store.delete(key)
    with pytest.raises(S3Error):
        store.get(key)


def test_download_url_names_the_file_in_chinese(store):
    key = store.put("identity/licences", b"%PDF-1.4\n", "application/pdf")
    url = store.download_url(key, "营业执照（副本）.pdf", expires=timedelta(minutes=1))
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == "营业执照（副本）.pdf"


def test_tampered_signature_is_refused(store):
    key = store.put("identity/licences", b"%PDF-1.4\n", "application/pdf")
    url = store.download_url(key, "a.pdf")
    signature = url.split("X-Amz-Signature=", 1)[1].split("&", 1)[0]
    forged = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    assert requests.get(url.replace(signature, forged), timeout=10).status_code == 403
