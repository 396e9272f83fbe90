"""Small HTTP helpers shared by the gateway's views."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

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


INVALID_JSON = {"error": {"code": "invalid_json", "message": "请求体必须是 JSON 对象"}}


local_time = beijing_time  # the templates' filter name


def client_ip(request: Request) -> str:
    # The gateway is the edge: remote_addr is the client (behind a proxy, configure ProxyFix).
    return request.remote_addr or "unknown"
