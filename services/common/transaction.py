"""One transaction of a service's use cases (wraps services.common.database.UnitOfWork): the
outbox, idempotent claims, the audit trail, savepoints; ``flush`` / ``commit`` answer a row
whose version moved on meanwhile (SQLAlchemy's StaleDataError) with ``Conflict`` code
``stale_version`` in the service's own words. A service subclasses it to add its repositories
(services/permits/usecases/_support.py, services/personnel/usecases/_support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

from sqlalchemy.orm.exc import StaleDataError

from services.common import audit
from services.common.errors import Conflict

T = TypeVar("T", bound="ServiceTx")


class ServiceTx:
    stale_message = "该记录已被他人修改（或在另一窗口中已办理），请刷新页面后重试。"

    def __init__(self, uow: Any) -> None:
        self._uow = uow

    @property
    def session(self) -> Any:
        """The SQLAlchemy session, for rule modules and read models that query on their own."""
        return self._uow.session

    def add_event(self, spec: Any, data: dict[str, Any]) -> dict[str, Any]:
        return self._uow.add_event(spec, data)

    def claim_event(self, event_id: str, consumer: str) -> bool:
        return self._uow.claim_event(event_id, consumer)

    def audit(self, action: str, **detail: Any) -> None:
        audit.record(self._uow.session, action, **detail)

    def nested(self) -> AbstractContextManager[Any]:
        """A savepoint: an IntegrityError inside it rolls back only what it holds."""
        return self._uow.session.begin_nested()

    def expunge(self, row: object) -> None:
        self._uow.session.expunge(row)

    def delete(self, row: object) -> None:
        self._uow.session.delete(row)

    def rollback(self) -> None:
        self._uow.session.rollback()

    def flush(self) -> None:
        """Write pending changes now; a row whose version moved on meanwhile is a Conflict."""
        try:
            self._uow.session.flush()
        except StaleDataError as exc:
            raise Conflict(self.stale_message, code="stale_version") from exc

    def commit(self) -> None:
        try:
            self._uow.commit()
        except StaleDataError as exc:
            raise Conflict(self.stale_message, code="stale_version") from exc


@contextmanager
def begin(db: Any, tx: type[T]) -> Iterator[T]:
    """A use case's ``deps.begin()`` over the service's Database provider."""
    with db.unit_of_work() as uow:
        yield tx(uow)
