"""Helpers for the permits integration and browser tests: an enterprise with records, uploads,
the broker seen from a queue of our own, review's answers published as review would."""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
from datetime import UTC, datetime

import pika
import requests
from nameko.standalone.events import event_dispatcher
from PIL import Image, ImageDraw
from pypdf import PdfReader

from services.common.config import nameko_config
from services.common.envelope import make_envelope
from services.common.errors import NotFound
from tests.support.actors import enterprise_actor

# The CIP application and roster live in tests/support/data (the load tier reads them without
# this module's nameko imports); re-exported for the permits tests.
from tests.support.data import CIP_ITEMS as CIP_ITEMS
from tests.support.data import CIP_STAFF as CIP_STAFF
from tests.support.data import CIP_VALUES as CIP_VALUES
from tests.support.data import registration
from tests.support.enterprise import resident_id, scan_pdf, submit_registration_profile, upload
from tests.support.platform import amqp_parameters
from tests.support.waiting import wait_for


class Broker:
    """A queue of our own on an exchange (bound '#'), to see what really went over the bus."""

    def __init__(self, config: dict, exchange: str) -> None:
        self.connection = pika.BlockingConnection(amqp_parameters(config, heartbeat=0))
        self.channel = self.connection.channel()
        self.channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        self.queue = self.channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        self.channel.queue_bind(self.queue, exchange, routing_key="#")
        self.events: list[dict] = []
        self._lock = threading.Lock()

    def drain(self) -> list[dict]:
        with self._lock:
            while True:
                method, _props, body = self.channel.basic_get(self.queue, auto_ack=True)
                if method is None:
                    return self.events
                self.events.append(json.loads(body))

    def of(self, event_type: str, **match: object) -> list[dict]:
        return [
            e
            for e in self.drain()
            if e["type"] == event_type and all(e["data"].get(k) == v for k, v in match.items())
        ]

    def close(self) -> None:
        self.connection.close()


def new_enterprise(cluster, config) -> dict:
    """A registered enterprise with its registration profile (name, region) in the enterprise service."""
    account = cluster.identity.register_account(registration())
    eid = account["id"]

    def exists() -> bool:
        try:
            return bool(cluster.enterprise.records_for_precheck(None, eid))
        except NotFound:
            return False

    wait_for(exists, what="the enterprise row (from identity's event)")
    submit_registration_profile(config, eid)
    return enterprise_actor(eid)


def staff(category: str, name: str, cert_kind: str | None) -> dict:
    person = {
        "category": category,
        "name": name,
        "id_type": "resident_id",
        "id_number": resident_id(),
        "title": "工程师",
        "title_level": "intermediate",
        "skill_level": "intermediate",
        "specialty": "建筑工程",
        "years_experience": 10,
    }
    if cert_kind:
        person["certificates"] = [
            {
                "kind": cert_kind,
                "number": f"{cert_kind.upper()}-{uuid.uuid4().hex[:8]}",
                "valid_until": "2030-12-31",
            }
        ]
    return person




def signed_scan(pages: int = 4) -> bytes:
    """A colour scan of ``pages`` pages at 300 dpi (as many pages as the 申报表 or more)."""
    images = [Image.new("RGB", (600, 800), "white") for _ in range(pages)]
    for image in images:
        ImageDraw.Draw(image).ellipse((350, 550, 550, 750), outline=(220, 0, 0), width=12)  # the seal
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", resolution=300, save_all=True, append_images=images[1:])
    return buffer.getvalue()


def fetch(cluster, actor, attachment_id) -> bytes:
    link = cluster.permits.attachment_url(actor, attachment_id)
    response = requests.get(link["url"], timeout=10)
    assert response.status_code == 200
    return response.content


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def publish_review_event(config, event_type: str, data: dict) -> dict:
    envelope = make_envelope("review", event_type, 1, json.loads(json.dumps(data, default=str)))
    event_dispatcher(nameko_config(config, "tests"))("review", event_type, envelope)
    return envelope


def upload_all_materials(cluster, actor, app) -> None:
    view = cluster.permits.get_application(actor, app["id"])
    for spec in view["required_attachments"]:
        if spec["required"] and not spec["uploaded"]:
            cluster.permits.upload_material(
                actor, app["id"], spec["code"], upload(f"{spec['name']}.pdf", scan_pdf())
            )


def commit(cluster, config, actor, app) -> dict:
    """A draft whose 申报表 is generated, taken to committed over RPC: the signed scan, every
    material, the preview, and the commitment letter shown for the configured seconds."""
    pages = len(PdfReader(io.BytesIO(fetch(cluster, actor, app["form_attachment_id"]))).pages)
    cluster.permits.upload_signed_scan(actor, app["id"], upload("签章申报表.pdf", signed_scan(pages)))
    upload_all_materials(cluster, actor, app)
    cluster.permits.preview(actor, app["id"])
    cluster.permits.open_commitment(actor, app["id"])
    time.sleep(config["permits"]["commitment_seconds"] + 0.3)
    return cluster.permits.confirm_commitment(actor, app["id"])


def submitted_cip_application(cluster, config, actor) -> tuple[dict, dict[str, str]]:
    """A CIP application through pre-check, 申报表, scan, materials and the commitment letter to
    submitted; returns it and the staff record ids by name."""
    saved = {name: cluster.enterprise.save_record(actor, actor["id"], "staff", staff(category, name, cert))
             for category, name, cert in CIP_STAFF}
    app = cluster.permits.create_draft(actor, {"type_code": "cip_safety", "transaction_kind": "new",
                                               "items": CIP_ITEMS, "values": CIP_VALUES})
    app = cluster.permits.run_precheck(actor, app["id"])
    assert app["precheck"]["passed"], app["precheck"]
    commit(cluster, config, actor, cluster.permits.generate_form(actor, app["id"]))
    app = cluster.permits.submit(actor, app["id"], uuid.uuid4().hex)
    assert app["state"] == "submitted"
    return app, {name: record["id"] for name, record in saved.items()}


def approve(cluster, config, actor, app) -> dict:
    publish_review_event(config, "case_decided", {
        "case_ref": f"permits:application:{app['id']}", "case_id": str(uuid.uuid4()),
        "enterprise_id": actor["id"], "decision": "approved", "reason": None,
        "decided_by": "审核员", "at": datetime.now(UTC).isoformat()})
    wait_for(lambda: cluster.permits.get_application(actor, app["id"])["state"] == "licence_issued",
             timeout=30, what="the licence issued after case_decided")
    return cluster.permits.my_licences(actor)[0]
