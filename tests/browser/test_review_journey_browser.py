"""The review journey of a 建筑施工企业安全生产许可证 in headless Chromium, on the real pages:
the enterprise submits through /permits; a 盟市 reviewer claims the case in 审核工作台, accepts it
and asks for 补正 of exactly two fields; the enterprise sees the to-do (header badge, 我的待办,
审核进度), opens its application, cannot touch anything else, fixes the two items and resubmits;
the reviewer sees what changed and reports to the province (报批); the 自治区 reviewer approves;
the licence is issued, and the enterprise sees it in 我的证书, the 审核历史 with both desks'
opinions, and 有效 on the public verify page.

Only test data is set up through RPC (the reviewer accounts, the enterprise's staff roster)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import text

from services.common.errors import ValidationFailed
from tests.browser.conftest import DEFAULT_TIMEOUT_MS, BrowserSession
from tests.support.permits import CIP_STAFF, signed_scan, staff
from tests.support.permits_pages import preview_commit_and_submit, upload_every_material
from tests.support.personnel_pages import staff_login
from tests.support.registration import PASSWORD
from tests.support.waiting import wait_for

pytestmark = pytest.mark.browser

# The two 申报表 fields the city reviewer sends back, and what the enterprise changes them to.
CORRECTED = {
    "enterprise.legal_representative": ("法定代表人", "未填写法定代表人", "张三丰"),
    "enterprise.phone": ("联系电话", "联系电话缺失", "04719876543"),
}


def open_context(browser: Browser) -> BrowserContext:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    return context


def sign_in(page: Page, base: str, login: str) -> None:
    page.goto(base + "/login")
    page.locator("#f-login").fill(login)
    page.locator("#f-password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert not page.url.endswith("/login"), f"{login} could not sign in"


def open_case_from_queue(page: Page, base: str, enterprise_name: str, case_id: str) -> None:
    """审核工作台: filter by the enterprise's name, then 办理 on the case's row."""
    page.goto(base + "/review/cases")
    page.locator('#queue-filters input[name="enterprise"]').fill(enterprise_name)
    with page.expect_navigation():
        page.locator("#queue-filters").get_by_role("button", name="查询").click()
    row = page.locator(f'#review-queue tr[data-case="{case_id}"]')
    expect(row).to_have_count(1)
    with page.expect_navigation():
        row.get_by_role("link", name="办理").click()
    expect(page).to_have_url(base + f"/review/cases/{case_id}")


def give_opinion(page: Page, action: str, comment: str) -> None:
    page.locator(f'#action-form input[name="action"][value="{action}"]').check()
    page.locator("#f-comment").fill(comment)
    with page.expect_navigation():
        page.locator("#submit-opinion").click()


def test_correction_diff_and_two_level_approval_in_the_browser(
    web: BrowserSession,
    browser: Browser,
    running_platform,
    new_active_enterprise,
    engines,
    cluster,
    artifacts: Path,
    tmp_path,
):
    base = web.url("")
    shot = 0

    def screenshot(page: Page, name: str) -> None:
        nonlocal shot
        shot += 1
        page.screenshot(path=artifacts / f"review-journey-{shot:02d}-{name}.png", full_page=True)

    # ---- 1. The enterprise applies (its staff roster set up through RPC, the rest on the pages).
    _, _, account = new_active_enterprise()
    actor = {"id": account["id"], "kind": "enterprise", "enterprise_id": account["id"], "permissions": []}
    for category, name, cert in CIP_STAFF:
        cluster.enterprise.save_record(actor, account["id"], "staff", staff(category, name, cert))
    page = web.page
    sign_in(page, base, account["uscc"])
    page.goto(web.url("/permits"))
    page.locator('[data-type="cip_safety"]').click()
    page.locator('select[name="grade.construction"]').select_option("不分级")
    with page.expect_navigation():
        page.get_by_role("button", name="创建申请并预审").click()
    application_url = page.url
    application_id = application_url.rstrip("/").rsplit("/", 1)[-1]

    def state() -> str | None:
        page.goto(application_url)
        return page.locator("#state").get_attribute("data-state")

    wait_for(lambda: state() == "prechecked", what="the pre-check passing on the complete roster")
    with page.expect_navigation():
        page.get_by_role("button", name="生成申报表").click()
    expect(page.locator("#state")).to_have_attribute("data-state", "form_generated")
    scan = tmp_path / "签章申报表.pdf"
    scan.write_bytes(signed_scan(4))
    page.locator('#scan-form input[type="file"]').set_input_files(str(scan))
    with page.expect_navigation():
        page.get_by_role("button", name="上传扫描件").click()
    expect(page.locator("#state")).to_have_attribute("data-state", "signed_uploaded")
    material = tmp_path / "材料.pdf"
    material.write_bytes(signed_scan(1))
    upload_every_material(page, material)
    preview_commit_and_submit(page, running_platform["permits"]["commitment_seconds"])
    screenshot(page, "enterprise-submitted")

    case_ref = f"permits:application:{application_id}"
    with engines("review").connect() as conn:
        case = wait_for(
            lambda: conn.execute(
                text("select id, enterprise_name, region_code from cases where case_ref = :r"),
                {"r": case_ref},
            ).first(),
            what="the case in review's queue",
        )
    case_id, enterprise_name, region = str(case.id), case.enterprise_name, case.region_code
    assert enterprise_name, "the case carries the enterprise's name"

    tag = uuid.uuid4().hex[:4]
    city_name, province_name = f"盟市审核员{tag}", f"自治区审核员{tag}"
    city_login = staff_login(cluster, "city", region[:4] + "00", city_name)
    province_login = staff_login(cluster, "province", "150000", province_name)

    # ---- 2. The city reviewer: claim, accept (受理), 补正 of exactly two fields with reasons.
    city_context = open_context(browser)
    city = city_context.new_page()
    sign_in(city, base, city_login)
    city.goto(base + "/review/cases")
    expect(city.locator("h1")).to_contain_text("审核工作台")
    open_case_from_queue(city, base, enterprise_name, case_id)
    expect(city.locator("#case-summary")).to_contain_text("盟市审核")
    expect(city.locator("#case-summary")).to_contain_text("未领取")
    expect(city.locator("#submit-opinion")).to_have_count(0)  # no opinion before claiming
    with city.expect_navigation():
        city.locator("#claim").click()
    expect(city.locator("#case-summary")).to_contain_text(city_name)
    give_opinion(city, "accept", "材料齐全，予以受理")
    expect(city.locator("#review-history")).to_contain_text("受理")
    for name, (label, reason, _new) in CORRECTED.items():
        row = city.locator(f'#case-fields tr[data-field="{name}"]')
        expect(row).to_contain_text(label)
        row.locator('input[name="correct"]').check()
        row.locator(f'input[name="reason:field:{name}"]').fill(reason)
    screenshot(city, "city-correction-form")
    give_opinion(city, "correction", "请按要求补正两项内容")
    expect(city.locator("#case-status")).to_contain_text("补正")
    corrections = city.locator("h2", has_text="补正通知").first
    expect(corrections).to_be_visible()
    for name, (_label, reason, _new) in CORRECTED.items():
        expect(city.locator("body")).to_contain_text(f"{name}：{reason}")

    # ---- 3. The enterprise: the to-do, the application with only those items open, resubmission.
    def todo_badge() -> bool:
        page.goto(web.url("/permits"))
        return page.locator("#header-todos .badge").count() == 1

    wait_for(todo_badge, what="the 我的待办 badge in the header")
    with page.expect_navigation():
        page.locator("#header-todos").click()
    todo_row = page.locator('#todos tr[data-kind="correction"]')
    expect(todo_row).to_have_count(1)
    expect(todo_row).to_contain_text("待办理")
    screenshot(page, "enterprise-todos")
    with page.expect_navigation():
        todo_row.locator("td.title a").click()
    with page.expect_navigation():
        page.locator("#todo-go").click()
    expect(page).to_have_url(application_url)
    expect(page.locator("#state")).to_have_attribute("data-state", "correction_requested")
    for name, (label, reason, _new) in CORRECTED.items():  # shown by label, as on the form
        expect(page.locator(f'#corrections li[data-name="{name}"]')).to_have_text(f"{label}：{reason}")
    screenshot(page, "enterprise-correction")
    # 审核进度 shows the case waiting for the enterprise, its clock paused.
    page.goto(web.url("/cases"))
    expect(page.locator('#todos tr[data-kind="correction"]')).to_contain_text("补正")
    expect(page.locator("#my-cases")).to_contain_text("暂停")
    page.goto(application_url)

    # Nothing else is open: a material review did not name is refused on the page.
    other = page.locator("#materials tr[data-code]").first
    other_code = other.get_attribute("data-code")
    other.locator('input[type="file"]').set_input_files(str(material))
    with page.expect_navigation():
        other.get_by_role("button", name="上传").click()
    expect(page.locator('[role="alert"]')).to_contain_text("补正审核人员指出的附件")
    with engines("permits").connect() as conn:
        uploads = conn.execute(
            text("select count(*) from attachments where application_id = :a and purpose = :p"),
            {"a": application_id, "p": other_code},
        ).scalar_one()
    assert uploads == 1, "the refused upload must not have been kept"

    # The page offers an input for each field under correction, and none for the others.
    form = page.locator("#correction-form")
    for name, (_label, _reason, new) in CORRECTED.items():
        form.locator(f'input[data-field="{name}"]').fill(new)
    expect(form.locator("input[data-field]")).to_have_count(len(CORRECTED))
    expect(page.get_by_label("电子邮箱", exact=True)).to_have_count(0)
    with page.expect_navigation():
        form.get_by_role("button", name="保存补正内容").click()
    expect(page.locator("body")).to_contain_text("补正内容已保存")
    # A field review did not name is refused by the service too.
    with pytest.raises(ValidationFailed) as refused:
        cluster.permits.update_correction(actor, application_id, {"enterprise.email": "x@example.com"})
    assert refused.value.fields["enterprise.email"][0]["code"] == "not_reopened"
    page.goto(application_url)
    with page.expect_navigation():
        page.get_by_role("button", name="补正后重新提交").click()
    expect(page.locator("#state")).not_to_have_attribute("data-state", "correction_requested")
    screenshot(page, "enterprise-resubmitted")

    # ---- 4. The city reviewer sees what changed, then reports to the province (报批).
    with engines("review").connect() as conn:
        wait_for(
            lambda: conn.execute(
                text("select revision from cases where id = :c"), {"c": case_id}
            ).scalar_one()
            == 2,
            what="revision 2 of the case in review",
        )
    open_case_from_queue(city, base, enterprise_name, case_id)
    expect(city.locator("#case-summary")).to_contain_text("第 2 版")
    diff = city.locator("#case-diff")
    expect(diff).to_be_visible()
    screenshot(city, "city-diff")
    diff_rows = diff.locator("tbody tr.changed").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText.trim()))"
    )
    expected_rows = sorted([label, "", new] for label, _r, new in CORRECTED.values())
    shown = sorted([label, "", new] for label, _old, new in diff_rows)
    assert shown == expected_rows, diff_rows
    give_opinion(city, "forward", "补正完毕，同意报自治区审批")
    expect(city).to_have_url(base + "/review/cases")
    city_context.close()

    # ---- 5. The province reviewer approves.
    province_context = open_context(browser)
    province = province_context.new_page()
    sign_in(province, base, province_login)
    open_case_from_queue(province, base, enterprise_name, case_id)
    expect(province.locator("#case-summary")).to_contain_text("自治区审批")
    with province.expect_navigation():
        province.locator("#claim").click()
    give_opinion(province, "approve", "同意核发")
    expect(province).to_have_url(base + "/review/cases")
    province_context.close()

    # ---- 6. The licence: 我的证书, 审核历史 with both opinions, 有效 on the verify page.
    def licence_listed() -> bool:
        page.goto(web.url("/permits/licences"))
        return page.locator("#licences tbody tr td.status").count() == 1

    wait_for(licence_listed, what="the issued licence in 我的证书")
    licence = page.locator("#licences tbody tr").first
    expect(licence).to_contain_text("安全生产许可证")
    expect(licence).to_contain_text("建筑施工")
    expect(licence.locator("td.status")).to_contain_text("有效")
    expect(licence.get_by_role("link", name="下载证书")).to_be_visible()
    screenshot(page, "enterprise-licence")
    verify_href = licence.get_by_role("link", name="核验页面").get_attribute("href")
    assert verify_href

    page.goto(web.url("/cases"))
    expect(page.locator('#todos tr[data-kind="correction"]')).to_have_count(0)
    with page.expect_navigation():
        page.locator("#my-cases").get_by_role("link", name="审核历史").first.click()
    expect(page.locator("#history-status")).to_contain_text("通过")
    history = page.locator("#review-history tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText.trim()))"
    )
    steps = [(h[0], h[1], h[2]) for h in history]
    assert steps == [
        ("盟市审核", city_name, "受理"),
        ("盟市审核", city_name, "补正"),
        ("盟市审核", city_name, "同意"),
        ("自治区审批", province_name, "同意"),
    ], history
    assert "补正完毕，同意报自治区审批" in history[2][4] and "同意核发" in history[3][4]
    screenshot(page, "enterprise-history")

    page.goto(web.url(verify_href))
    expect(page.locator("#licence-status")).to_have_attribute("data-status", "valid")
    expect(page.locator("#licence-status")).to_contain_text("有效")
    screenshot(page, "verify")
    # The one 422 is the refused upload of step 3, which the page shows as an alert.
    assert [
        e for e in web.console_errors if "favicon.ico" not in e and not ("422" in e and "/material" in e)
    ] == []
