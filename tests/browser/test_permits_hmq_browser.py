"""资质申报 for HMQ in headless Chromium: an enterprise with incomplete records picks 公路养护作业单位资质
交通安全设施养护 (不分级), sees every unmet standard (required vs actual, a 到企业空间完善 link to the
right page), follows the links and fixes one standard of each kind on 企业空间's pages (净资产 on
基本信息, the 技术负责人 and the fifteenth 技术工人 on 主要人员, the third 交通安全设施养护 project on
业绩, the 标线车 on 设备; the bulk of the roster went in beforehand through the enterprise RPC),
sees the pre-check pass, downloads the 申报表 (its text names 公路养护), uploads the signed scan and
every material, previews, waits out the (shortened) commitment letter and submits; the case
arrives in review's queue as hmq.maintenance.new."""

from __future__ import annotations

import io
import random
from datetime import date, timedelta

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import text

from services.common.config import nameko_config
from tests.browser.conftest import BrowserSession
from tests.browser.test_enterprise_browser import fill, save
from tests.support.enterprise import resident_id
from tests.support.permits import pdf_text, signed_scan, staff
from tests.support.permits_pages import preview_commit_and_submit, upload_every_material
from tests.support.registration import PASSWORD
from tests.support.waiting import wait_for

pytestmark = pytest.mark.browser

PREFIX = "safety_facility.不分级."


def traffic_project(name: str, completed: date) -> dict:
    return {
        "name": name,
        "client": "内蒙古自治区公路养护中心",
        "category": "traffic_safety",
        "contract_amount_wan": 260,
        "length_km": 35,
        "started_on": (completed - timedelta(days=120)).isoformat(),
        "completed_on": completed.isoformat(),
    }


def test_hmq_enterprise_applies_for_a_maintenance_qualification_in_the_browser(
    web: BrowserSession,
    running_platform,
    new_active_enterprise,
    engines,
    tmp_path,
):
    _, _, account = new_active_enterprise()
    eid = account["id"]
    today = date.today()
    rng = random.Random()

    # Incomplete records: most of the roster, two of three projects, one of two machines, and
    # 净资产 below the 1500万元 the grade asks (through the enterprise service, as the CIP test).
    actor = {"id": eid, "kind": "enterprise", "enterprise_id": eid, "permissions": []}
    with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=30) as cluster:
        cluster.enterprise.update_basic_info(actor, eid, {"net_assets_wan": "1000"})
        for n in range(10):
            cluster.enterprise.save_record(actor, eid, "staff", staff("technical_staff", f"技术员{n}", None))
        for n in range(14):
            cluster.enterprise.save_record(actor, eid, "staff", staff("skilled_worker", f"养护工{n}", None))
        for n, days in enumerate((200, 500)):
            project = traffic_project(f"G{n + 6}国道交通安全设施养护", today - timedelta(days))
            cluster.enterprise.save_record(actor, eid, "projects", project)
        cluster.enterprise.save_record(
            actor, eid, "equipment", {"name": "液压打桩机", "kind": "护栏打桩机", "quantity": 1}
        )

    page = web.page
    page.goto(web.url("/login"))
    page.locator("#f-login").fill(account["uscc"])
    page.locator("#f-password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()

    # 资质申报: the type, then 资质申报 (new) and the grade of 交通安全设施养护.
    page.goto(web.url("/permits"))
    page.locator('[data-type="hmq_maintenance"]').click()
    expect(page.locator("h1")).to_contain_text("公路养护作业单位资质")
    page.locator("#f-kind").select_option("new")
    page.locator('select[name="grade.safety_facility"]').select_option("不分级")
    with page.expect_navigation():
        page.get_by_role("button", name="创建申请并预审").click()
    expect(page.locator("#state")).to_have_attribute("data-state", "draft")
    application_url = page.url

    def row(key: str):
        return page.locator(f'#precheck tr[data-key="{PREFIX}{key}"]')

    expect(page.locator("#precheck tbody tr")).to_have_count(7)
    expect(page.locator('#precheck tr[data-status="unmet"]')).to_have_count(5)
    expected = {  # key: (required, actual, where it is fixed)
        "net_assets": ("净资产不少于1500万元", "净资产1000万元", "/enterprise"),
        "tech_lead": (
            "技术负责人（高级及以上职称，6年以上相关经历）不少于1人",
            "符合条件0人",
            "/enterprise/staff?category=technical_lead",
        ),
        "workers": ("技术工人不少于15人", "符合条件14人", "/enterprise/staff?category=skilled_worker"),
        "performance": ("近5年交通安全设施养护业绩不少于3项", "符合条件2项", "/enterprise/projects"),
        "marking_vehicle": ("标线车不少于1台（套）", "标线车0台（套）", "/enterprise/equipment"),
    }
    for key, (required, actual, link) in expected.items():
        expect(row(key)).to_have_attribute("data-status", "unmet")
        expect(row(key).locator("td").nth(1)).to_have_text(required)
        expect(row(key).locator("td").nth(2)).to_contain_text(actual)
        expect(row(key).get_by_role("link", name="到企业空间完善")).to_have_attribute("href", link)
    for key in ("tech_staff", "pile_driver"):
        expect(row(key)).to_have_attribute("data-status", "met")
        expect(row(key).get_by_role("link", name="到企业空间完善")).to_have_count(0)

    def status(key: str) -> str | None:
        page.goto(application_url)
        return row(key).get_attribute("data-status")

    def fix_on_page(key: str, values: dict[str, str], add: bool = True) -> None:
        """From the pre-check row, follow 到企业空间完善, fill the page, save; the row turns met."""
        page.goto(application_url)
        with page.expect_navigation():
            row(key).get_by_role("link", name="到企业空间完善").click()
        if add:
            with page.expect_navigation():
                page.locator("#add-record").click()
        fill(page, values)
        if add:
            save(page)
            expect(page.locator(".alert")).to_have_count(0)
        else:
            save(page, "更新保存")
            expect(page.locator(".alert.ok")).to_have_text("已更新保存。")
        wait_for(lambda: status(key) == "met", what=f"{key} met after the 企业空间 change")

    # One standard of each kind, fixed on 企业空间's pages.
    fix_on_page("net_assets", {"net_assets_wan": "2000"}, add=False)  # finance, 基本信息
    fix_on_page(  # key_staff
        "tech_lead",
        {
            "name": "高养护",
            "id_number": resident_id(rng),
            "title": "高级工程师",
            "title_level": "senior",
            "specialty": "交通工程",
            "years_experience": "12",
        },
    )
    fix_on_page(  # skilled_staff
        "workers",
        {"name": "刘技工", "id_number": resident_id(rng), "skill_level": "senior", "specialty": "标线施工"},
    )
    fix_on_page(  # performance
        "performance",
        {
            "name": "G110国道护栏及标线养护工程",
            "client": "呼和浩特公路管理局",
            "category": "traffic_safety",
            "contract_amount_wan": "480",
            "length_km": "62.5",
            "started_on": (today - timedelta(days=400)).isoformat(),
            "completed_on": (today - timedelta(days=90)).isoformat(),
        },
    )
    fix_on_page(  # equipment
        "marking_vehicle", {"name": "热熔标线车", "kind": "标线车", "model": "BX-300", "quantity": "2"}
    )

    def state() -> str | None:
        page.goto(application_url)
        return page.locator("#state").get_attribute("data-state")

    wait_for(lambda: state() == "prechecked", what="prechecked after the records are complete")
    expect(page.locator('#precheck tr[data-status="unmet"]')).to_have_count(0)
    expect(page.locator('#precheck tr[data-status="met"]')).to_have_count(7)

    # 申报表: generate, download (a PDF naming the qualification), sign, upload the scan.
    with page.expect_navigation():
        page.get_by_role("button", name="生成申报表").click()
    expect(page.locator("#state")).to_have_attribute("data-state", "form_generated")
    download = page.request.get(web.url(page.locator("#download-form").get_attribute("href")))
    assert download.ok and download.body()[:5] == b"%PDF-"
    form_text = pdf_text(download.body())
    assert "公路养护" in form_text and "交通安全设施养护" in form_text and account["uscc"] in form_text
    assert "高养护" in form_text and "热熔标线车" in form_text  # the records fixed on the pages
    pages = len(PdfReader(io.BytesIO(download.body())).pages)
    scan = tmp_path / "签章申报表.pdf"
    scan.write_bytes(signed_scan(pages))
    page.locator('#scan-form input[type="file"]').set_input_files(str(scan))
    with page.expect_navigation():
        page.get_by_role("button", name="上传扫描件").click()
    expect(page.locator("#state")).to_have_attribute("data-state", "signed_uploaded")

    material = tmp_path / "材料.pdf"
    material.write_bytes(signed_scan(1))
    codes = upload_every_material(page, material)
    assert {"business_licence", "financial_report", "performance_proof", "equipment_proof"} <= set(codes)

    # Preview, then the commitment letter: disabled until the server's seconds have passed.
    preview_commit_and_submit(page, running_platform["permits"]["commitment_seconds"])

    application_id = application_url.rstrip("/").rsplit("/", 1)[-1]
    with engines("review").connect() as conn:

        def case_types() -> list[str]:
            return list(
                conn.execute(
                    text("select case_type from cases where case_ref = :r"),
                    {"r": f"permits:application:{application_id}"},
                ).scalars()
            )

        assert wait_for(case_types, what="the case in review's queue") == ["hmq.maintenance.new"]
    assert [e for e in web.console_errors if "favicon.ico" not in e] == []
