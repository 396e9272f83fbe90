"""REG 个人申请撤回 in headless Chromium, on the real pages: a registered engineer (个人用户, signed
in with the ID number) files a personal 初始注册 naming the employer by USCC and uploads the
materials; the employer finds it under 待上报 and reports it through the commitment letter
(省级未受理); the person asks to withdraw it; the employer sees the request under 个人申请 and
agrees; the declaration is 已撤回 for both and review's case is withdrawn."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import text

from tests.browser.conftest import DEFAULT_TIMEOUT_MS, BrowserSession
from tests.support.personnel_pages import (
    confirm_commitment,
    declaration_id,
    photo_file,
    scan_file,
    sign_in,
    upload_materials,
)
from tests.support.persons import verified_person
from tests.support.waiting import wait_for

pytestmark = pytest.mark.browser


def test_a_personal_declaration_withdrawn_with_the_employers_consent(
    web: BrowserSession,
    browser: Browser,
    running_platform,
    new_active_enterprise,
    engines,
    cluster,
    tmp_path,
):
    base = web.url("")
    _, _, employer = new_active_enterprise()
    person = verified_person(cluster, running_platform)

    # ---- 1. The person files a personal 初始注册 and uploads the materials.
    page = web.page
    sign_in(page, base, person["id_number"], person["password"])
    expect(page).to_have_url(base + "/personal")
    with page.expect_navigation():
        page.locator("#my-declarations-card").click()
    with page.expect_navigation():
        page.locator('#personal-ops a[data-type="reg_engineer"][data-kind="initial"]').click()
    expect(page.locator("#personal-person")).to_contain_text(person["id_number"])
    page.locator("#f-mobile").fill(person["mobile"])
    page.locator("#f-enterprise_uscc").fill(employer["uscc"])
    page.locator('select[name="form.specialties"]').select_option("注册电气工程师")
    with page.expect_navigation():
        page.locator("#personal-start-button").click()
    expect(page.locator("#declaration-status")).to_have_attribute("data-status", "draft")
    expect(page.locator("#report-button")).to_have_count(0)  # the employer reports, not the person
    declaration = declaration_id(page)
    upload_materials(page, photo_file(tmp_path), scan_file(tmp_path))

    # ---- 2. The employer reports it from 待上报 through the commitment letter.
    context = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    clerk = context.new_page()
    sign_in(clerk, base, employer["uscc"])
    clerk.goto(base + "/personnel/declarations?reported=0")
    row = clerk.locator(f'tr[data-declaration="{declaration}"]')
    expect(row).to_contain_text(person["name"])
    row.locator('input[name="ids"]').check()
    with clerk.expect_navigation():
        clerk.locator("#bulk-report").click()
    confirm_commitment(clerk, running_platform["personnel"]["commitment_seconds"])
    expect(clerk.locator(f'#results tr[data-id="{declaration}"]')).to_have_attribute("data-ok", "true")

    # ---- 3. The person asks to withdraw it while it is 省级未受理.
    page.goto(base + "/personal/declarations")
    mine = page.locator(f'#my-declarations tr[data-declaration="{declaration}"]')
    expect(mine.locator("[data-status]")).to_have_attribute("data-status", "province_unaccepted")
    mine.locator('input[name="reason"]').fill("已与单位协商，暂不申报")
    with page.expect_navigation():
        mine.get_by_role("button", name="申请撤回").click()
    expect(page.locator("#notice")).to_contain_text("等待聘用企业确认")
    expect(mine.locator("[data-status]")).to_have_attribute("data-status", "withdrawal_requested")

    # ---- 4. The employer agrees under 个人申请; the declaration is 已撤回 for both.
    clerk.goto(base + "/personnel/requests")
    request_row = clerk.locator(f'#withdrawal-requests tr[data-declaration="{declaration}"]')
    expect(request_row).to_contain_text("已与单位协商，暂不申报")
    request_row.locator('input[name="ids"]').check()
    with clerk.expect_navigation():
        clerk.locator("#agree-withdrawals").click()
    expect(clerk.locator(f'#results tr[data-id="{declaration}"]')).to_have_attribute("data-ok", "true")
    expect(clerk.locator(f'#withdrawal-requests tr[data-declaration="{declaration}"]')).to_have_count(0)
    clerk.goto(base + f"/personnel/declarations/{declaration}")
    expect(clerk.locator("#declaration-status")).to_have_attribute("data-status", "withdrawn")
    context.close()
    page.goto(base + "/personal/declarations")
    expect(mine.locator("[data-status]")).to_have_attribute("data-status", "withdrawn")
    with engines("review").connect() as conn:
        wait_for(
            lambda: (
                conn.execute(
                    text("select status from cases where case_ref = :r"),
                    {"r": f"personnel:declaration:{declaration}"},
                ).scalar_one_or_none()
                == "withdrawn"
            ),
            what="review's case withdrawn",
        )
    assert [e for e in web.console_errors if "favicon.ico" not in e] == []
