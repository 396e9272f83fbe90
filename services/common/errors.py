"""Errors that cross the RPC boundary as themselves (not as a bare RemoteError).

nameko serialises an exception's args; registering the class with
``deserialize_to_instance`` makes the caller raise the same class again, so the
gateway's one error table can map it to an HTTP status and a stable code.
"""

from __future__ import annotations

import uuid

from nameko.exceptions import deserialize_to_instance

FieldErrors = dict[str, list[dict[str, str]]]


@deserialize_to_instance
class ServiceError(Exception):
    """Base of every expected, user-facing service error."""

    code = "service_error"

    def __init__(self, message: str, fields: FieldErrors | None = None, code: str | None = None) -> None:
        # All three travel as args, so the caller rebuilds the same error on its side. No code
        # travels as "" (nameko's serialiser turns None into the string "None").
        super().__init__(message, fields or {}, code or "")
        self.message = message
        self.fields: FieldErrors = fields or {}
        if code:
            self.code = code

    def __str__(self) -> str:
        return self.message


@deserialize_to_instance
class ValidationFailed(ServiceError):
    code = "validation_failed"

    @classmethod
    def from_fields(cls, fields: FieldErrors) -> ValidationFailed:
        return cls("提交的信息有误，请按提示修改。", fields)


@deserialize_to_instance
class Unauthenticated(ServiceError):
    """Not signed in, or the credentials were refused; ``code`` says which."""

    code = "unauthenticated"


@deserialize_to_instance
class NotFound(ServiceError):
    code = "not_found"


@deserialize_to_instance
class Forbidden(ServiceError):
    code = "forbidden"


@deserialize_to_instance
class Conflict(ServiceError):
    code = "conflict"


@deserialize_to_instance
class InvalidTransition(ServiceError):
    code = "invalid_transition"


@deserialize_to_instance
class Busy(ServiceError):
    """The service is saturated (e.g. its render queue is full): try again shortly."""

    code = "busy"


@deserialize_to_instance
class TooManyAttempts(ServiceError):
    """Too many attempts from one client or on one account (identity's login rate limit):
    HTTP 429 with ``Retry-After: retry_after`` seconds."""

    code = "too_many_attempts"

    def __init__(self, message: str, fields: FieldErrors | None = None, code: str | None = None,
                 retry_after: int = 60) -> None:
        super().__init__(message, fields, code)
        self.retry_after = int(retry_after)
        self.args = (*self.args, self.retry_after)  # travels over RPC with the other three


EXPECTED_ERRORS = (ServiceError,)


def field_error(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def uuid_or_not_found(value: object, message: str) -> uuid.UUID:
    """Parse an id from a caller; a malformed one is simply 'not found'."""
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise NotFound(message) from exc
