"""The whole identity journey in headless Chromium (issue 3's definition of done):

register (both steps, with PDF uploads) → verify the e-mail from the SMTP sink → a reviewer
approves the registration case in the review console → login → enrol TOTP → log in with
TOTP → create a sub-account → the sub-account is refused a module it lacks.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import pyotp
import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy
from playwright.sync_api import Browser, Page, expect

from deploy.mail_sink import read_mails
from services.common.config import nameko_config
from tests.support.data import registration
from tests.support.enterprise import scan_pdf
from tests.support.waiting import wait_for

pytestmark = pytest.mark.browser

PASSWORD = "Qlp#2026-browser"


def new_page(browser: Browser) -> Page:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1600, "height": 1000})
    context.set_default_timeout(15_000)
    return context.new_page()


def log_in(page: Page, gateway: str, login: str, password: str = PASSWORD) -> None:
    page.goto(gateway + "/login")
    page.locator("#f-login").fill(login)
    page.locator("#f-password").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def log_out(page: Page) -> None:
    page.locator("form[action='/logout'] button").click()
    page.wait_for_load_state()


@pytest.fixture(scope="module")
def province_reviewer(running_platform):
    """Registration cases wait at the province desk of the enterprise's region (150105)."""
    username = "brw" + uuid.uuid4().hex[:9]
    with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=30) as cluster:
        cluster.identity.create_staff_account(None, {
            "kind": "reviewer", "username": username, "contact_name": "浏览器审核员",
            "email": f"{username}@example.com", "password": PASSWORD, "level": "province",
            "region_code": "150000"})
    return username


def test_register_both_steps_verify_approve_totp_sub_account(browser: Browser, gateway: str,
                                                             running_platform, province_reviewer,
                                                             artifacts: Path, tmp_path: Path):
    data = {**registration(), "password": PASSWORD}
    company = f"内蒙古浏览器测试{data['uscc'][-6:]}工程有限公司"  # one row per run in the review queue
    page = new_page(browser)

    # Step 1: the account.
    page.goto(gateway + "/register")
    for name in ("uscc", "contact_name", "contact_mobile", "email", "password"):
        page.locator(f"#f-{name}").fill(data[name])
    page.locator("#f-password_confirm").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()
    expect(page).to_have_url(gateway + "/register/enterprise")
    expect(page.locator("h1")).to_contain_text("第二步")

    # Step 2: enterprise info and the two scans; saved half-way, continued, submitted.
    licence, id_card = tmp_path / "营业执照副本.pdf", tmp_path / "法定代表人身份证.pdf"
    licence.write_bytes(scan_pdf())
    id_card.write_bytes(scan_pdf(colour=False, dpi=150))
    page.locator("#f-name").fill(company)
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#saved")).to_be_visible()
    page.goto(gateway + "/register/enterprise")  # a half-finished registration continues
    expect(page.locator("#f-name")).to_have_value(company)
    page.locator("#f-enterprise_type").select_option("limited_liability")
    for name, value in {"legal_person": company, "legal_representative": "赵六",
                        "registered_address": "呼和浩特市新城区新华大街8号",
                        "current_address": "呼和浩特市赛罕区大学东街9号", "contact_name": "钱七",
                        "contact_phone": "13987654321", "email": data["email"]}.items():
        page.locator(f"#f-{name}").fill(value)
    page.locator("#f-region_code").select_option("150105")
    page.locator("#f-business_licence").set_input_files(licence)
    page.locator("#f-legal_rep_id").set_input_files(id_card)
    page.get_by_role("button", name="提交注册").click()
    expect(page.locator("#submitted")).to_be_visible()
    # The measured scan quality is reported: the grey 150 DPI scan gets warnings.
    id_block = page.locator("[data-file='legal_rep_id']")
    expect(id_block).to_contain_text("法定代表人身份证.pdf")
    expect(id_block.locator(".warning").first).to_be_visible()
    page.screenshot(path=artifacts / "identity-step-two.png", full_page=True)

    # Verify the e-mail with the link from the SMTP sink.
    mails = wait_for(lambda: [m for m in read_mails(running_platform)
                              if m["To"] == data["email"] and m["Subject"] == "请验证您的注册邮箱"],
                     what="the verification mail")
    link = re.search(r"http://\S+/verify-email\?token=\S+", mails[-1].get_content()).group(0)
    page.goto(link)
    expect(page.locator("body")).to_contain_text("邮箱验证成功")

    # A province reviewer finds the registration case in the review console (注册审核 leads
    # there), sees the step-2 information and the scans, claims it and approves.
    staff = new_page(browser)
    log_in(staff, gateway, province_reviewer)
    staff.goto(gateway + "/review/registrations")
    expect(staff).to_have_url(re.compile(r"/review/cases\?case_type=identity\.(%2A|\*)$"))
    expect(staff.locator("select[name='case_type']")).to_have_value("identity.*")
    row = staff.locator("#review-queue tr", has_text=company)
    for _ in range(50):  # identity sends the case once it learns of step 2 (events)
        staff.locator("input[name='enterprise']").fill(company)  # the queue's enterprise filter
        staff.locator("input[name='enterprise']").press("Enter")
        staff.wait_for_load_state()
        if row.count():
            break
        staff.wait_for_timeout(200)
    expect(row).to_contain_text("企业注册审核")
    row.get_by_role("link", name="办理").click()
    expect(staff.locator("#case-fields")).to_contain_text("赵六")
    expect(staff.locator("#case-fields")).to_contain_text(data["uscc"])
    expect(staff.locator("#case-fields")).to_contain_text("营业执照副本.pdf")
    staff.locator("#claim").click()
    staff.locator("input[name='action'][value='approve']").check()
    staff.locator("#f-comment").fill("材料齐全，同意注册")
    staff.locator("#submit-opinion").click()
    expect(staff).to_have_url(gateway + "/review/cases")
    expect(staff.locator("#review-queue tr", has_text=company)).to_have_count(0)
    credentials = {"login": data["uscc"], "password": PASSWORD}
    wait_for(lambda: requests.post(gateway + "/api/v1/session", json=credentials, timeout=30).json()
             .get("account", {}).get("status") == "active", what="identity to follow the approval")

    # The enterprise signs in and enrols TOTP.
    log_in(page, gateway, data["uscc"])
    page.goto(gateway + "/account/security")
    page.get_by_role("button", name="启用动态口令").click()
    secret = page.locator("input[name='secret']").get_attribute("value")
    page.locator("#f-code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="确认绑定").click()
    expect(page.locator("code")).to_have_count(10)  # recovery codes, shown once
    log_out(page)

    # The next login asks for the code; the enrolment's code no longer works (single use).
    log_in(page, gateway, data["uscc"])
    expect(page.locator("#f-code")).to_be_visible()
    page.locator("#f-code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="验证").click()
    expect(page.locator("header.topbar .who")).to_contain_text(data["uscc"])

    # A sub-account that may only use 人员管理.
    username = "sub" + uuid.uuid4().hex[:8]
    page.goto(gateway + "/account/users")
    page.locator("#f-username").fill(username)
    page.locator("#f-contact_name").fill("子账号甲")
    page.locator("#f-email").fill(f"{username}@example.com")
    page.locator("#f-password").fill(PASSWORD)
    page.locator("input[name='permissions'][value='personnel']").check()
    page.get_by_role("button", name="新增").click()
    expect(page.locator("table.grid")).to_contain_text(username)
    log_out(page)

    sub = new_page(browser)
    log_in(sub, gateway, username)
    menu = sub.locator("nav.sidemenu")
    expect(menu).to_contain_text("人员管理")
    expect(menu).not_to_contain_text("企业信息")
    refused = sub.goto(gateway + "/enterprise")
    assert refused is not None and refused.status == 403
    expect(sub.locator("body")).to_contain_text("没有“企业信息”模块")
    sub.screenshot(path=artifacts / "identity-sub-account-refused.png", full_page=True)
    for p in (page, staff, sub):
        p.context.close()
