"""申辩管理 in headless Chromium, on the real pages: an enterprise's imported 二级建造师 record is
found by a 自治区 reviewer in 注册人员查询, who raises an anomaly (同一人员在两家及以上单位注册); the
enterprise sees it under 申辩管理 and answers with an explanation and a document; the reviewer sees
the answer with the document and decides 申辩成立; the enterprise sees the outcome."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import DEFAULT_TIMEOUT_MS, BrowserSession
from tests.support.data import random_mobile, random_resident_id
from tests.support.personnel_pages import add_person, record_certificate, scan_file, sign_in, staff_login

pytestmark = pytest.mark.browser


def test_reviewer_raises_an_anomaly_the_enterprise_answers_and_the_reviewer_upholds_it(
    web: BrowserSession,
    browser: Browser,
    new_active_enterprise,
    cluster,
    tmp_path,
):
    base, page = web.url(""), web.page
    rng = random.Random()
    _, _, account = new_active_enterprise()
    sign_in(page, base, account["uscc"])
    name, id_number = "褚申辩", random_resident_id(rng)
    person_id = add_person(page, base, name, id_number, random_mobile(rng))
    record_certificate(
        page,
        base,
        person_id,
        "constructor_2",
        {
            "registration_number": f"蒙{rng.randint(10**10, 10**11 - 1)}",
            "qualification_number": f"NMG{rng.randint(0, 9_999_999):07d}",
            "issued_on": (date.today() - timedelta(days=300)).isoformat(),
            "valid_until": (date.today() + timedelta(days=700)).isoformat(),
        },
        specialties=("建筑工程",),
    )

    # ---- 1. The reviewer finds the person and raises the anomaly.
    context = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    desk = context.new_page()
    sign_in(desk, base, staff_login(cluster, "province", "150000", "自治区审核员申辩"))
    with desk.expect_navigation():
        desk.locator('nav.sidemenu a[href="/personnel/registered"]').click()
    desk.locator('#registered-filter input[name="id_number"]').fill(id_number)
    with desk.expect_navigation():
        desk.locator("#registered-filter").get_by_role("button", name="查询").click()
    row = desk.locator("#registered tr[data-certificate]", has_text=name)
    expect(row).to_have_count(1)
    row.locator('select[name="kind"]').select_option("dual_employment")
    detail = f"社保缴纳记录显示该人员同时在其他单位任职（核查{uuid.uuid4().hex[:6]}）"  # unique per run
    row.locator('input[name="detail"]').fill(detail)
    row.locator('input[name="deadline"]').fill((date.today() + timedelta(days=15)).isoformat())
    with desk.expect_navigation():
        row.get_by_role("button", name="发起").click()
    expect(desk.locator("#notice")).to_contain_text("已发起申辩")
    appeal = desk.locator("section.appeal", has_text=detail)
    expect(appeal).to_contain_text("待申辩")
    appeal_id = appeal.get_attribute("data-appeal")

    # ---- 2. The enterprise answers with an explanation and evidence.
    page.goto(base + "/personnel/appeals")
    mine = page.locator(f'section.appeal[data-appeal="{appeal_id}"]')
    expect(mine).to_contain_text(name)
    mine.locator('textarea[name="explanation"]').fill(
        "该人员已于上月与原单位解除劳动合同，社保已转入本单位，见附件。"
    )
    mine.locator('input[name="evidence"]').set_input_files(str(scan_file(tmp_path, "解除劳动合同证明.jpg")))
    with page.expect_navigation():
        mine.get_by_role("button", name="提交申辩").click()
    expect(page.locator("#notice")).to_contain_text("申辩已提交")
    expect(mine).to_contain_text("已申辩（待审核）")

    # ---- 3. The reviewer sees the answer and its document, and upholds it.
    desk.goto(base + "/personnel/appeals")
    answered = desk.locator(f'section.appeal[data-appeal="{appeal_id}"]')
    expect(answered).to_contain_text("社保已转入本单位")
    expect(answered.get_by_role("link", name="材料1")).to_have_count(1)
    answered.locator('input[name="outcome"][value="uphold"]').check()
    answered.locator('textarea[name="opinion"]').fill("材料属实，申辩成立")
    with desk.expect_navigation():
        answered.get_by_role("button", name="保存审核结论").click()
    expect(desk.locator(f'section.appeal[data-appeal="{appeal_id}"]')).to_contain_text("申辩成立")
    context.close()
    page.goto(base + "/personnel/appeals")
    expect(mine).to_contain_text("申辩成立")
    expect(mine).to_contain_text("材料属实，申辩成立")
    assert [e for e in web.console_errors if "favicon.ico" not in e] == []
