"""The agency event stream: a public, versioned view of the domain events agencies care about.

An explicit allowlist: only the types below are forwarded, each through its own public
schema, so a field that is not declared here (an e-mail, a link, a password, an ID number)
never leaves. Every agency event has its own envelope (docs/agency.md) with a sequence per
entity, and goes out through notify's outbox to the topic exchange ``qlp.agency``.
Plain Python (no nameko, no SQLAlchemy): unit-tested directly.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

EXCHANGE = "qlp.agency"
# notify's outbox publishes to notify.events; qlp.agency is bound to it for these keys.
ROUTING_PREFIX = "agency"
BINDING_KEY = f"{ROUTING_PREFIX}.#"


class _Public(Schema):
    class Meta:
        unknown = EXCLUDE
        ordered = True


class EnterpriseRegistered(_Public):
    enterprise_id = fields.String(required=True)
    uscc = fields.String(required=True)
    name = fields.String(allow_none=True, load_default=None)
    region_code = fields.String(allow_none=True, load_default=None)


class EnterpriseChanged(_Public):
    enterprise_id = fields.String(required=True)
    uscc = fields.String(allow_none=True, load_default=None)
    name = fields.String(allow_none=True, load_default=None)
    records_version = fields.Integer(required=True)
    sections = fields.List(fields.String(), required=True)


class ApplicationSubmitted(_Public):
    application_id = fields.String(required=True)
    enterprise_id = fields.String(required=True)
    type_code = fields.String(required=True)
    submitted_at = fields.String(required=True)


class ApplicationDecided(_Public):
    application_id = fields.String(required=True)
    enterprise_id = fields.String(required=True)
    type_code = fields.String(allow_none=True, load_default=None)
    decision = fields.String(required=True, validate=validate.OneOf(["approved", "rejected"]))
    decided_at = fields.String(required=True)


class Licence(_Public):
    licence_id = fields.String(required=True)
    enterprise_id = fields.String(required=True)
    number = fields.String(required=True)
    type_code = fields.String(required=True)
    status = fields.String(required=True)
    valid_until = fields.String(allow_none=True, load_default=None)


class Certificate(_Public):
    certificate_id = fields.String(required=True)
    enterprise_id = fields.String(required=True)
    number = fields.String(required=True)
    kind = fields.String(required=True)
    valid_until = fields.String(allow_none=True, load_default=None)


class CertificateTransferred(_Public):
    certificate_id = fields.String(required=True)
    from_enterprise_id = fields.String(required=True)
    to_enterprise_id = fields.String(required=True)
    number = fields.String(required=True)
    kind = fields.String(required=True)


@dataclass(frozen=True)
class AgencyType:
    type: str
    version: int
    schema: type[Schema]
    entity_key: str
    description: str

    @property
    def routing_key(self) -> str:
        return f"{ROUTING_PREFIX}.{self.type}.v{self.version}"


ALLOWLIST: dict[str, AgencyType] = {t.type: t for t in (
    AgencyType("enterprise.registered", 1, EnterpriseRegistered, "enterprise_id",
               "An enterprise's registration was approved: it may now apply."),
    AgencyType("enterprise.changed", 1, EnterpriseChanged, "enterprise_id",
               "An enterprise's records changed (which sections, new records version)."),
    AgencyType("application.submitted", 1, ApplicationSubmitted, "application_id",
               "An application for a qualification or licence was submitted."),
    AgencyType("application.decided", 1, ApplicationDecided, "application_id",
               "An application was approved or rejected."),
    AgencyType("licence.issued", 1, Licence, "licence_id", "A licence was issued."),
    AgencyType("licence.changed", 1, Licence, "licence_id", "A licence's content changed."),
    AgencyType("licence.suspended", 1, Licence, "licence_id", "A licence was suspended."),
    AgencyType("licence.revoked", 1, Licence, "licence_id", "A licence was revoked."),
    AgencyType("licence.cancelled", 1, Licence, "licence_id", "A licence was cancelled."),
    AgencyType("certificate.issued", 1, Certificate, "certificate_id",
               "A professional certificate was issued to a person of an enterprise."),
    AgencyType("certificate.transferred", 1, CertificateTransferred, "certificate_id",
               "A certificate moved from one enterprise to another."),
    AgencyType("certificate.cancelled", 1, Certificate, "certificate_id", "A certificate was cancelled."),
)}

# Never forwarded whatever a producer puts in its data: belt and braces beside the schemas.
FORBIDDEN_FIELDS = ("link", "password", "email", "token", "secret", "id_number", "mobile")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def public_data(agency_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """The public payload of one allowlisted type: declared fields only, plain JSON values."""
    spec = ALLOWLIST[agency_type]  # KeyError: not on the allowlist, never forwarded
    loaded = spec.schema().load({k: _plain(v) for k, v in data.items()})
    for key in loaded:
        if any(word in key for word in FORBIDDEN_FIELDS):
            raise ValueError(f"{agency_type}: field {key} may not be forwarded")
    return loaded


def envelope(agency_type: str, data: dict[str, Any], sequence: int, occurred_at: str) -> dict[str, Any]:
    """The agency envelope: id, type, version, occurred_at, entity_id, sequence, data."""
    spec = ALLOWLIST[agency_type]
    payload = public_data(agency_type, data)
    return {
        "id": str(uuid.uuid4()),
        "type": spec.type,
        "version": spec.version,
        "occurred_at": occurred_at,
        "entity_id": str(payload[spec.entity_key]),
        "sequence": sequence,
        "data": payload,
    }


def entity_id(agency_type: str, data: dict[str, Any]) -> str:
    return str(_plain(data[ALLOWLIST[agency_type].entity_key]))


_JSON_TYPES = {fields.String: "string", fields.Integer: "integer", fields.List: "array"}


def json_schema(agency_type: str) -> dict[str, Any]:
    """The JSON schema of one agency event (envelope + data), as published in docs/agency.md."""
    spec = ALLOWLIST[agency_type]
    properties: dict[str, Any] = {}
    required = []
    for name, field_ in spec.schema().fields.items():
        kind = next((v for k, v in _JSON_TYPES.items() if isinstance(field_, k)), "string")
        prop: dict[str, Any] = {"type": [kind, "null"] if field_.allow_none else kind}
        if kind == "array":
            prop["items"] = {"type": "string"}
        if isinstance(field_.validate, validate.OneOf):
            prop["enum"] = list(field_.validate.choices)
        properties[name] = prop
        if field_.required:
            required.append(name)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"qlp.agency/{spec.type}/v{spec.version}",
        "type": "object",
        "required": ["id", "type", "version", "occurred_at", "entity_id", "sequence", "data"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "type": {"const": spec.type},
            "version": {"const": spec.version},
            "occurred_at": {"type": "string", "format": "date-time"},
            "entity_id": {"type": "string"},
            "sequence": {"type": "integer", "minimum": 1},
            "data": {"type": "object", "additionalProperties": False, "required": required,
                     "properties": properties},
        },
        "additionalProperties": False,
    }
