"""Marshmallow schemas for notify's RPC results."""

from __future__ import annotations

from marshmallow import Schema, fields


class MessageSchema(Schema):
    id = fields.UUID()
    title = fields.String()
    body = fields.String()
    link = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)
