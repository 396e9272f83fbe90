"""Documents opened in the page: ``/documents/<source>/<attachment id>`` serves a file from the
service that keeps it, same-origin, inline (the browser's PDF viewer, images as images), or as a
download with ``?download=1``.

The gateway decides nothing about access: it asks the owning service for the file's link
(``<service>.attachment_url(actor, id)``), which applies the case rule and audits a refusal
(services/common/jurisdiction.py; docs/contracts.md, "Case documents"); a refusal is the
service's 404. Only then does the gateway fetch the object from S3 and stream it through.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests
from werkzeug.exceptions import NotFound
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from gateway.rpc import ServiceUnavailable
from services.common.storage import content_disposition

# URL source → the service that keeps the file and answers attachment_url for it.
SOURCES = {"permits": "permits", "personnel": "personnel", "enterprise": "enterprise", "review": "review"}
# A case's producer → where its revision's files live (identity's registration scans are
# step 2 of registration, kept by enterprise).
PRODUCER_SOURCES = {"permits": "permits", "personnel": "personnel", "enterprise": "enterprise",
                    "identity": "enterprise", "review": "review"}
INLINE_TYPES = ("application/pdf", "image/png", "image/jpeg")
CHUNK = 64 * 1024
FETCH_TIMEOUT_SECONDS = 30


def document_kind(filename: str) -> str:
    """pdf, image or other, from the stored name (uploads are checked to match their content)."""
    name = (filename or "").lower()
    if name.endswith(".pdf"):
        return "pdf"
    if name.endswith((".png", ".jpg", ".jpeg")):
        return "image"
    return "other"


def document_url(source: str, attachment_id: str, download: bool = False) -> str:
    return f"/documents/{source}/{attachment_id}" + ("?download=1" if download else "")


def case_documents(case: dict[str, Any]) -> dict[str, Any]:
    """Every file of a case as the page lists it, and the one the viewer opens first (the
    申报表/申请表 if there is one, else the first PDF or image): ``{"items": [...], "viewer": item}``.

    The submitted revision's files live with the case's producer (``stored``: review keeps the
    file itself, a 自查 material); 整改 evidence is review's."""
    producer_source = PRODUCER_SOURCES.get(str(case.get("producer") or ""))
    items: list[dict[str, Any]] = []
    for a in case.get("attachments") or []:
        source = "review" if a.get("stored") else producer_source
        if source is None or not a.get("id"):
            continue
        items.append(_item(source, a, str(a.get("label") or "附件")))
    for r in case.get("rectifications") or []:
        for e in r.get("evidence") or []:
            items.append(_item("review", e, f"整改材料：{e.get('label') or e.get('filename')}"))
    viewable = [i for i in items if i["kind"] in ("pdf", "image")]
    form = [i for i in viewable if i["kind"] == "pdf" and _is_form(i["label"])]
    return {"items": items, "viewer": (form or viewable or [None])[0]}


def _is_form(label: str) -> bool:
    """The generated 申报表 / 申请表 itself (not its signed scan, 签章申报表扫描件)."""
    return ("申报表" in label or "申请表" in label) and "扫描" not in label


def _item(source: str, attachment: dict[str, Any], label: str) -> dict[str, Any]:
    aid = str(attachment["id"])
    filename = str(attachment.get("filename") or "")
    return {"id": aid, "source": source, "label": label, "filename": filename,
            "kind": document_kind(filename), "sha256": attachment.get("sha256") or "",
            "url": document_url(source, aid), "download_url": document_url(source, aid, download=True)}


def disposition(filename: str, content_type: str, download: bool) -> str:
    """inline for what the browser shows safely (PDF, PNG, JPEG), attachment for the rest."""
    header = content_disposition(filename or "file")
    if download or content_type not in INLINE_TYPES:
        return header
    return "inline" + header[len("attachment"):]


class DocumentViews:
    ROUTES = [Rule("/documents/<source>/<attachment_id>", endpoint="document", methods=["GET"])]

    def on_document(self, request: Request, source: str, attachment_id: str) -> Response:
        service = SOURCES.get(source)
        if service is None:
            raise NotFound()
        actor = self.actor_for_rpc(request)  # type: ignore[attr-defined]
        link = self.clients(request).of(service).attachment_url(actor, attachment_id)  # type: ignore[attr-defined]
        content_type = str(link.get("content_type") or "application/octet-stream")
        try:
            upstream = requests.get(link["url"], stream=True, timeout=FETCH_TIMEOUT_SECONDS)
        except requests.RequestException as exc:
            raise ServiceUnavailable("s3", "文件存储暂时不可用") from exc
        if upstream.status_code != 200:
            upstream.close()
            raise ServiceUnavailable("s3", "文件存储暂时不可用")
        headers = {
            "Content-Disposition": disposition(str(link.get("filename") or ""), content_type,
                                               request.args.get("download") == "1"),
            # Shown in this platform's own pages only (the case page's viewer), never elsewhere.
            "X-Frame-Options": "SAMEORIGIN",
            "Content-Security-Policy": "frame-ancestors 'self'",
            "Cache-Control": "private, no-store",
        }
        if upstream.headers.get("Content-Length"):
            headers["Content-Length"] = upstream.headers["Content-Length"]
        return Response(_stream(upstream), status=200, content_type=content_type, headers=headers,
                        direct_passthrough=True)


def _stream(upstream: requests.Response) -> Iterator[bytes]:
    try:
        yield from upstream.iter_content(CHUNK)
    finally:
        upstream.close()
