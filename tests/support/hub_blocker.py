"""A nameko service whose hub blocks for good soon after it starts: the liveness watchdog
(services/common/liveness.py) must end its process. It has no entrypoints, so it starts
without a broker::

    QLP_LIVENESS__HUB_BLOCK_LIMIT_SECONDS=2 \\
        python -m services.common.runner tests.support.hub_blocker:HubBlockingService
"""

from __future__ import annotations

import eventlet
from eventlet import patcher
from nameko.extensions import DependencyProvider

BLOCKING = "hub blocker: blocking the hub now"


class _BlockTheHub(DependencyProvider):
    def start(self) -> None:
        def block() -> None:
            eventlet.sleep(1)  # started and stamping first
            print(BLOCKING, flush=True)
            patcher.original("time").sleep(3600)  # a real sleep: the hub stops here

        self.container.spawn_managed_thread(block, identifier="hub_blocker")


class HubBlockingService:
    name = "hub_blocker"
    block = _BlockTheHub()
