"""我的待办 and 好差评 in a real browser: an enterprise sees a correction to-do in the header, opens
it; after the decision a reviewer desk prints a QR code (一事一评), the code (decoded from the
rendered page with pyzbar) opens the public rating page, the rating is submitted, and it appears
in the statistics."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from PIL import Image
from playwright.sync_api import Page, expect
from pyzbar.pyzbar import decode

from gateway.labels import business_label, case_ref_label
from services.common.config import nameko_config
from tests.browser.conftest import BrowserSession
from tests.integration.test_enterprise_gateway import reviewer  # noqa: F401 (fixture)
from tests.support.data import random_mobile
from tests.support.notify import Bus
from tests.support.registration import PASSWORD, active_enterprise
from tests.support.waiting import wait_for

pytestmark = pytest.mark.browser


def log_in(page: Page, base: str, login: str) -> None:
    page.goto(base + "/login")
    page.locator("#f-login").fill(login)
    page.locator("#f-password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


def case_event(case_ref: str, enterprise_id: str, **extra) -> dict:
    return {
        "case_ref": case_ref,
        "case_id": str(uuid.uuid4()),
        "enterprise_id": enterprise_id,
        "at": datetime.now(UTC).isoformat(),
        **extra,
    }


def test_correction_todo_then_rating_from_a_qr_code_shows_in_statistics(
    web: BrowserSession,
    browser,
    gateway,
    running_platform,
    reviewer,  # noqa: F811
    registration_reviewer,
):
    config = running_platform
    _, _, account = active_enterprise(gateway, config, registration_reviewer)
    enterprise_id = account["id"]
    bus = Bus(config)
    application = str(uuid.uuid4())
    case_ref = f"permits:application:{application}"
    title = "承装（修、试）电力设施许可证新办"
    bus.emit(
        "permits",
        "review_requested",
        {
            "case_ref": case_ref,
            "case_type": "pfl.power.new",
            "lane": "standard",
            "enterprise_id": enterprise_id,
            "enterprise_name": "浏览器测试公司",
            "region_code": "150102",
            "title": title,
            "revision": 1,
            "fields": {},
            "attachments": [],
            "submitted_at": datetime.now(UTC).isoformat(),
        },
    )
    with ClusterRpcProxy(nameko_config(config, "tests"), timeout=30) as cluster:
        actor = {
            "id": enterprise_id,
            "kind": "enterprise",
            "enterprise_id": enterprise_id,
            "permissions": [],
            "level": None,
            "region_code": None,
        }
        bus.emit(
            "review",
            "correction_requested",
            case_event(
                case_ref,
                enterprise_id,
                revision=1,
                deadline=(date.today() + timedelta(days=15)).isoformat(),
                items=[{"target": "attachment", "name": "营业执照", "reason": "扫描件不清晰，请重新上传"}],
            ),
        )
        wait_for(lambda: cluster.notify.unread_counts(actor)["todos"] == 1, what="correction to-do")

    # The enterprise sees the to-do in the header and opens it from there.
    page = web.page
    log_in(page, gateway, account["uscc"])
    badge = page.locator("#header-todos .badge")
    expect(badge).to_have_text("1")
    page.locator("#header-todos").click()
    expect(page).to_have_url(gateway + "/todos")
    row = page.locator("#todos tbody tr", has_text=f"补正：{title}")
    expect(row).to_have_count(1)
    row.get_by_role("link").click()
    expect(page.locator("#todo")).to_contain_text("扫描件不清晰")
    expect(page.locator("#todo-go")).to_have_attribute("href", f"/permits/applications/{application}")

    # The case moves on and is decided: the correction to-do is done.
    bus.emit(
        "review",
        "case_step_changed",
        case_event(
            case_ref, enterprise_id, step="review", step_label="审核", level="city", region_code="150100"
        ),
    )
    bus.emit(
        "review",
        "case_decided",
        case_event(case_ref, enterprise_id, decision="approved", reason=None, decided_by=str(uuid.uuid4())),
    )

    def correction_gone() -> bool:
        page.goto(gateway + "/todos")
        return (
            page.locator("#todos tbody tr[data-kind=correction]").count() == 0
            and page.locator("#todos tbody tr[data-kind=rating]").count() == 1
        )

    wait_for(correction_gone, what="correction done and a rating to-do")

    # A reviewer desk prints a QR code for this case (一事一评).
    _, _, username = reviewer
    desk = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    try:
        desk_page = desk.new_page()
        log_in(desk_page, gateway, username)
        desk_page.goto(gateway + "/ratings/qr")
        desk_page.locator("input[name=mode][value=case]").check()
        desk_page.locator("#case_ref").fill(case_ref)
        desk_page.get_by_role("button", name="生成二维码").click()
        qr = desk_page.locator("#rating-qr .qr svg")
        expect(qr).to_be_visible()
        shot = Image.open(io.BytesIO(qr.screenshot())).convert("L")
        shot = shot.resize((shot.width * 2, shot.height * 2))
        [code] = decode(shot)
        url = code.data.decode()
        assert url == desk_page.locator("#rating-url").get_attribute("href")
        assert "/rate/" in url

        # Anyone who scans it (here: the enterprise's browser) rates the case.
        page.goto(url)
        expect(page.locator("h1")).to_contain_text("一事一评")
        page.locator("input[name=score][value='5']").check()
        page.locator("input[name=reasons][value=fast]").check()
        page.locator("#comment").fill("补正意见清楚，办理迅速")
        mobile = random_mobile()
        page.locator("#mobile").fill(mobile)
        page.get_by_role("button", name="提交").click()
        expect(page.locator("#rating-done")).to_contain_text("5 分")
        page.goto(gateway + "/todos")  # the 一事一评 to-do is done by the rating
        expect(page.locator("#todos tbody tr[data-kind=rating]")).to_have_count(0)

        # The same mobile again within 5 days is refused with the date it may rate again.
        page.goto(url)
        page.locator("input[name=score][value='4']").check()
        page.locator("#mobile").fill(mobile)
        page.get_by_role("button", name="提交").click()
        expect(page.locator("#mobile-error")).to_contain_text("同一手机号5天内只能评价一次")
        expect(page.locator("#mobile-error")).to_contain_text("后再评价")

        # The statistics show it.
        desk_page.goto(gateway + "/ratings/stats")
        # pages name a case and a business type, not their internal keys (issue 16 item 4)
        recent = desk_page.locator("#recent-ratings tbody tr", has_text=case_ref_label(case_ref))
        expect(recent).to_have_count(1)
        expect(recent.locator(".score")).to_have_text("5")
        expect(desk_page.locator("#chart-business svg")).to_contain_text(business_label("pfl.power.new"))
        expect(desk_page.locator("#chart-month svg rect").first).to_be_visible()
    finally:
        desk.close()
    # Only the expected ones: the browser's own favicon probe and the refused rating's 409 page.
    unexpected = [e for e in web.console_errors if "favicon" not in e and "status of 409" not in e]
    assert not unexpected
    assert not web.foreign_requests()
