"""The bodies of messages, to-dos and ratings (/api/v1/messages, /todos, /ratings, /notify)."""

from __future__ import annotations

from marshmallow import fields, validate

from gateway.apischemas.account import MOBILE
from gateway.apischemas.common import ApiSchema, schema, strings
from services.common.contracts.ratings import RATING_REASONS

# null: no link / not read yet
Message = schema("Message", {**strings("id", "title", "body", "created_at"),
                             **strings("link", "read_at", nullable=True)})


class MessageList(ApiSchema):
    messages = fields.List(fields.Nested(Message))
    unread = fields.Integer()
    todos_open = fields.Integer()


class NotifyCounts(ApiSchema):
    messages = fields.Integer()
    todos = fields.Integer()


# null: not given / not read / not done yet
Todo = schema("Todo", {**strings("id", "kind", "title", "created_at"),
                       **strings("subject_ref", "body", "link", "due_date", "read_at", "done_at",
                                 "done_reason", nullable=True)})


class TodoList(ApiSchema):
    todos = fields.List(fields.Nested(Todo))
    open = fields.Integer()


class Rating(ApiSchema):
    score = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    reasons = fields.List(fields.String(validate=validate.OneOf(list(RATING_REASONS))))
    comment = fields.String(validate=validate.Length(max=500))
    mobile = fields.String(required=True, validate=MOBILE)
