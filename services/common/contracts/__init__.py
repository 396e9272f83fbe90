"""Contracts between services: the event specs, schemas and vocabularies that more than one
service (or the gateway) uses. A service imports another service's words only from here, never
from that service's package (tests/unit/test_import_rules.py enforces it)."""
