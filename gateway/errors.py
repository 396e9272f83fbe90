"""The one error table: service error → HTTP status, stable code, Chinese message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.rpc import ServiceUnavailable
from services.common.errors import (
    Busy,
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    ServiceError,
    TooManyAttempts,
    Unauthenticated,
    ValidationFailed,
)


@dataclass(frozen=True)
class ErrorView:
    status: int
    code: str
    message: str
    fields: dict


# Most specific first.
ERROR_TABLE: list[tuple[type[BaseException], int, str | None]] = [
    (ValidationFailed, 422, None),
    (Unauthenticated, 401, None),
    (NotFound, 404, None),
    (Forbidden, 403, None),
    (InvalidTransition, 409, None),
    (Conflict, 409, None),
    (Busy, 503, None),
    (TooManyAttempts, 429, None),  # identity's login rate limit; Retry-After: gateway/app.py
    (ServiceError, 400, None),
    (ServiceUnavailable, 503, "服务暂时不可用，请稍后再试。您填写的内容没有丢失，可返回后重新提交。"),
]
# Stable API codes for refusals the gateway makes itself (any other HTTP error is http_<status>).
HTTP_CODES = {413: "request_too_large", 422: "invalid_query"}
INTERNAL_ERROR = ErrorView(500, "internal_error", "系统出现错误，请稍后再试。如问题持续，请联系管理员。", {})


def error_view(exc: BaseException) -> ErrorView:
    for cls, status, message in ERROR_TABLE:
        if isinstance(exc, cls):
            code = getattr(exc, "code", None) or "service_unavailable"
            if isinstance(exc, ServiceUnavailable):
                code = "service_unavailable"
            fields = getattr(exc, "fields", {}) or {}
            return ErrorView(status, code, message or str(exc), fields)
    return INTERNAL_ERROR


def with_retry_after(response: Any, exc: BaseException) -> Any:
    """A refusal that says when to try again (TooManyAttempts: the rate limit's window; Busy:
    a second) carries it as ``Retry-After`` (RFC 9110 §10.2.3)."""
    if isinstance(exc, TooManyAttempts):
        response.headers["Retry-After"] = str(max(1, exc.retry_after))
    elif isinstance(exc, Busy):
        response.headers["Retry-After"] = "1"
    return response
