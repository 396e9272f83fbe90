"""Test data for the enterprise records (valid by the real rules: check digits, regions)."""

from __future__ import annotations

import base64
import io
import random
from datetime import date
from typing import Any

from PIL import Image, ImageDraw

from services.common.validators import resident_id_check_character


def resident_id(rng: random.Random | None = None, region: str = "150102") -> str:
    rng = rng or random.Random()
    # Aged 26 to 60 whatever the year the suite runs: personnel refuses registrations over 65.
    year = date.today().year
    body = f"{region}{rng.randint(year - 60, year - 26)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}" \
           f"{rng.randint(0, 999):03d}"
    return body + resident_id_check_character(body)


def scan_pdf(colour: bool = True, dpi: int = 300, inches: float = 1.0) -> bytes:
    """A one-page PDF holding one scan placed at ``dpi`` (Pillow writes the placement)."""
    side = int(dpi * inches)
    im = Image.new("RGB" if colour else "L", (side, side), "white")
    draw = ImageDraw.Draw(im)
    draw.rectangle((10, 10, side - 10, side // 2), fill=(200, 30, 30) if colour else 90)
    buffer = io.BytesIO()
    im.save(buffer, "PDF", resolution=dpi)
    return buffer.getvalue()


def upload(filename: str, data: bytes) -> dict[str, str]:
    return {"filename": filename, "content_b64": base64.b64encode(data).decode()}


def profile(name: str = "内蒙古测试电力工程有限公司") -> dict[str, str]:
    return {
        "name": name, "enterprise_type": "limited_liability", "legal_person": name,
        "legal_representative": "张三", "registered_address": "呼和浩特市新城区新华大街1号",
        "current_address": "呼和浩特市赛罕区大学东街2号", "region_code": "150105",
        "contact_name": "李四", "contact_phone": "13912345678", "email": "clerk@example.com",
        "registered_capital_wan": "5000", "net_assets_wan": "3200.5", "established_on": "2008-05-01",
        "business_scope": "电力设施承装、承修、承试",
    }


def submit_registration_profile(config: dict, account_id: str, name: str | None = None) -> dict:
    """Registration step 2 for an enterprise account, through the enterprise service's RPC
    (the browser journey does it through the page): both scans, then submit."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.common.config import nameko_config

    actor = {"id": account_id, "kind": "enterprise", "enterprise_id": account_id, "permissions": []}
    fields = profile(name or f"内蒙古测试{account_id[:6]}工程有限公司")
    with ClusterRpcProxy(nameko_config(config, "tests"), timeout=30) as cluster:
        cluster.enterprise.save_registration_profile(actor, {**fields, "files": {
            "business_licence": upload("营业执照.pdf", scan_pdf()),
            "legal_rep_id": upload("法定代表人身份证.pdf", scan_pdf())}})
        return cluster.enterprise.submit_registration_profile(actor)


def open_case_for(config: dict, enterprise_id: str, region_code: str) -> None:
    """A review case about the enterprise, published as permits would (review_requested)."""
    from tests.support.review_producer import Producer, request_data

    Producer(config).request(request_data(region_code=region_code, enterprise_id=enterprise_id))


def decide_staff_change(cluster: Any, engines: Any, staff_id: str, action: str = "approve") -> None:
    """A province reviewer decides a licence holder's 人员入职/离职申请 of a key staff member
    (enterprise usecases/key_staff.py): the review case named by the row's approval_ref."""
    import uuid as _uuid

    from sqlalchemy import text as _text

    from tests.support.waiting import wait_for as _wait_for

    with engines("enterprise").connect() as conn:
        ref = conn.execute(_text("select approval_ref from staff where id = :id"), {"id": staff_id}).scalar()
    assert ref is not None, "no staff change is pending for this row"

    def case_id() -> Any:
        with engines("review").connect() as conn:
            return conn.execute(_text("select id from cases where case_ref = :r"),
                                {"r": f"enterprise:staff_change:{ref}"}).scalar()

    found = str(_wait_for(case_id, timeout=60, what="the staff change's review case"))
    province = {"id": str(_uuid.uuid4()), "kind": "reviewer", "level": "province", "region_code": "150000",
                "permissions": [], "enterprise_id": None, "name": "自治区审核员"}
    cluster.review.claim(province, found)
    comment = "同意" if action == "approve" else "不同意"
    cluster.review.act(province, found, {"action": action, "comment": comment})
