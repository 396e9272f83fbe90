"""Fakes the unit tiers share: object storage, and a unit of work over background-job rows
(services/common/jobs.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class FakeObjectStore:
    """services/common/storage.py's ObjectStore over a dict: server-made keys, fake URLs."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, prefix: str, data: bytes, content_type: str) -> str:
        key = f"{prefix}/{uuid.uuid4()}"
        self.objects[key] = data
        return key

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def download_url(self, key: str, filename: str) -> str:
        return f"https://s3.test/{key}?name={filename}"


class FakeJobs:
    """A unit of work (``begin``: ``.session.get``, ``.commit()``) over job rows by id; ``seen``
    holds every commit's (status, done, total) of each row, ``locked`` whether each read locked."""

    def __init__(self, *rows: Any) -> None:
        self.rows: dict[Any, Any] = {row.id: row for row in rows}
        self.seen: list[tuple[str, int, int]] = []
        self.locked: list[bool] = []

    def add(self, row: Any) -> Any:
        self.rows[row.id] = row
        return row

    def get(self, model: type, key: Any, with_for_update: bool = False) -> Any:
        self.locked.append(with_for_update)
        return self.rows.get(key)

    @contextmanager
    def begin(self) -> Iterator[Any]:
        store = self

        class Uow:
            session = store

            def commit(self) -> None:
                store.seen += [(row.status, row.done, row.total) for row in store.rows.values()]

        yield Uow()
