"""CIP 人员调转 in headless Chromium, on the real pages: enterprise A records an imported 二级建造师
certificate (信息补录), then 调出 to enterprise B by B's USCC (an unknown USCC is refused first);
the certificate shows 调转中; B sees the person under 人员调入, accepts (调入), uploads the
materials and reports the 人员调入 declaration through the commitment letter; after 盟市 and
自治区 review the certificate is B's, 有效, and A's 调出 shows 调转完成."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import DEFAULT_TIMEOUT_MS, BrowserSession
from tests.support.data import random_mobile, random_resident_id, random_uscc
from tests.support.personnel import imported_person
from tests.support.personnel_pages import (
    add_person,
    declaration_id,
    photo_file,
    report_from_declaration_page,
    review_declaration,
    scan_file,
    sign_in,
    upload_materials,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.browser


def test_transfer_out_from_a_and_in_at_b_through_review(
    web: BrowserSession,
    browser: Browser,
    running_platform,
    new_active_enterprise,
    engines,
    cluster,
    tmp_path,
):
    base, page = web.url(""), web.page
    rng = random.Random()
    _, _, a = new_active_enterprise()
    _, _, b = new_active_enterprise()
    id_number, name = random_resident_id(rng), "钱调转"
    registration = f"蒙{rng.randint(10**10, 10**11 - 1)}"
    qualification = f"NMG{rng.randint(0, 9_999_999):07d}"

    # ---- 1. A: the person and the imported certificate (信息补录).
    sign_in(page, base, a["uscc"])
    person_id = add_person(page, base, name, id_number, random_mobile(rng))
    imported_person(person_id)  # 信息补录 is only for people the legacy import brought
    with page.expect_navigation():
        page.get_by_role("link", name="信息补录（旧系统证书）").click()
    with page.expect_navigation():
        page.locator("#f-type_code").select_option("constructor_2")
    page.locator("#f-registration_number").fill(registration)
    page.locator("#f-qualification_number").fill(qualification)
    page.locator('input[name="specialties"][value="市政公用工程"]').check()
    page.locator("#f-issued_on").fill((date.today() - timedelta(days=400)).isoformat())
    page.locator("#f-valid_until").fill((date.today() + timedelta(days=700)).isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="保存补录信息").click()
    expect(page.locator("#notice")).to_contain_text("证书信息已补录")
    row = page.locator("#certificates tr[data-certificate]")
    expect(row).to_contain_text(registration)
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "valid")
    certificate_id = row.get_attribute("data-certificate")

    # ---- 2. A: 调出 by USCC; an enterprise not on the platform is refused first.
    with page.expect_navigation():
        row.get_by_role("link", name="办理 / 查看").click()
    page.locator("#f-to_uscc").fill(random_uscc(rng))
    with page.expect_navigation():
        page.get_by_role("button", name="办理调出").click()
    expect(page.locator("#error")).to_be_visible()
    page.locator("#f-to_uscc").fill(b["uscc"])
    with page.expect_navigation():
        page.get_by_role("button", name="办理调出").click()
    expect(page.locator("#notice")).to_contain_text("等待调入企业接收")
    expect(page.locator("#certificate-status [data-status]")).to_have_attribute("data-status", "transferring")

    # ---- 3. B: 人员调入 lists the person; accept, upload, report through the letter.
    context = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    b_page = context.new_page()
    sign_in(b_page, base, b["uscc"])
    b_page.goto(base + "/personnel/transfers")
    incoming = b_page.locator("#incoming tr[data-transfer]", has_text=name)  # lists mask the ID number
    expect(incoming).to_contain_text(name)
    with b_page.expect_navigation():
        incoming.get_by_role("button", name="调入").click()
    expect(b_page.locator("#notice")).to_contain_text("已接收调入")
    expect(b_page.locator("h1")).to_contain_text("人员调入")
    expect(b_page.locator("#declaration-fields")).to_contain_text(registration)
    transfer_in = declaration_id(b_page)
    upload_materials(b_page, photo_file(tmp_path), scan_file(tmp_path))
    report_from_declaration_page(b_page, transfer_in, running_platform["personnel"]["commitment_seconds"])

    # ---- 4. Review, then the certificate is B's and A's 调出 is complete.
    review_declaration(
        browser,
        base,
        engines,
        cluster,
        transfer_in,
        [
            ("city", [("accept", "予以受理"), ("forward", "同意调入，报自治区审批")]),
            ("province", [("approve", "同意")]),
        ],
    )

    def moved_to_b() -> bool:
        b_page.goto(base + f"/personnel/people/{person_id}")
        cert = b_page.locator(f'#certificates tr[data-certificate="{certificate_id}"]')
        return cert.count() == 1 and cert.locator('[data-status="valid"]').count() == 1

    wait_for(moved_to_b, what="the certificate at enterprise B")
    b_page.goto(base + "/personnel/types/constructor_2")
    expect(b_page.locator(f'#type-certificates tr[data-certificate="{certificate_id}"]')).to_contain_text(
        registration
    )
    context.close()
    page.goto(base + "/personnel/transfers")
    expect(page.locator("#outgoing tr[data-transfer]", has_text=name)).to_contain_text("调转完成")
    page.goto(base + "/personnel/types/constructor_2")
    expect(page.locator(f'#type-certificates tr[data-certificate="{certificate_id}"]')).to_have_count(0)
    assert [e for e in web.console_errors if "favicon.ico" not in e] == []
