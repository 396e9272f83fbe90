"""Small HTTP helpers shared by the gateway's views."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

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
    return payload if isinstance(payload, dict) else None


INVALID_JSON = {"error": {"code": "invalid_json", "message": "请求体必须是 JSON 对象"}}


local_time = beijing_time  # the templates' filter name


def client_ip(request: Request) -> str:
    # The gateway is the edge: remote_addr is the client (behind a proxy, configure ProxyFix).
    return request.remote_addr or "unknown"
