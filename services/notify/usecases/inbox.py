"""我的消息 / 我的待办: the reader's messages and to-dos."""

from __future__ import annotations

from datetime import UTC, datetime

from services.common import audit
from services.common.errors import Conflict, NotFound, uuid_or_not_found
from services.notify.repository import TodoRepository, mark_read, read_counts, read_inbox
from services.notify.schemas import MessageSchema, TodoSchema
from services.notify.usecases._support import Deps, _audience

# Built once: a schema's construction costs more than dumping a few messages with it.
MESSAGES = MessageSchema(many=True)


def list_messages(deps: Deps, actor: dict | str) -> dict:
    """The actor's messages (newest first) and how many were unread; they are read now.

    The read path of every 我的消息 page (docs/benchmarks.md "Read path profile"): one
    statement for the list and both counts, and an UPDATE only when something was unread."""
    audience = _audience(actor)
    with deps.read() as connection:
        rows, unread, todos_open = read_inbox(connection, audience)
        result = {"messages": MESSAGES.dump([row._mapping for row in rows]), "unread": unread,
                  "todos_open": todos_open}
        mark_read(connection, [row.id for row in rows if row.read_at is None])
        return result


def unread_counts(deps: Deps, actor: dict) -> dict:
    """The header badges: unread messages and open to-dos (one statement, no transaction)."""
    audience = _audience(actor)
    with deps.read() as connection:
        messages, todos = read_counts(connection, audience)
        return {"messages": messages, "todos": todos}


def list_todos(deps: Deps, actor: dict, include_done: bool = False) -> dict:
    audience = _audience(actor)
    with deps.begin() as uow:
        todos = TodoRepository(uow.session)
        return {"todos": TodoSchema(many=True).dump(todos.for_audience(audience, bool(include_done))),
                "open": todos.open_count(audience)}


def open_todo(deps: Deps, actor: dict, todo_id: str) -> dict:
    """One to-do of the actor's (marked read); NotFound for anyone else's."""
    key = uuid_or_not_found(todo_id, "待办事项不存在")
    with deps.begin() as uow:
        todo = TodoRepository(uow.session).get_visible(key, _audience(actor))
        if todo is None:
            raise NotFound("待办事项不存在")
        if todo.read_at is None:
            todo.read_at = datetime.now(UTC)
        result = TodoSchema().dump(todo)
        uow.commit()
        return result


def complete_todo(deps: Deps, actor: dict, todo_id: str) -> dict:
    """An admin closes a follow-up (差评回访); other to-dos end when their case moves on."""
    key = uuid_or_not_found(todo_id, "待办事项不存在")
    with deps.begin() as uow:
        todo = TodoRepository(uow.session).get_visible(key, _audience(actor))
        if todo is None:
            raise NotFound("待办事项不存在")
        if todo.kind != "follow_up":
            raise Conflict("该待办在业务办理后自动完成，无需手动关闭", code="todo_not_manual")
        if todo.done_at is None:
            todo.done_at = datetime.now(UTC)
            todo.done_reason = "followed_up"
            audit.record(uow.session, "notify.todo_done", actor_id=actor["id"], subject_id=str(todo.id),
                         kind=todo.kind, reason="followed_up")
        result = TodoSchema().dump(todo)
        uow.commit()
        return result
