"""A clerk fills a complete enterprise in headless Chromium: basic info with the licence scan,
three roster categories (technical lead, safety lead with work experience and training,
electrician), two projects, equipment and the shareholding; the summaries follow."""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserSession
from tests.support.enterprise import resident_id, scan_pdf
from tests.support.registration import PASSWORD

pytestmark = pytest.mark.browser


def fill(page: Page, values: dict[str, str]) -> None:
    for name, value in values.items():
        control = page.locator(f'[name="{name}"]')
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)


def save(page: Page, label: str = "保存") -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=label).click()


def add_record(
    page: Page, web: BrowserSession, section: str, values: dict[str, str], category: str = ""
) -> None:
    page.goto(web.url(f"/enterprise/{section}" + (f"?category={category}" if category else "")))
    page.get_by_role("link", name="添加").click()
    fill(page, values)
    save(page)
    expect(page.locator(".alert")).to_have_count(0)


def test_clerk_fills_a_complete_enterprise(
    web: BrowserSession,
    new_active_enterprise,
    tmp_path,
):
    _, _, account = new_active_enterprise()
    page = web.page
    page.goto(web.url("/login"))
    page.locator("#f-login").fill(account["uscc"])
    page.locator("#f-password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()

    # 基本信息: editable fields and the licence scan; locked fields are shown, not editable
    page.goto(web.url("/enterprise"))
    expect(page.locator("#f-name")).to_be_disabled()
    expect(page.locator("#f-uscc")).to_have_value(account["uscc"])
    fill(
        page,
        {
            "current_address": "赤峰市红山区新华路18号",
            "region_code": "150402",
            "contact_phone": "0476-8234567",
            "net_assets_wan": "2600",
            "established_on": "2010-06-18",
        },
    )
    licence = tmp_path / "营业执照（副本）.pdf"
    licence.write_bytes(scan_pdf(colour=False, dpi=200))
    page.locator("#f-business_licence").set_input_files(str(licence))
    save(page, "更新保存")
    expect(page.get_by_text("已更新保存")).to_be_visible()
    expect(page.locator("#f-current_address")).to_have_value("赤峰市红山区新华路18号")
    expect(page.locator('[data-file="business_licence"]')).to_contain_text("营业执照（副本）.pdf")
    expect(page.locator('[data-file="business_licence"] .warning').first).to_contain_text("200 DPI")

    # 主要人员: three categories
    rng = random.Random()
    add_record(
        page,
        web,
        "staff",
        {
            "name": "高技术",
            "id_number": resident_id(rng),
            "title": "高级工程师",
            "title_level": "senior",
            "specialty": "输配电",
            "years_experience": "15",
            "certificates.0.kind": "constructor_1",
            "certificates.0.number": "蒙115101200001",
            "certificates.0.valid_until": "2029-06-30",
        },
        category="technical_lead",
    )
    add_record(
        page,
        web,
        "staff",
        {
            "name": "安全员",
            "id_number": resident_id(rng),
            "title": "工程师",
            "witness_phone": "13847612345",
            "certificates.0.kind": "safety_b",
            "certificates.0.number": "蒙建安B(2021)0101",
            "work_experience.0.employer": "赤峰电建公司",
            "work_experience.0.position": "安全主管",
            "work_experience.0.started_on": "2012-03-01",
            "work_experience.0.ended_on": "2020-12-31",
            "work_experience.0.witness": "刘证明",
            "work_experience.0.witness_phone": "13904761234",
            "training_history.0.course": "安全生产管理培训",
            "training_history.0.started_on": "2021-04-01",
            "training_history.0.hours": "48",
        },
        category="safety_lead",
    )
    for name in ("电工甲", "电工乙"):
        add_record(
            page,
            web,
            "staff",
            {
                "name": name,
                "id_number": resident_id(rng),
                "skill_level": "intermediate",
                "certificates.0.kind": "electrician",
                "certificates.0.number": f"T{rng.randint(100000, 999999)}",
            },
            category="electrician",
        )
    expect(page.locator("#records tbody tr")).to_have_count(2)  # back on the 电工 tab
    page.get_by_role("link", name="人员汇总").click()
    expect(page.locator('#staff-summary tr[data-category="technical_lead"] .count')).to_have_text("1")
    expect(page.locator('#staff-summary tr[data-category="safety_lead"] .count')).to_have_text("1")
    expect(page.locator('#staff-summary tr[data-category="electrician"] .count')).to_have_text("2")
    expect(page.locator('#staff-summary tr[data-category="total"] .count')).to_have_text("4")

    # 业绩: two projects
    add_record(
        page,
        web,
        "projects",
        {
            "name": "赤峰110kV输电线路工程",
            "client": "内蒙古东部电力有限公司",
            "category": "install",
            "grade": "一级",
            "voltage_kv": "110",
            "contract_amount_wan": "1500",
            "length_km": "42.5",
            "started_on": "2021-03-01",
            "completed_on": "2022-10-30",
        },
    )
    add_record(
        page,
        web,
        "projects",
        {
            "name": "红山35kV变电站检修",
            "client": "赤峰供电公司",
            "category": "repair",
            "voltage_kv": "35",
            "contract_amount_wan": "320.5",
            "started_on": "2023-04-01",
            "completed_on": "2023-08-15",
        },
    )
    expect(page.locator("#records tbody tr")).to_have_count(2)
    expect(page.locator("#projects-by-voltage")).to_contain_text("110kV")
    expect(page.locator("#projects-by-category")).to_contain_text("1500")

    # 设备 and 股权结构 (an over-100 % share is refused next to the field)
    add_record(
        page,
        web,
        "equipment",
        {"name": "张力放线机", "kind": "施工机具", "model": "SA-YZ90", "quantity": "2"},
    )
    add_record(page, web, "shareholders", {"holder": "赤峰某投资有限公司", "share_percent": "60"})
    page.goto(web.url("/enterprise/shareholders/new"))
    fill(page, {"holder": "张三", "share_percent": "45"})
    save(page)
    expect(page.locator("#e-share_percent")).to_contain_text("持股比例合计不能超过100%")
    expect(page.locator("#f-holder")).to_have_value("张三")
    fill(page, {"share_percent": "40"})
    save(page)
    expect(page.locator("#share-total")).to_contain_text("100%")

    # everything is on record for other services' pre-checks, and in the change history
    page.goto(web.url("/enterprise/changes"))
    expect(page.locator("#history")).to_contain_text("赤峰市红山区新华路18号")
    page.goto(web.url("/enterprise"))
    expect(page.locator('#staff-summary td[data-category="total"]')).to_have_text("4")
    # Chromium logs the expected 422 and the missing favicon as "Failed to load resource"
    unexpected = [e for e in web.console_errors if "status of 422" not in e and "favicon" not in e]
    assert unexpected == [] and web.foreign_requests() == []
