"""资质申报 in headless Chromium: a CIP enterprise with incomplete records picks 建筑施工企业安全生产
许可证, sees every unmet standard (required vs actual, a link to 企业空间), fixes one in 企业空间
through its page, gets the rest of its roster (through the enterprise RPC, to keep the test short),
downloads the 申报表, uploads the signed scan and every material, previews, waits out the
(shortened) commitment letter (the confirm button is disabled, the server refuses early) and
submits; the case arrives in review's queue."""

from __future__ import annotations

import io
import random

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import text

from services.common.config import nameko_config
from tests.browser.conftest import BrowserSession
from tests.browser.test_enterprise_browser import add_record
from tests.support.enterprise import resident_id
from tests.support.permits import CIP_STAFF, signed_scan, staff
from tests.support.permits_pages import preview_commit_and_submit, upload_every_material
from tests.support.registration import PASSWORD
from tests.support.waiting import wait_for

pytestmark = pytest.mark.browser


def test_enterprise_applies_for_a_safety_licence_in_the_browser(
    web: BrowserSession,
    running_platform,
    new_active_enterprise,
    engines,
    tmp_path,
):
    _, _, account = new_active_enterprise()
    page = web.page
    page.goto(web.url("/login"))
    page.locator("#f-login").fill(account["uscc"])
    page.locator("#f-password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()

    # 资质申报: choose the type, then the category and grade.
    page.goto(web.url("/permits"))
    page.locator('[data-type="cip_safety"]').click()
    page.locator('select[name="grade.construction"]').select_option("不分级")
    with page.expect_navigation():
        page.get_by_role("button", name="创建申请并预审").click()
    expect(page.locator("#state")).to_have_attribute("data-state", "draft")
    unmet = page.locator('#precheck tr[data-status="unmet"]')
    expect(unmet).to_have_count(4)
    principal = page.locator('#precheck tr[data-key$=".principal_a"]')
    expect(principal).to_contain_text("持有效安管人员A证证书）不少于1人")
    expect(principal.get_by_role("link", name="到企业空间完善")).to_have_attribute(
        "href", "/enterprise/staff")
    expect(principal).to_contain_text("符合条件0人")
    application_url = page.url

    # Fix one standard in 企业空间, on its page.
    add_record(
        page,
        web,
        "staff",
        {
            "name": "王主要",
            "id_number": resident_id(random.Random()),
            "title": "高级工程师",
            "title_level": "senior",
            "specialty": "建筑工程",
            "years_experience": "12",
            "certificates.0.kind": "safety_a",
            "certificates.0.number": "蒙建安A(2020)0001",
            "certificates.0.valid_until": "2029-06-30",
        },
        category="technical_lead",
    )

    def standard_status(key: str) -> str | None:
        page.goto(application_url)
        return page.locator(f'#precheck tr[data-key$=".{key}"]').get_attribute("data-status")

    wait_for(
        lambda: standard_status("principal_a") == "met", what="the pre-check re-run after the staff change"
    )
    expect(page.locator('#precheck tr[data-status="unmet"]')).to_have_count(3)

    # The rest of the roster through the enterprise service (the page flow is the same as above).
    actor = {"id": account["id"], "kind": "enterprise", "enterprise_id": account["id"], "permissions": []}
    with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=30) as cluster:
        for category, name, cert in CIP_STAFF[1:]:
            cluster.enterprise.save_record(actor, account["id"], "staff", staff(category, name, cert))

    def state() -> str | None:
        page.goto(application_url)
        return page.locator("#state").get_attribute("data-state")

    wait_for(lambda: state() == "prechecked", what="prechecked after the roster is complete")

    # 申报表: generate, download (a PDF), sign, upload the scan.
    with page.expect_navigation():
        page.get_by_role("button", name="生成申报表").click()
    expect(page.locator("#state")).to_have_attribute("data-state", "form_generated")
    download = page.request.get(web.url(page.locator("#download-form").get_attribute("href")))
    assert download.ok and download.body()[:5] == b"%PDF-"
    pages = len(PdfReader(io.BytesIO(download.body())).pages)
    scan = tmp_path / "签章申报表.pdf"
    scan.write_bytes(signed_scan(pages))
    page.locator('#scan-form input[type="file"]').set_input_files(str(scan))
    with page.expect_navigation():
        page.get_by_role("button", name="上传扫描件").click()
    expect(page.locator("#state")).to_have_attribute("data-state", "signed_uploaded")

    material = tmp_path / "材料.pdf"
    material.write_bytes(signed_scan(1))
    upload_every_material(page, material)

    # Preview, then the commitment letter: disabled until the server's seconds have passed.
    preview_commit_and_submit(page, running_platform["permits"]["commitment_seconds"])

    application_id = application_url.rstrip("/").rsplit("/", 1)[-1]
    with engines("review").connect() as conn:

        def in_queue() -> bool:
            return (
                conn.execute(
                    text("select count(*) from cases where case_ref = :r"),
                    {"r": f"permits:application:{application_id}"},
                ).scalar_one()
                == 1
            )

        wait_for(in_queue, what="the case in review's queue")
    assert [e for e in web.console_errors if "favicon.ico" not in e] == []
