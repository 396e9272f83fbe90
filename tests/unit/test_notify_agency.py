"""The agency stream's allowlist, public schemas and envelope."""

import uuid
from datetime import date

import pytest

from services.notify import agency

LICENCE = {"licence_id": uuid.uuid4(), "enterprise_id": uuid.uuid4(), "number": "承装5-1-00001",
           "type_code": "pfl.power", "status": "valid", "valid_until": date(2030, 1, 31),
           "link": "http://x/reset?token=secret", "email": "a@example.com", "items": [{"x": 1}]}


def test_only_declared_fields_leave_and_values_are_plain_json():
    data = agency.public_data("licence.issued", LICENCE)
    assert set(data) == {"licence_id", "enterprise_id", "number", "type_code", "status", "valid_until"}
    assert data["valid_until"] == "2030-01-31" and data["licence_id"] == str(LICENCE["licence_id"])


def test_a_type_not_on_the_allowlist_is_never_forwarded():
    with pytest.raises(KeyError):
        agency.public_data("account_email_verification_requested", {"link": "x"})
    assert all("verification" not in t and "password" not in t for t in agency.ALLOWLIST)


def test_no_public_schema_declares_a_sensitive_field():
    for spec in agency.ALLOWLIST.values():
        for name in spec.schema().fields:
            assert not any(word in name for word in agency.FORBIDDEN_FIELDS), (spec.type, name)


def test_envelope_carries_entity_and_sequence():
    env = agency.envelope("licence.suspended", LICENCE, 3, "2026-11-23T08:00:00+00:00")
    assert env["type"] == "licence.suspended" and env["version"] == 1
    assert env["entity_id"] == str(LICENCE["licence_id"]) and env["sequence"] == 3
    assert set(env) == {"id", "type", "version", "occurred_at", "entity_id", "sequence", "data"}
    assert agency.ALLOWLIST["licence.suspended"].routing_key == "agency.licence.suspended.v1"


def test_json_schema_per_type_lists_required_fields():
    schema = agency.json_schema("certificate.transferred")
    data = schema["properties"]["data"]
    assert data["additionalProperties"] is False
    assert {"certificate_id", "from_enterprise_id", "to_enterprise_id"} <= set(data["required"])


def test_missing_required_field_is_refused():
    with pytest.raises(Exception):  # noqa: B017 - marshmallow's ValidationError
        agency.public_data("enterprise.registered", {"enterprise_id": "e"})


def test_docs_agency_md_shows_the_schema_of_every_type():
    import json

    from services.common.config import PROJECT_ROOT

    page = (PROJECT_ROOT / "docs" / "agency.md").read_text(encoding="utf-8")
    for agency_type, spec in agency.ALLOWLIST.items():
        heading = f"### {agency_type} (v{spec.version})"
        assert heading in page, heading
        section = page.split(heading, 1)[1]
        block = section.split("```json", 1)[1].split("```", 1)[0]
        assert json.loads(block) == agency.json_schema(agency_type), agency_type
