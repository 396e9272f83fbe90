"""业务目录维护 in the browser (issue 16 item 9): the admin opens the list, a family's history,
a version's YAML and the comparison of two versions, at desktop width and on a phone (390 px),
with the menu crawler's checks (no page wider than the viewport, no raw keys as text, axe), and
publishes a version by pasting it into the form. The crawler reaches the list and the family
page from the menu; the version and comparison pages are one link further, so they are opened
here. The previously active version is activated again at the end."""

from __future__ import annotations

import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from playwright.sync_api import Browser

from services.common.config import nameko_config
from tests.browser.test_menu_crawl_browser import (
    PASSWORD,
    VIEWPORTS,
    Role,
    accessibility_problems,
    page_problems,
    sign_in,
)
from tests.integration.test_permits_catalogue_admin import FAMILY, changed
from tests.integration.test_permits_pfl import ADMIN

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def cluster(running_platform):
    with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=60) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def admin_role(cluster) -> Role:
    username = f"catb{uuid.uuid4().hex[:9]}"
    cluster.identity.create_staff_account(None, {
        "kind": "admin", "username": username, "contact_name": "目录管理员",
        "email": f"{username}@example.com", "password": PASSWORD, "level": None, "region_code": None})
    return Role("平台管理员", username, PASSWORD)


def test_the_catalogue_pages_fit_and_show_no_raw_keys(browser: Browser, gateway: str, cluster, admin_role):
    before = cluster.permits.catalogue_history(ADMIN, FAMILY)["active"]
    shipped = cluster.permits.catalogue_version(ADMIN, FAMILY, before["number"])["text"]
    context = browser.new_context(locale="zh-CN", viewport=VIEWPORTS["desktop"])
    try:
        page = context.new_page()
        sign_in(page, gateway, admin_role)
        page.goto(f"{gateway}/admin/catalogue/{FAMILY}")
        page.locator("#f-text").fill(changed(shipped))
        page.locator("#f-comment").fill("浏览器测试：增加一项材料")
        with page.expect_navigation():
            page.get_by_role("button", name="校验并发布").click()
        assert "已发布并启用第" in page.inner_text("body")
        new = cluster.permits.catalogue_history(ADMIN, FAMILY)["active"]
        assert new["number"] > before["number"] and new["comment"] == "浏览器测试：增加一项材料"

        problems = []
        paths = ["/admin/catalogue", f"/admin/catalogue/{FAMILY}",
                 f"/admin/catalogue/{FAMILY}/versions/{new['number']}",
                 f"/admin/catalogue/{FAMILY}/diff?old={before['number']}&new={new['number']}"]
        for name, viewport in VIEWPORTS.items():
            page.set_viewport_size(viewport)
            for path in paths:
                answer = page.goto(gateway + path, wait_until="load")
                assert answer is not None and answer.status == 200, path
                found = page_problems(page) + accessibility_problems(page)
                problems += [f"{name} {path}: {p}" for p in found]
        assert problems == []
        assert page.locator("#catalogue-diff .diff-added").count() == 3
    finally:
        context.close()
        if cluster.permits.catalogue_history(ADMIN, FAMILY)["active"]["number"] != before["number"]:
            cluster.permits.activate_catalogue(ADMIN, {"family": FAMILY, "number": before["number"]})
