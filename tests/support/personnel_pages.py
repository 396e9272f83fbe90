"""Steps of 人员管理 in the browser, shared by the personnel journeys: add a person, start a
declaration, upload its materials, report through the commitment letter, and the reviewers'
steps on review's pages. Only the pages are used; test data (exam passes, reviewer accounts)
is set up by the journeys themselves through RPC."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import text

from tests.browser.conftest import DEFAULT_TIMEOUT_MS
from tests.support.registration import PASSWORD
from tests.support.waiting import wait_for


def photo_file(directory: Path) -> Path:
    """A 个人照片: jpg well under 1 MB, one background colour (blue) behind a figure."""
    image = Image.new("RGB", (295, 413), (67, 142, 219))
    draw = ImageDraw.Draw(image)
    draw.ellipse((97, 60, 197, 180), fill=(236, 200, 170))
    draw.rectangle((70, 200, 225, 413), fill=(30, 30, 30))
    path = directory / "证件照.jpg"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    path.write_bytes(buffer.getvalue())
    return path


def scan_file(directory: Path, name: str = "材料扫描件.jpg") -> Path:
    """A scanned material: a jpg under 2 MB with some text-like strokes."""
    image = Image.new("RGB", (1240, 1754), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    for row in range(20):
        draw.rectangle((120, 150 + row * 70, 1100 - (row % 5) * 90, 170 + row * 70), fill=(40, 40, 40))
    path = directory / name
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    path.write_bytes(buffer.getvalue())
    return path


def sign_in(page: Page, base: str, login: str, password: str = PASSWORD) -> None:
    page.goto(base + "/login")
    page.locator("#f-login").fill(login)
    page.locator("#f-password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert not page.url.endswith("/login"), f"{login} could not sign in"


def add_person(page: Page, base: str, name: str, id_number: str, mobile: str) -> str:
    """新增人员 on the page; the new person's id (from the person page's address)."""
    page.goto(base + "/personnel/people/new")
    page.locator("#f-name").fill(name)
    page.locator("#f-id_type").select_option("resident_id")
    page.locator("#f-id_number").fill(id_number)
    page.locator("#f-mobile").fill(mobile)
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    expect(page.locator("#person-info")).to_contain_text(id_number)
    return page.url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]


def upload_photo(page: Page, photo: Path) -> None:
    page.locator('#photo-form input[type="file"]').set_input_files(str(photo))
    with page.expect_navigation():
        page.locator("#photo-form").get_by_role("button", name="上传照片").click()
    expect(page.locator("#notice")).to_contain_text("照片已上传")
    expect(page.locator("#photo img")).to_have_count(1)


def declaration_id(page: Page) -> str:
    return page.url.split("?")[0].split("#")[0].rstrip("/").rsplit("/", 1)[-1]


def upload_materials(page: Page, photo: Path, scan: Path) -> list[str]:
    """Upload a file for every material row of the declaration page; the codes."""
    codes = page.locator("#materials tr[data-code]").evaluate_all("rows => rows.map(r => r.dataset.code)")
    for code in codes:
        row = page.locator(f'#materials tr[data-code="{code}"]')
        field = row.locator('input[type="file"]')
        is_photo = "pdf" not in (field.get_attribute("accept") or "")  # photo rows take images only
        field.set_input_files(str(photo if is_photo else scan))
        with page.expect_navigation():
            row.get_by_role("button", name="上传").click()
        expect(page.locator("#notice")).to_contain_text("附件已上传")
        expect(page.locator(f'#materials tr[data-code="{code}"]')).not_to_contain_text("未上传")
    return codes


def confirm_commitment(page: Page, seconds: float) -> None:
    """The commitment letter: confirm stays disabled until the server's seconds have passed."""
    expect(page.locator("h1")).to_contain_text("企业承诺书")
    button = page.locator("#confirm-button")
    expect(button).to_be_disabled()
    page.locator("#confirmed").check()
    expect(button).to_be_enabled(timeout=(seconds + 3) * 1000)
    with page.expect_navigation():
        button.click()
    expect(page.locator("h1")).to_contain_text("上报结果")


def report_from_declaration_page(page: Page, declaration: str, seconds: float) -> None:
    """上报 a single declaration from its page: the commitment letter, then its result row is ok."""
    with page.expect_navigation():
        page.locator("#report-button").click()
    confirm_commitment(page, seconds)
    expect(page.locator(f'#results tr[data-id="{declaration}"]')).to_have_attribute("data-ok", "true")


def staff_login(cluster: object, level: str, region: str, name: str, kind: str = "reviewer") -> str:
    username = f"{level[:4]}{uuid.uuid4().hex[:10]}"
    cluster.identity.create_staff_account(
        None,
        {  # type: ignore[attr-defined]
            "kind": kind,
            "username": username,
            "contact_name": name,
            "email": f"{username}@example.com",
            "password": PASSWORD,
            "level": level,
            "region_code": region,
        },
    )
    return username


def review_step(page: Page, base: str, case_id: str, actions: list[tuple[str, str]]) -> None:
    """A reviewer opens the case from 审核工作台, claims it and gives each opinion in turn."""
    page.goto(base + f"/review/cases/{case_id}")
    if page.locator("#claim").count():
        with page.expect_navigation():
            page.locator("#claim").click()
    for action, comment in actions:
        page.locator(f'#action-form input[name="action"][value="{action}"]').check()
        page.locator("#f-comment").fill(comment)
        with page.expect_navigation():
            page.locator("#submit-opinion").click()


def review_declaration(
    browser: Browser,
    base: str,
    engines: object,
    cluster: object,
    declaration: str,
    desks: list[tuple[str, list[tuple[str, str]]]],
) -> list[str]:
    """The declaration's case through review's pages: for each desk (``city`` / ``province`` /
    ``ministry``) a new reviewer of the case's region signs in, claims and gives the opinions.
    Returns the reviewers' names in order."""
    with engines("review").connect() as conn:  # type: ignore[operator]
        case = wait_for(
            lambda: conn.execute(
                text("select id, region_code from cases where case_ref = :r"),
                {"r": f"personnel:declaration:{declaration}"},
            ).first(),
            what="the declaration's case in review",
        )
    names = []
    for level, actions in desks:
        region = {
            "city": case.region_code[:4] + "00",
            "province": case.region_code[:2] + "0000",
            "ministry": "100000",
        }[level]
        name = (
            f"{ {'city': '盟市', 'province': '省级', 'ministry': '部级'}[level] }审核员{uuid.uuid4().hex[:4]}"
        )
        login = staff_login(cluster, level, region, name)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        try:
            desk = context.new_page()
            sign_in(desk, base, login)
            review_step(desk, base, str(case.id), actions)
        finally:
            context.close()
        names.append(name)
    return names


def record_certificate(
    page: Page,
    base: str,
    person_id: str,
    type_code: str,
    values: dict[str, str],
    specialties: tuple[str, ...] = (),
) -> str:
    """信息补录 of an imported certificate on the person's page; the new record's id (the person
    comes through the enterprise's legacy import first: 信息补录 is only for imported people)."""
    from tests.support.personnel import imported_person

    imported_person(person_id)
    page.goto(base + f"/personnel/people/{person_id}/certificates")
    with page.expect_navigation():
        page.locator("#f-type_code").select_option(type_code)
    for name, value in values.items():
        field = page.locator(f"#f-{name}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    for specialty in specialties:
        page.locator(f'input[name="specialties"][value="{specialty}"]').check()
    with page.expect_navigation():
        page.get_by_role("button", name="保存补录信息").click()
    expect(page.locator("#notice")).to_contain_text("证书信息已补录")
    number = next(v for k, v in values.items() if k.endswith("_number"))
    row = page.locator("#certificates tr[data-certificate]", has_text=number)
    expect(row).to_have_count(1)
    return row.get_attribute("data-certificate") or ""
