"""The notify service as the gateway calls it (services/notify/service.py, docs/contracts.md):
messages, to-dos, notices, ratings (好差评) and the dead-letter view."""

from __future__ import annotations

from gateway.clients.base import Actor, Row, ServiceClient


class NotifyClient(ServiceClient):
    service = "notify"

    def list_messages(self, actor: Actor | str) -> Row:
        return self._rpc("list_messages", actor)

    def unread_counts(self, actor: Actor) -> Row:
        return self._rpc("unread_counts", actor)

    def list_todos(self, actor: Actor, include_done: bool = False) -> Row:
        return self._rpc("list_todos", actor, include_done)

    def open_todo(self, actor: Actor, todo_id: str) -> Row:
        return self._rpc("open_todo", actor, todo_id)

    def complete_todo(self, actor: Actor, todo_id: str) -> Row:
        return self._rpc("complete_todo", actor, todo_id)

    def create_rating_token(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("create_rating_token", actor, payload)

    def rating_form(self, token: str) -> Row:
        return self._rpc("rating_form", token)

    def submit_rating(self, token: str, payload: dict, rater_account_id: str | None = None) -> Row:
        return self._rpc("submit_rating", token, payload, rater_account_id)

    def list_notices(self) -> Row:
        return self._rpc("list_notices")

    def get_notice(self, notice_id: str) -> Row:
        return self._rpc("get_notice", notice_id)

    def publish_notice(self, actor: Actor, payload: dict) -> Row:
        return self._rpc("publish_notice", actor, payload)

    def withdraw_notice(self, actor: Actor, notice_id: str) -> Row:
        return self._rpc("withdraw_notice", actor, notice_id)

    def rating_stats(self, actor: Actor) -> Row:
        return self._rpc("rating_stats", actor)

    def get_rating(self, actor: Actor, rating_id: str) -> Row:
        return self._rpc("get_rating", actor, rating_id)

    def dead_letters(self, actor: Actor, limit: int = 20) -> Row:
        return self._rpc("dead_letters", actor, limit)
