"""The JSON API's bodies as marshmallow schemas, one module per area: what gateway/openapi.py
turns into the OpenAPI document's components (the services validate with their own schemas;
the gateway may not import them)."""
