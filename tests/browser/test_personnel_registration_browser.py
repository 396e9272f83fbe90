"""A CIP 二级建造师 初始注册 in headless Chromium, on the real pages: the enterprise adds the person
(first with a wrong ID check digit, refused next to the field), uploads the photo, starts the
初始注册 (the qualification number refused until it has the NMG format), uploads every material,
puts the declaration into a batch (申报批次), reports the batch through the commitment letter whose
clock the server keeps, and sees a result per declaration; the 盟市 reviewer accepts and reports
it on (报批), the 自治区 reviewer approves; the enterprise sees the certificate 有效 on the person's
page, the declaration 审核通过 under 已上报, the 审核历史 with both desks and the printable table.

Test data only through RPC: the exam pass (人社厅考试合格数据) and the reviewer accounts."""

from __future__ import annotations

import random
import uuid

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import BrowserSession
from tests.support.data import random_mobile, random_resident_id
from tests.support.personnel_pages import (
    add_person,
    confirm_commitment,
    declaration_id,
    photo_file,
    review_declaration,
    scan_file,
    sign_in,
    upload_materials,
    upload_photo,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.browser
ADMIN = {
    "id": str(uuid.uuid4()),
    "kind": "admin",
    "permissions": [],
    "level": "province",
    "region_code": "150000",
    "enterprise_id": None,
}


def test_constructor_initial_registration_in_a_batch_through_city_and_province(
    web: BrowserSession,
    browser: Browser,
    running_platform,
    new_active_enterprise,
    engines,
    cluster,
    tmp_path,
    artifacts,
):
    base, page = web.url(""), web.page

    def screenshot(name: str) -> None:
        page.screenshot(path=artifacts / f"personnel-registration-{name}.png", full_page=True)

    rng = random.Random()
    id_number, name = random_resident_id(rng), "赵建国"
    qualification = f"NMG{rng.randint(0, 9_999_999):07d}"
    cluster.personnel.record_exam_passes(
        ADMIN,
        {
            "passes": [
                {
                    "id_number": id_number,
                    "specialty": "建筑工程",
                    "certificate_number": qualification,
                    "name": name,
                    "passed_on": "2026-06-30",
                }
            ]
        },
    )
    _, _, account = new_active_enterprise()
    sign_in(page, base, account["uscc"])

    # ---- 1. 人员管理: the menu from the catalogue; a wrong check digit is refused at the field.
    page.goto(base + "/personnel")
    expect(page.locator('nav.sidemenu a[href="/personnel/types/constructor_2"]')).to_have_text("二级建造师")
    expect(page.locator('[data-type="constructor_2"] a[data-kind="initial"]')).to_have_text("初始注册")
    screenshot("home")
    wrong = id_number[:-1] + ("0" if id_number[-1] != "0" else "1")
    page.goto(base + "/personnel/people/new")
    page.locator("#f-name").fill(name)
    page.locator("#f-id_number").fill(wrong)
    page.locator("#f-mobile").fill(random_mobile(rng))
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    expect(page.locator("#e-id_number")).to_contain_text("校验")
    expect(page.locator("#f-id_number")).to_have_value(wrong)
    expect(page.locator("#f-name")).to_have_value(name)
    person_id = add_person(page, base, name, id_number, random_mobile(rng))
    upload_photo(page, photo_file(tmp_path))
    screenshot("person")

    # ---- 2. 初始注册: the qualification number format, then the pre-filled declaration.
    with page.expect_navigation():
        page.locator(f'a[href="/personnel/types/constructor_2/initial?person_id={person_id}"]').click()
    page.locator('input[name="form.qualification_number"]').fill("NMG12")
    page.locator('input[name="form.specialties"][value="建筑工程"]').check()
    with page.expect_navigation():
        page.locator("#start-button").click()
    expect(page.locator("#e-qualification_number")).to_contain_text("NMG（大写字母）加7位数字")
    expect(page.locator('input[name="form.specialties"][value="建筑工程"]')).to_be_checked()
    page.locator('input[name="form.qualification_number"]').fill(qualification.lower())
    with page.expect_navigation():
        page.locator("#start-button").click()
    expect(page.locator("#declaration-status")).to_have_attribute("data-status", "draft")
    expect(page.locator("#declaration-fields")).to_contain_text(id_number)
    decl_id = declaration_id(page)
    codes = upload_materials(page, photo_file(tmp_path), scan_file(tmp_path))
    screenshot("declaration")
    assert "photo" in codes and "qualification_certificate" in codes

    # ---- 3. 待上报（单个） → 组成批次 → 待上报（批次） → 批量上报 through the commitment letter.
    page.goto(base + "/personnel/declarations?reported=0&mode=single")
    row = page.locator(f'tr[data-declaration="{decl_id}"]')
    expect(row).to_contain_text("未上报")
    row.locator('input[name="ids"]').check()
    batch_title = f"初始注册第{rng.randint(1, 99)}批"
    page.locator('#bulk-form input[name="title"]').fill(batch_title)
    with page.expect_navigation():
        page.locator("#bulk-batch").click()
    expect(page.locator("#notice")).to_contain_text(batch_title)
    batch = page.locator("#batches tr[data-batch]", has_text=batch_title)
    expect(batch).to_contain_text(name)
    screenshot("batches")
    with page.expect_navigation():
        batch.get_by_role("button", name="批量上报").click()
    expect(page.locator("#commitment-declarations")).to_contain_text(name)
    screenshot("commitment")
    confirm_commitment(page, running_platform["personnel"]["commitment_seconds"])
    result = page.locator(f'#results tr[data-id="{decl_id}"]')
    expect(result).to_have_attribute("data-ok", "true")
    screenshot("results")
    page.goto(base + "/personnel/declarations?reported=1&mode=single")
    expect(page.locator(f'tr[data-declaration="{decl_id}"]')).to_contain_text("盟市未受理")

    # ---- 4. Review: the 盟市 desk accepts and reports on, the 自治区 desk approves.
    city_name, province_name = review_declaration(
        browser,
        base,
        engines,
        cluster,
        decl_id,
        [
            ("city", [("accept", "材料齐全，予以受理"), ("forward", "同意，报自治区审批")]),
            ("province", [("approve", "同意注册")]),
        ],
    )

    # ---- 5. The enterprise: the certificate, 已上报 审核通过, the 审核历史 and the printable table.
    def certificate_valid() -> bool:
        page.goto(base + f"/personnel/people/{person_id}")
        return page.locator('#certificates tr[data-certificate] [data-status="valid"]').count() == 1

    wait_for(certificate_valid, what="the issued 二级建造师 certificate on the person's page")
    certificate = page.locator("#certificates tr[data-certificate]").first
    expect(certificate).to_contain_text(qualification)
    expect(certificate).to_contain_text("建筑工程")
    page.goto(base + f"/personnel/declarations/{decl_id}")
    expect(page.locator("#declaration-status")).to_have_attribute("data-status", "approved")
    with page.expect_navigation():
        page.locator("#history-link").click()
    history = page.locator("#review-history tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText.trim()))"
    )
    assert [(h[0], h[1], h[2]) for h in history] == [
        ("盟市审核", city_name, "受理"),
        ("盟市审核", city_name, "同意"),
        ("自治区审批", province_name, "同意"),
    ], history
    screenshot("history")
    page.goto(base + f"/personnel/declarations/{decl_id}/print")
    expect(page.locator("#application-table")).to_contain_text(id_number)
    expect(page.locator("#application-table")).to_contain_text("二级建造师初始注册申请表")
    # The two 422s are the refused ID number and qualification number of steps 1 and 2.
    assert [e for e in web.console_errors if "favicon.ico" not in e and "422" not in e] == []
