"""Upgrading a broker an earlier release used: the platform's classic queues become quorum queues.

Run by ``python -m deploy.servers start`` (so by ``make up`` and ``make test``) once RabbitMQ is
ready. A queue's type cannot change, and declaring an existing classic queue as quorum fails
(PRECONDITION_FAILED). So every platform queue (services/common/queues.is_platform_queue) that
is not a quorum queue, is empty and has no consumer is deleted (``if-empty`` and ``if-unused``,
checked atomically by the broker) and declared again at once with the arguments its service
declares and the old bindings: an event published before that service starts still has its
queue. A classic queue that still holds messages is kept, with a line saying so; the services
consume it as it is until a later start finds it empty. See docs/architecture.md.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from services.common.queues import is_platform_queue, platform_queue_arguments


class Management:
    """The RabbitMQ management API of the active profile's broker."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        amqp = config["amqp"]
        self.base = f"http://{amqp['host']}:{amqp['management_port']}/api/"
        self.auth = (amqp["user"], amqp["password"])
        self.vhost = quote(amqp["vhost"], safe="")

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(method, self.base + path, auth=self.auth, timeout=5, **kwargs)


def upgrade_queues(config: dict[str, Any]) -> list[str]:
    """Convert the empty, unused classic platform queues; returns the names converted."""
    api = Management(config)
    listing = api("GET", f"queues/{api.vhost}?columns=name,type,durable,messages,consumers,arguments")
    if listing.status_code != 200:
        print(f"rabbitmq: could not list queues to upgrade ({listing.status_code})")
        return []
    converted = []
    for queue in listing.json():
        name, kind = queue.get("name", ""), queue.get("type", "classic")
        if kind == "quorum" or not queue.get("durable") or not is_platform_queue(name):
            continue
        if queue.get("messages") or queue.get("consumers"):
            print(f"rabbitmq: {name} is still a {kind} queue (no delivery limit): it holds "
                  f"{queue.get('messages') or 0} message(s), {queue.get('consumers') or 0} "
                  "consumer(s); it becomes a quorum queue at a start that finds it empty")
            continue
        if convert_queue(api, name, queue.get("arguments") or {}):
            converted.append(name)
    if converted:
        print(f"rabbitmq: {len(converted)} empty classic platform queue(s) declared again as "
              "quorum queues")
    return converted


def convert_queue(api: Management, name: str, old_arguments: dict[str, Any]) -> bool:
    path = f"{api.vhost}/{quote(name, safe='')}"
    bindings = api("GET", f"queues/{path}/bindings")
    if bindings.status_code != 200:
        return False
    # The broker re-checks both conditions atomically: a message that came meanwhile stays.
    answer = api("DELETE", f"queues/{path}", params={"if-empty": "true", "if-unused": "true"})
    if answer.status_code not in (200, 204):
        print(f"rabbitmq: kept classic queue {name} ({answer.status_code}: in use or not empty)")
        return False
    arguments = platform_queue_arguments(name, old_arguments, api.config)
    if arguments is None:  # a name we cannot rebuild: its service declares it when it starts
        return True
    api("PUT", f"queues/{path}", json={"durable": True, "auto_delete": False,
                                       "arguments": arguments}).raise_for_status()
    for binding in bindings.json():
        if not binding.get("source"):  # the default exchange's implicit binding
            continue
        api("POST", f"bindings/{api.vhost}/e/{quote(binding['source'], safe='')}/q/"
            f"{quote(name, safe='')}",
            json={"routing_key": binding.get("routing_key", ""),
                  "arguments": binding.get("arguments") or {}}).raise_for_status()
    return True
