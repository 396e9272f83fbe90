"""Service errors cross RPC as themselves, with their stable code (docs/contracts.md)."""

from __future__ import annotations

import pytest
from nameko.exceptions import deserialize, serialize

from gateway.errors import error_view
from services.common.errors import (
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    ServiceError,
    ValidationFailed,
)


@pytest.mark.parametrize("error, code", [
    (ValidationFailed.from_fields({"name": [{"code": "required", "message": "必填"}]}), "validation_failed"),
    (Forbidden("没有权限"), "forbidden"),
    (NotFound("不存在"), "not_found"),
    (Conflict("冲突"), "conflict"),
    (InvalidTransition("状态不允许"), "invalid_transition"),
    (Conflict("版本已变化", code="stale_version"), "stale_version"),
])
def test_the_code_survives_the_rpc_round_trip(error: ServiceError, code: str) -> None:
    received = deserialize(serialize(error))
    assert type(received) is type(error)
    assert received.code == code
    assert error_view(received).code == code
    assert received.fields == error.fields
