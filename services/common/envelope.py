"""The event envelope every event carries: id, type, version, occurred_at, producer, data."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate


class EnvelopeSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]*$"))
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True, default_timezone=UTC)
    producer = fields.String(required=True, validate=validate.Length(min=1))
    data = fields.Dict(required=True)


class MalformedEvent(Exception):
    """An event that can never be handled: dead-lettered at once, without retries."""


_envelope_schema = EnvelopeSchema()


def make_envelope(producer: str, event_type: str, version: int, data: dict[str, Any]) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "version": version,
        "occurred_at": datetime.now(UTC).isoformat(),
        "producer": producer,
        "data": data,
    }


def parse_envelope(
    body: Any, data_schema: Schema | None = None, expected_version: int | None = None
) -> dict[str, Any]:
    """Validate an incoming envelope (and its data); raise MalformedEvent if it is not one."""
    if not isinstance(body, dict):
        raise MalformedEvent(f"event body is {type(body).__name__}, not an object")
    try:
        envelope = _envelope_schema.load(body)
        if expected_version is not None and envelope["version"] != expected_version:
            raise MalformedEvent(
                f"{envelope['type']} version {envelope['version']} is not {expected_version}"
            )
        if data_schema is not None:
            envelope["data"] = data_schema.load(envelope["data"])
    except ValidationError as exc:
        raise MalformedEvent(f"invalid event: {exc.messages}") from exc
    return envelope
