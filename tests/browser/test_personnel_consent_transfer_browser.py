"""TSA 人员调动 with consent in headless Chromium, on the real pages: a 交通运输工程施工单位安管人员
(个人用户) asks to transfer out of enterprise A to B; A (the holder) consents under 个人申请,
reports the drafted 人员调出申请 through the commitment letter, and after the 审核部门 and 考核部门
the certificate is B's (the named new employer). The person then asks to transfer in to A again:
A (the receiving employer) consents, uploads the labour contract and reports the 人员调入申请; after
review the certificate is A's again and the person sees both transfers completed."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DEFAULT_TIMEOUT_MS, BrowserSession
from tests.support.personnel_pages import (
    add_person,
    declaration_id,
    photo_file,
    record_certificate,
    report_from_declaration_page,
    review_declaration,
    scan_file,
    sign_in,
    upload_materials,
)
from tests.support.persons import verified_person
from tests.support.waiting import wait_for

pytestmark = pytest.mark.browser
TSA_DESKS = [
    ("province", [("accept", "予以受理"), ("approve", "审核通过")]),
    ("province", [("approve", "同意")]),
]


def ask_transfer(page: Page, base: str, certificate_id: str, direction: str, uscc: str) -> None:
    page.goto(base + "/personal/declarations")
    form = page.locator("#transfer-form")
    form.locator("#f-certificate_id").select_option(certificate_id)
    form.locator(f'input[name="direction"][value="{direction}"]').check()
    form.locator("#f-to_uscc").fill(uscc)
    with page.expect_navigation():
        form.get_by_role("button", name="提交调动申请").click()
    expect(page.locator("#notice")).to_contain_text("等待企业同意")


def consent_and_report(page: Page, base: str, person_name: str, seconds: float, tmp_path) -> str:
    """个人申请: consent to the person's request, open the drafted declaration, report it."""
    page.goto(base + "/personnel/requests")
    row = page.locator("#transfer-requests tr[data-transfer]", has_text=person_name).filter(
        has=page.locator('input[name="ids"]')
    )
    expect(row).to_have_count(1)
    row.locator('input[name="ids"]').check()
    with page.expect_navigation():
        page.locator("#transfer-requests").get_by_role("button", name="同意所选", exact=True).click()
    with page.expect_navigation():
        page.locator("#results").get_by_role("link", name="办理申报").click()
    declaration = declaration_id(page)
    upload_materials(page, photo_file(tmp_path), scan_file(tmp_path))
    report_from_declaration_page(page, declaration, seconds)
    return declaration


def test_a_person_transfers_out_of_a_and_in_to_b_with_each_enterprises_consent(
    web: BrowserSession,
    browser: Browser,
    running_platform,
    new_active_enterprise,
    engines,
    cluster,
    tmp_path,
):
    base = web.url("")
    rng = random.Random()
    seconds = running_platform["personnel"]["commitment_seconds"]
    _, _, a = new_active_enterprise()
    _, _, b = new_active_enterprise()
    person = verified_person(cluster, running_platform, name="陈调动")

    # ---- A holds the person's TSA certificate (信息补录).
    clerk_a = web.page
    sign_in(clerk_a, base, a["uscc"])
    person_id = add_person(clerk_a, base, person["name"], person["id_number"], person["mobile"])
    certificate_id = record_certificate(
        clerk_a,
        base,
        person_id,
        "transport_safety",
        {
            "class_code": "C",
            "certificate_number": f"蒙交安C{rng.randint(10**9, 10**10 - 1)}",
            "issued_on": (date.today() - timedelta(days=200)).isoformat(),
            "valid_until": (date.today() + timedelta(days=800)).isoformat(),
        },
    )

    def open_page() -> Page:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        return context.new_page()

    own = open_page()
    sign_in(own, base, person["id_number"], person["password"])

    # ---- 1. Out of A to B: the person asks, A consents and reports, review approves.
    ask_transfer(own, base, certificate_id, "out", b["uscc"])
    expect(own.locator("#my-transfers")).to_contain_text("待企业审核")
    out = consent_and_report(clerk_a, base, person["name"], seconds, tmp_path)
    review_declaration(browser, base, engines, cluster, out, TSA_DESKS)
    clerk_b = open_page()
    sign_in(clerk_b, base, b["uscc"])

    def held_by(page: Page) -> bool:
        page.goto(base + "/personnel/types/transport_safety")
        return page.locator(f'#type-certificates tr[data-certificate="{certificate_id}"]').count() == 1

    wait_for(lambda: held_by(clerk_b), what="the certificate at enterprise B")
    assert not held_by(clerk_a)

    # ---- 2. In to A again: the person asks, A consents, uploads the contract and reports.
    ask_transfer(own, base, certificate_id, "in", a["uscc"])
    into = consent_and_report(clerk_a, base, person["name"], seconds, tmp_path)
    review_declaration(browser, base, engines, cluster, into, TSA_DESKS)
    wait_for(lambda: held_by(clerk_a), what="the certificate back at enterprise A")
    assert not held_by(clerk_b)
    own.goto(base + "/personal/declarations")
    expect(
        own.locator(f'#my-certificates tr[data-certificate="{certificate_id}"] [data-status]')
    ).to_have_attribute("data-status", "valid")
    expect(own.locator("#my-transfers tr[data-transfer]")).to_have_count(2)
    for row in own.locator("#my-transfers tr[data-transfer]").all():
        expect(row).to_contain_text("调转完成")
    assert [e for e in web.console_errors if "favicon.ico" not in e] == []
