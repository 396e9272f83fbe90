"""``Background()``: a nameko DependencyProvider whose value ``spawn(work, *args)`` runs
``work(*args)`` in a green thread the service container manages (killed with the container),
after the RPC that asked for it has answered. An exception escaping ``work`` is logged here:
escaping a managed thread it would stop the whole container. Used by the register's exports
and the admin imports (services/common/import_jobs.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from nameko.extensions import DependencyProvider

log = logging.getLogger(__name__)


class Background(DependencyProvider):
    def spawn(self, work: Callable[..., Any], *args: Any) -> None:
        def guarded() -> None:
            try:
                work(*args)
            except Exception:
                log.exception("background work %s failed", getattr(work, "__name__", work))

        self.container.spawn_managed_thread(guarded, identifier=getattr(work, "__name__", None))

    def get_dependency(self, worker_ctx: Any) -> Callable[..., None]:
        return self.spawn
