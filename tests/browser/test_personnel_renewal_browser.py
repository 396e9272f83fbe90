"""TSA 证书延续 (交通运输工程施工单位安管人员) in headless Chromium, on the real pages: the enterprise
records three imported certificates (信息补录); the renewal of one expiring in 200 days is refused
naming the day the window opens, of one expired 90 days ago is refused as lapsed (须重新考试), and
of one expiring in 30 days is accepted, reported through the commitment letter, approved by the
审核部门 and the 考核部门, and the certificate is then valid three more years; 人员到期预警 listed it
before and no longer does after; 注册人员查询 downloads the enterprise's staff as an Excel file (UTF-8
name) that reads back with Chinese headers and the renewed expiry."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from urllib.parse import unquote

import openpyxl
import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import BrowserSession
from tests.support.data import random_mobile, random_resident_id
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
from tests.support.waiting import wait_for

pytestmark = pytest.mark.browser


def on_day_28_or_before(day: date) -> date:
    """A date whose day of month exists in every month (so +3 years is unambiguous)."""
    return day - timedelta(days=max(0, day.day - 28))


def test_tsa_renewal_refused_outside_the_window_and_accepted_inside_it(
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
    today = date.today()
    _, _, account = new_active_enterprise()
    sign_in(page, base, account["uscc"])

    def certificate(name: str, valid_until: date) -> str:
        person_id = add_person(page, base, name, random_resident_id(rng), random_mobile(rng))
        return record_certificate(
            page,
            base,
            person_id,
            "transport_safety",
            {
                "class_code": "B",
                "certificate_number": f"蒙交安B{rng.randint(10**9, 10**10 - 1)}",
                "issued_on": (valid_until - timedelta(days=3 * 365)).isoformat(),
                "valid_until": valid_until.isoformat(),
            },
        )

    early = certificate("孙提前", on_day_28_or_before(today + timedelta(days=200)))
    lapsed = certificate("周过期", on_day_28_or_before(today - timedelta(days=90)))
    due_on = on_day_28_or_before(today + timedelta(days=30))
    due = certificate("吴到期", due_on)

    page.goto(base + "/personnel/expiring?within_days=90&type_code=transport_safety")
    expect(page.locator(f'#expiring tr[data-certificate="{due}"]')).to_contain_text(due_on.isoformat())
    expect(page.locator(f'#expiring tr[data-certificate="{early}"]')).to_have_count(0)

    def start_renewal(certificate_id: str) -> None:
        page.goto(base + f"/personnel/certificates/{certificate_id}")
        with page.expect_navigation():
            page.locator('#certificate-ops a[data-kind="renewal"]').click()
        expect(page.locator("h1")).to_contain_text("延续申请")
        with page.expect_navigation():
            page.locator("#start-button").click()

    # ---- Outside the window: too early (the day it opens is named), and lapsed.
    start_renewal(early)
    refusal = page.locator('[role="alert"]', has_text="起方可申请延续")
    expect(refusal).to_contain_text("证书有效期届满前3个月至届满后2个月内可以申请延续")
    start_renewal(lapsed)
    expect(page.locator('[role="alert"]', has_text="已超过延续期限")).to_contain_text("证书已失效")

    # ---- Inside it: the renewal is accepted, reported and approved by both desks.
    start_renewal(due)
    expect(page.locator("#declaration-status")).to_have_attribute("data-status", "draft")
    renewal = declaration_id(page)
    new_until = due_on.replace(year=due_on.year + 3)
    expect(page.locator("#declaration-fields")).to_contain_text(new_until.isoformat())
    upload_materials(page, photo_file(tmp_path), scan_file(tmp_path))
    report_from_declaration_page(page, renewal, running_platform["personnel"]["commitment_seconds"])
    review_declaration(
        browser,
        base,
        engines,
        cluster,
        renewal,
        [
            ("province", [("accept", "予以受理"), ("approve", "审核通过")]),
            ("province", [("approve", "考核通过，同意延续")]),
        ],
    )

    def renewed() -> bool:
        page.goto(base + f"/personnel/certificates/{due}")
        return new_until.isoformat() in page.locator("#certificate-info").inner_text()

    wait_for(renewed, what="the renewed expiry on the certificate page")
    expect(page.locator("#certificate-status [data-status]")).to_have_attribute("data-status", "valid")
    page.goto(base + "/personnel/expiring?within_days=90&type_code=transport_safety")
    expect(page.locator(f'#expiring tr[data-certificate="{due}"]')).to_have_count(0)

    # ---- 注册人员查询 and its Excel download: a background job whose page refreshes itself
    # until the workbook is ready.
    page.goto(base + "/personnel/registered?type_code=transport_safety")
    expect(page.locator("#registered tr[data-certificate]")).to_have_count(3)
    page.locator("#export-link").click()
    expect(page.locator("#export-job")).to_have_count(1)
    expect(page.locator("#export-download")).to_be_visible(timeout=120_000)
    with page.expect_download() as download_info:
        page.locator("#export-download").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx") and not download.suggested_filename.isascii(), (
        unquote(download.suggested_filename)
    )
    saved = tmp_path / "export.xlsx"
    download.save_as(saved)
    sheet = openpyxl.load_workbook(saved).active
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["姓名", "性别", "证件类型", "证件号码"] and "有效期至" in header
    rows = {r[0]: dict(zip(header, r, strict=False)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"孙提前", "周过期", "吴到期"}
    renewed_cell = rows["吴到期"]["有效期至"]
    renewed_day = renewed_cell.date() if isinstance(renewed_cell, datetime) else renewed_cell
    assert str(renewed_day)[:10] == new_until.isoformat()
    # The refused starts answer 422; nothing else may have failed on the pages.
    assert [e for e in web.console_errors if "favicon.ico" not in e and "422" not in e] == []
