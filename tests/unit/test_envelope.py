import pytest
from marshmallow import Schema, fields

from services.common.envelope import MalformedEvent, make_envelope, parse_envelope


class Data(Schema):
    account_id = fields.UUID(required=True)


def test_envelope_round_trip():
    envelope = make_envelope("identity", "enterprise_account_registered", 1,
                             {"account_id": "7b0f3f3e-8c52-4c8e-9a52-2d1f0f6f0f10"})
    parsed = parse_envelope(envelope, Data(), expected_version=1)
    assert str(parsed["id"]) == envelope["id"]
    assert parsed["occurred_at"].tzinfo is not None
    assert str(parsed["data"]["account_id"]) == "7b0f3f3e-8c52-4c8e-9a52-2d1f0f6f0f10"


@pytest.mark.parametrize("mutate", [
    lambda e: e.pop("id"),
    lambda e: e.update(id="not-a-uuid"),
    lambda e: e.update(version=0),
    lambda e: e.update(type="Bad Type"),
    lambda e: e.update(occurred_at="yesterday"),
    lambda e: e.update(data={"account_id": "nope"}),
])
def test_malformed_envelopes_are_refused(mutate):
    envelope = make_envelope("identity", "x_happened", 1,
                             {"account_id": "7b0f3f3e-8c52-4c8e-9a52-2d1f0f6f0f10"})
    mutate(envelope)
    with pytest.raises(MalformedEvent):
        parse_envelope(envelope, Data())


def test_unknown_version_is_refused():
    envelope = make_envelope("identity", "x_happened", 2, {})
    with pytest.raises(MalformedEvent):
        parse_envelope(envelope, expected_version=1)


def test_non_object_body_is_refused():
    with pytest.raises(MalformedEvent):
        parse_envelope("just a string")
