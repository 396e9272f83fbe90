"""Every emitted event is documented in docs/events.md with its version and every field."""

import importlib
import re

import pytest

from services.common.config import PROJECT_ROOT, SERVICE_NAMES

CATALOGUE = (PROJECT_ROOT / "docs" / "events.md").read_text(encoding="utf-8")


def emitted():
    for service in SERVICE_NAMES:
        yield from importlib.import_module(f"services.{service}.events").EMITS


@pytest.mark.parametrize("spec", list(emitted()), ids=lambda s: s.name)
def test_event_is_documented_with_every_field(spec):
    heading = f"### {spec.name} (v{spec.version})"
    assert heading in CATALOGUE, f"{heading} missing from docs/events.md"
    section = CATALOGUE.split(heading, 1)[1].split("\n### ", 1)[0]
    for field in spec.schema().fields:
        assert re.search(rf"\| `{field}` \|", section), f"{spec.name}: field {field} undocumented"


def test_a_service_emits_only_its_own_events():
    for service in SERVICE_NAMES:
        for spec in importlib.import_module(f"services.{service}.events").EMITS:
            assert spec.producer == service, spec.name


def test_the_catalogue_is_not_empty():
    assert list(emitted())
