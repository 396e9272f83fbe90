"""Small HTTP helpers shared by the gateway's views."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from services.common.errors import ValidationFailed, field_error
from services.common.localtime import beijing_time


class LoginRequired(Exception):
    """Raised by a view that needs a signed-in account: a redirect for pages, 401 for the API."""

    def __init__(self, message: str = "请先登录") -> None:
        super().__init__(message)
        self.message = message


class Redirect(Exception):
    """Send the browser elsewhere (303), e.g. to 修改密码 when a password must be changed."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def json_response(body: Any, status: int) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    mimetype="application/json")


def json_body(request: Request) -> dict[str, Any] | None:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return None
    refuse_control_characters(_strings_of(payload))
    return payload


NUL_MESSAGE = "内容含有不允许的控制字符，请删除后重新提交"


def refuse_control_characters(items: Iterable[tuple[str, str]]) -> None:
    """A NUL byte anywhere in a parameter, form field or JSON string is a 422 with a stable code:
    PostgreSQL refuses NUL in text, which would otherwise surface as a 500."""
    bad = sorted({name for name, value in items if "\x00" in value})
    if bad:
        raise ValidationFailed(NUL_MESSAGE, {name or "_": [field_error("invalid_characters", NUL_MESSAGE)]
                                             for name in bad})


def _strings_of(value: Any, name: str = "") -> Iterator[tuple[str, str]]:
    """(top-level field name, string) for every key and string inside a JSON value."""
    if isinstance(value, str):
        yield name, value
    elif isinstance(value, dict):
        for key, item in value.items():
            field = name or str(key)
            yield field, str(key)
            yield from _strings_of(item, field)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_of(item, name)


DEFAULT_MAX_REQUEST_BYTES = 29 * 1024 * 1024


def bound_body(request: Request, limit: int) -> None:
    """Refuse a body over ``limit`` bytes before reading it (413, ``request_too_large``).

    A declared Content-Length over the limit is refused at once, nothing read. A chunked body
    (no Content-Length) is read through :class:`BoundedInput`, which raises 413 as soon as
    more than ``limit`` bytes arrived; Werkzeug is told it may read it (``wsgi.input_terminated``,
    which eventlet.wsgi does not set; without it a chunked body would be read as empty). Werkzeug's
    own ``max_content_length`` is not used for this: its LimitedStream stops at the limit without
    an error, so a cut-off body would be parsed as if it were whole. Whatever the client still
    sends after the refusal is drained by eventlet in 16 KiB pieces and dropped, never held.
    """
    declared = request.environ.get("CONTENT_LENGTH")
    if declared:
        try:
            length = int(declared)
        except ValueError as exc:
            raise BadRequest() from exc
        if length < 0:
            raise BadRequest()
        if length > limit:
            raise RequestEntityTooLarge()
    elif "chunked" in request.environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        request.environ["wsgi.input"] = BoundedInput(request.environ["wsgi.input"], limit)
        request.environ["wsgi.input_terminated"] = True


class BoundedInput:
    """A WSGI input that raises RequestEntityTooLarge once more than ``limit`` bytes were read."""

    def __init__(self, stream: Any, limit: int) -> None:
        self._stream = stream
        self._left = limit

    def _count(self, chunk: bytes) -> bytes:
        self._left -= len(chunk)
        if self._left < 0:
            raise RequestEntityTooLarge()
        return chunk

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self._left + 1  # never more than one byte past the limit into memory
        return self._count(self._stream.read(min(size, self._left + 1)))

    def readline(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self._left + 1
        return self._count(self._stream.readline(min(size, self._left + 1)))

    def __iter__(self) -> Iterator[bytes]:
        while True:
            line = self.readline(64 * 1024)
            if not line:
                return
            yield line


def too_large_message(limit: int) -> str:
    return f"请求内容超过{limit // (1024 * 1024)}MB上限，请压缩文件或分次上传"


INVALID_JSON = {"error": {"code": "invalid_json", "message": "请求体必须是 JSON 对象"}}


local_time = beijing_time  # the templates' filter name


def client_ip(request: Request) -> str:
    # The gateway is the edge: remote_addr is the client (behind a proxy, configure ProxyFix).
    return request.remote_addr or "unknown"
