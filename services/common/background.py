"""``Background()``: a nameko DependencyProvider whose value ``spawn(work, *args)`` runs
``work(*args)`` in a green thread the service container manages (killed with the container),
after the RPC that asked for it has answered. ``work`` must catch its own errors: an exception
escaping a managed thread stops the container."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nameko.extensions import DependencyProvider


class Background(DependencyProvider):
    def spawn(self, work: Callable[..., Any], *args: Any) -> None:
        self.container.spawn_managed_thread(lambda: work(*args), identifier=getattr(work, "__name__", None))

    def get_dependency(self, worker_ctx: Any) -> Callable[..., None]:
        return self.spawn
