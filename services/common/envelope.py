"""The event envelope every event carries: id, type, version, occurred_at, producer, data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
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


@dataclass(frozen=True)
class EventSpec:
    """One event type in the catalogue (docs/events.md): who emits it, its version, its data."""

    producer: str
    type: str
    version: int
    schema: type[Schema]
    description: str

    @property
    def name(self) -> str:
        return f"{self.producer}.{self.type}"

    def instance(self) -> Schema:
        """The data schema, built once per schema class (a marshmallow schema keeps no state
        between dumps and loads; building one costs more than a small dump)."""
        schema = _SCHEMAS.get(self.schema)
        if schema is None:
            schema = _SCHEMAS[self.schema] = self.schema()
        return schema

    def serialise(self, data: dict[str, Any]) -> dict[str, Any]:
        """Dump data through the schema and check it: an event never leaves malformed."""
        schema = self.instance()
        payload = schema.dump(data)
        errors = schema.validate(payload)
        if errors:
            raise ValueError(f"{self.name} v{self.version} data does not match its schema: {errors}")
        return payload

    def parse(self, body: Any) -> dict[str, Any]:
        return parse_envelope(body, self.instance(), expected_version=self.version)


_SCHEMAS: dict[type[Schema], Schema] = {}


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
