"""Check and store an uploaded file, the same way in every service (docs/contracts.md → Attachments).

The gateway passes a claim check ``{"filename", "key", "size", "sha256", "content_type"}``: the
file itself waits in object storage under the quarantine prefix (services/common/claims.py).
The owning service reads it back, checks the content (``services.common.uploads``: it is the
trust boundary), moves it to a server-generated key (``store_upload``) or deletes it when
refused, and keeps the metadata (original name, size, type, SHA-256, check report) in its own
attachments table, whose common columns come from :class:`AttachmentColumns`. The inline form
``{"filename", "content_b64"}`` remains for a service's own generated files.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import JSON, BigInteger, DateTime, String, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from services.common import claims
from services.common.errors import ValidationFailed, field_error
from services.common.uploads import (
    MB,
    UploadRejected,
    check_image,
    check_pdf,
    sniff_content_type,
)

PDF, IMAGE = "pdf", "image"
MAX_FILENAME = 200
# base64 of a 10 MB PDF, with room for padding
MAX_B64_CHARS = (10 * MB * 4) // 3 + 16


MAX_UPLOAD_BYTES = 10 * MB
TOO_LARGE_MESSAGE = "文件超过10MB上限，请压缩后重新上传"


class Store(Protocol):
    def put(self, prefix: str, data: bytes, content_type: str) -> str: ...
    def move(self, key: str, prefix: str, content_type: str) -> str: ...


@dataclass
class CheckedUpload:
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    report: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    data: bytes = b""
    claim_key: str | None = None  # the quarantine object holding ``data`` (claim-checked uploads)


def _reject(field_name: str, code: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, {field_name: [field_error(code, message)]})


def clean_filename(name: object) -> str:
    text = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if ch.isprintable()).strip()
    return (text or "附件")[-MAX_FILENAME:]


def decode_upload(upload: object, field_name: str, store: Any = None) -> tuple[str, bytes]:
    """(clean name, bytes) of an upload: a claim is read back from quarantine (``store``, else
    this process's), the inline form decoded."""
    if isinstance(upload, dict) and upload.get("unreadable"):
        raise _reject(field_name, "invalid", claims.UNREADABLE_MESSAGE)
    if claims.is_claim(upload):
        assert isinstance(upload, dict)
        data = claims.fetch_claimed(store or claims.default_store(), upload, field_name, MAX_UPLOAD_BYTES,
                                    TOO_LARGE_MESSAGE)
        return clean_filename(upload.get("filename")), data
    if not isinstance(upload, dict) or not upload.get("content_b64"):
        raise _reject(field_name, "required", "请选择要上传的文件")
    encoded = upload["content_b64"]
    if not isinstance(encoded, str) or len(encoded) > MAX_B64_CHARS:
        raise _reject(field_name, "too_large", TOO_LARGE_MESSAGE)
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _reject(field_name, "invalid", "文件内容无法读取，请重新上传") from exc
    return clean_filename(upload.get("filename")), data


def _report_dict(report: object) -> dict[str, Any]:
    raw = asdict(report)  # type: ignore[call-overload]
    images = raw.pop("images", None) or []
    raw["image_count"] = len(images)
    return raw


# The extensions a stored name may carry for each content type: the name, the type and the
# bytes agree (a PNG renamed .pdf is refused, whatever the slot takes).
EXTENSIONS = {"application/pdf": (".pdf",), "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
              "image/png": (".png",)}
_IMAGE_EXTENSIONS = {*EXTENSIONS["image/jpeg"], *EXTENSIONS["image/png"]}
_CONTENT_LABELS = {"application/pdf": "PDF文档", "image/jpeg": "JPG图片", "image/png": "PNG图片"}
# What follows the last dot is taken for an extension when it looks like one (a letter, then up
# to four letters or digits): "营业执照.PNG" has one, "营业执照v1.2" has none.
_EXTENSION = re.compile(r"\.([A-Za-z][A-Za-z0-9]{0,4})$")


def slot_label(kinds: tuple[str, ...]) -> str:
    """What a slot takes, for the clerk: 'PDF文件', 'JPG、PNG图片' or both."""
    labels = [label for kind, label in ((PDF, "PDF文件"), (IMAGE, "JPG、PNG图片")) if kind in kinds]
    return "或".join(labels) or "PDF文件"


def agreeing_name(filename: str, content_type: str, kinds: tuple[str, ...], field_name: str) -> str:
    """The stored name for checked content: refused when its extension names another type
    (an image named .pdf, a PDF named .jpg, anything named .html); the right extension is added
    when the name has none, and put in place of the other image's between JPG and PNG."""
    allowed = EXTENSIONS[content_type]
    match = _EXTENSION.search(filename)
    if match is None:
        return (filename[: MAX_FILENAME - len(allowed[0])] + allowed[0])
    if match.group(0).lower() in allowed:
        return filename
    if content_type.startswith("image/") and match.group(0).lower() in _IMAGE_EXTENSIONS:
        # A PNG saved as .jpg (phones and chat apps do it) is the same kind of file: the stored
        # name gets the extension of what it is.
        return filename[: match.start()] + allowed[0]
    found = _CONTENT_LABELS[content_type]
    message = (f"文件扩展名“{match.group(0)}”与文件内容（{found}）不符，本项请上传{slot_label(kinds)}；"
               f"请按文件的实际格式上传，不要只修改扩展名")
    raise _reject(field_name, "type_mismatch", message)


def _check_content(data: bytes, kinds: tuple[str, ...]) -> Any:
    sniffed = sniff_content_type(data) if data else None
    if IMAGE in kinds and sniffed in ("image/jpeg", "image/png"):
        return check_image(data)
    if PDF not in kinds:
        return check_image(data)
    if IMAGE in kinds and data and sniffed is None:
        try:
            return check_pdf(data)
        except UploadRejected as exc:
            if exc.code != "not_pdf":
                raise
            raise UploadRejected("not_pdf", exc.message.replace("请上传PDF格式的文件",
                                                                  f"本项请上传{slot_label(kinds)}")) from exc
    return check_pdf(data)


def check_upload(upload: object, field_name: str, kinds: tuple[str, ...] = (PDF,),
                 store: Any = None) -> CheckedUpload:
    """Read and check an upload by its bytes; ValidationFailed on the field when refused (a
    refused claim's quarantine object is deleted).

    One check for every upload surface: the content must be of a kind the slot takes (PDF and/or
    JPG/PNG), a PDF must carry no active content (``uploads.check_pdf``), and the stored name's
    extension must agree with the content (``type_mismatch``; added when missing).
    """
    filename, data = decode_upload(upload, field_name, store)
    try:
        try:
            report = _check_content(data, kinds)
        except UploadRejected as exc:
            raise _reject(field_name, exc.code, exc.message) from exc
        filename = agreeing_name(filename, report.content_type, kinds, field_name)
    except ValidationFailed:
        claims.discard(store or claims.default_store(), upload)
        raise
    claim_key = str(upload["key"]) if claims.is_claim(upload) else None  # type: ignore[index]
    return CheckedUpload(filename=filename, content_type=report.content_type, size_bytes=len(data),
                         sha256=hashlib.sha256(data).hexdigest(), report=_report_dict(report),
                         warnings=list(report.warnings), data=data, claim_key=claim_key)


def store_upload(store: Store, prefix: str, checked: CheckedUpload) -> str:
    """Keep the checked file under a server-generated key; returns the key. A claim-checked file
    is moved there inside the store (copy, then the quarantine object deleted)."""
    if checked.claim_key:
        return store.move(checked.claim_key, prefix, checked.content_type)
    return store.put(prefix, checked.data, checked.content_type)


def metadata(checked: CheckedUpload, key: str) -> dict[str, Any]:
    """The columns of AttachmentColumns for a stored upload."""
    return {"filename": checked.filename, "content_type": checked.content_type,
            "size_bytes": checked.size_bytes, "sha256": checked.sha256, "storage_key": key,
            "report": {**checked.report, "warnings": checked.warnings}}


class AttachmentColumns:
    """Columns every service's attachments table has (mix into a declarative model)."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    filename: Mapped[str] = mapped_column(String(MAX_FILENAME))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    report: Mapped[dict] = mapped_column(JSON, default=dict)
    uploaded_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def attachment_view(row: Any) -> dict[str, Any]:
    report = row.report or {}
    return {"id": str(row.id), "filename": row.filename, "content_type": row.content_type,
            "size_bytes": row.size_bytes, "sha256": row.sha256,
            "pages": report.get("pages"), "min_dpi": report.get("min_dpi"),
            "is_colour": report.get("is_colour"), "warnings": list(report.get("warnings") or []),
            "created_at": row.created_at.isoformat() if row.created_at else None}


def read_transient(upload: object, field_name: str = "file", store: Any = None) -> bytes:
    """The bytes of an upload that is read, not kept (an Excel sheet to import): a claim is read
    back and its quarantine object deleted; the inline form decoded, b"" when it is not base64."""
    if claims.is_claim(upload):
        assert isinstance(upload, dict)
        store = store or claims.default_store()
        try:
            return claims.fetch_claimed(store, upload, field_name, MAX_UPLOAD_BYTES, TOO_LARGE_MESSAGE)
        finally:
            claims.discard(store, upload)
    encoded = upload.get("content_b64") if isinstance(upload, dict) else None
    try:
        return base64.b64decode(str(encoded or ""), validate=True)
    except (binascii.Error, ValueError):
        return b""
