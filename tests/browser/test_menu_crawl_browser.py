"""Every role's menu in headless Chromium (issue 16 item 2): an approved enterprise, its
sub-account, a person, a city / province / ministry reviewer and an admin sign in; the crawler
opens every menu entry and every same-origin link on those pages (GET only, one address per
route pattern, no logout or links that change something) and fails on any 4xx/5xx answer and
on any page wider than the viewport, at desktop width and on a phone (390 px), and on raw codes
and internal keys shown as text (region codes, status keys, case references; issue 16 item 4);
axe-core checks every page too, at both widths (no serious or critical violation, item 10).
Each role's start page (and the verify and rating pages at 390 px) is saved as a screenshot
under test-artifacts/browser/pages/."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from nameko.standalone.rpc import ClusterRpcProxy
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map

from gateway.views import VIEW_CLASSES
from services.common.config import nameko_config
from services.common.localtime import BEIJING
from services.common.regions import region_name
from services.review import clock
from tests.browser.conftest import ARTIFACTS, DEFAULT_TIMEOUT_MS
from tests.support.data import registration
from tests.support.enterprise import submit_registration_profile
from tests.support.persons import verified_person
from tests.support.registration import (
    PASSWORD,
    province_reviewer,
    registration_case,
    verify_email,
)

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "390": PHONE}
SHOTS = ARTIFACTS / "pages"
# What people must never read on a page (visible text only; form values and addresses do not
# count): GB/T 2260 region codes of Inner Mongolia standing alone, uuids, case references
# (permits:application:<id>), dotted case types (pfl.power.new) and snake_case / status keys.
RAW_CODES = {
    "region code": re.compile(r"(?<![0-9A-Za-z_*-])15\d{4}(?![0-9A-Za-z_*-])"),
    "uuid": re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    "case reference": re.compile(r"\b[a-z]+:[a-z_]+:[0-9A-Za-z-]{6,}"),
    "case type": re.compile(r"(?<![0-9A-Za-z_.@/])[a-z]{2,}\.[a-z_]+\.[a-z_*]+(?![0-9A-Za-z_.@/])"),
    "internal key": re.compile(r"(?<![0-9A-Za-z_@.-])(?:[a-z]+_[a-z_]+|draft|submitted|province|city|"
                               r"ministry|pending|approved|rejected)(?![0-9A-Za-z_@.-])"),
}
# The page's text as shown, less technical blocks meant to be read raw (a dead letter's payload
# in <pre>, a secret in <code>): hidden for the reading, then shown again.
VISIBLE_TEXT = """() => {
    const raw = [...document.querySelectorAll('pre, code')].filter(e => e.style.display !== 'none');
    raw.forEach(e => { e.style.display = 'none'; });
    const text = document.body.innerText;
    raw.forEach(e => { e.style.display = ''; });
    return text;
}"""
MAX_PAGES_PER_ROLE = 80
# Issue 16 item 10: axe-core (shipped inside axe-playwright-python, no network) on every page at
# desktop width and at 390 px (the folded menu, stacked tables and forms are other markup to
# check); a serious or critical violation fails (an input without a label is critical).
AXE = Axe()
AXE_FAILING = ("serious", "critical")
# GET addresses that change something or end the session: never followed.
SIDE_EFFECTS = (
    re.compile(r"^/logout"),
    re.compile(r"^/verify-email"),
    re.compile(r"^/password/reset"),
    re.compile(r"^/login"),          # would show the sign-in form (a fresh login is not the point)
    re.compile(r"^/register"),
    re.compile(r"/revoke$"),
    # starts a background export whose page reloads itself until the file is ready (the
    # renewal browser test opens it): a reload mid-check would destroy the page's context
    re.compile(r"^/personnel/registered/export-job"),
)
_IDENTIFIER = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"  # uuid
    r"|[a-z_]+:[a-z_.]+:[^/?#]+"                                                         # case refs
    r"|\d+")


_ROUTES = Map([rule.empty() for views in VIEW_CLASSES for rule in views.ROUTES]).bind("localhost")


def route_pattern(url: str) -> str:
    """The route an address belongs to (the gateway's endpoint, else the path with identifiers
    replaced), with the names of its query parameters (not their values)."""
    parts = urlsplit(url)
    try:
        route = _ROUTES.match(parts.path, method="GET")[0]
    except HTTPException:  # not a route of the gateway (a static file, a 404 to report)
        route = _IDENTIFIER.sub("{}", parts.path)
    keys = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return str(route) + (("?" + "&".join(keys)) if keys else "")


@dataclass
class Role:
    name: str
    login: str
    password: str
    key: str = ""


@dataclass
class Crawl:
    base: str
    accessibility: bool = False
    seen: set[str] = field(default_factory=set)
    visited: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def wanted(self, url: str) -> str | None:
        """The same-origin path worth visiting, or None (elsewhere, side effects, seen)."""
        absolute = urljoin(self.base + "/", url)
        parts = urlsplit(absolute)
        if f"{parts.scheme}://{parts.netloc}" != self.base or parts.scheme not in ("http", "https"):
            return None
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if any(rule.search(parts.path) for rule in SIDE_EFFECTS):
            return None
        pattern = route_pattern(path)
        if pattern in self.seen:
            return None
        self.seen.add(pattern)
        return path


def page_problems(page: Page) -> list[str]:
    """What is wrong with the page on screen (more checks hook in here)."""
    problems = []
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if width[0] > width[1]:
        problems.append(f"wider than the viewport ({width[0]} > {width[1]} px; widest: {widest(page)})")
    text = page.evaluate(VISIBLE_TEXT)
    for what, pattern in RAW_CODES.items():
        found = sorted({m.group(0) for m in pattern.finditer(text)})
        if what == "region code":  # only real divisions: random certificate numbers hold 15xxxx too
            found = [code for code in found if not region_name(code).startswith("未知地区")]
        if found:
            problems.append(f"{what} shown as text: {', '.join(found[:5])}")
    return problems


def accessibility_problems(page: Page) -> list[str]:
    """axe-core's serious and critical violations, each with the first elements it names."""
    violations = AXE.run(page).response.get("violations", [])
    return [f"axe {v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(str(node.get("target")) for node in v.get("nodes", [])[:3])
            for v in violations if v.get("impact") in AXE_FAILING]


def widest(page: Page) -> str:
    """The elements that stick out past the viewport's right edge (to say what to fix)."""
    return page.evaluate("""() => {
        const out = [];
        for (const e of document.querySelectorAll('body *')) {
            const r = e.getBoundingClientRect();
            if (r.right > window.innerWidth + 1 && out.length < 3 &&
                !out.some(o => o.el.contains(e))) {
                out.push({el: e, text: e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                          (typeof e.className === 'string' && e.className ?
                           '.' + e.className.split(' ')[0] : '') +
                          ' ' + Math.round(r.right) + 'px'});
            }
        }
        return out.map(o => o.text).join('; ');
    }""")


def visit(page: Page, crawl: Crawl, path: str) -> list[str]:
    """Open ``path``; the same-origin links on it (when it is a page)."""
    if len(crawl.visited) >= MAX_PAGES_PER_ROLE:
        crawl.problems.append(f"{path}: not visited, more than {MAX_PAGES_PER_ROLE} route patterns")
        return []
    crawl.visited.append(path)
    try:
        answer = page.goto(crawl.base + path, wait_until="load")
    except PlaywrightError as exc:  # a download (PDF, Excel): its status is enough
        if "Download is starting" not in str(exc):
            raise
        answer = page.request.get(crawl.base + path)
        if answer.status >= 400:
            crawl.problems.append(f"{path}: HTTP {answer.status}")
        return []
    if answer is None:
        return []
    if answer.status >= 400:
        crawl.problems.append(f"{path}: HTTP {answer.status}")
        return []
    if "text/html" not in answer.headers.get("content-type", ""):  # an image, a PDF shown inline
        return []
    crawl.problems.extend(f"{path}: {problem}" for problem in page_problems(page))
    if crawl.accessibility:
        crawl.problems.extend(f"{path}: {problem}" for problem in accessibility_problems(page))
    return page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")


def sign_in(page: Page, base: str, role: Role) -> None:
    page.goto(base + "/login")
    page.locator("#f-login").fill(role.login)
    page.locator("#f-password").fill(role.password)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert "/login" not in page.url, f"{role.name} could not sign in ({page.url})"


def crawl_role(browser: Browser, base: str, role: Role, viewport: str = "desktop") -> Crawl:
    context = browser.new_context(locale="zh-CN", viewport=VIEWPORTS[viewport])
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        page = context.new_page()
        sign_in(page, base, role)
        crawl = Crawl(base, accessibility=True)  # axe at 1280 px and at 390 px
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"start-{role.key}-{viewport}.png"), full_page=True)
        crawl.problems.extend(f"start page {page.url}: {p}" for p in page_problems(page))
        if crawl.accessibility:
            crawl.problems.extend(f"start page: {p}" for p in accessibility_problems(page))
        menu = page.eval_on_selector_all("nav.sidemenu a[href]",
                                         "links => links.map(a => a.getAttribute('href'))")
        assert menu, f"{role.name}: no menu after signing in"
        menu_pages = [p for p in (crawl.wanted(href) for href in menu) if p]
        found: list[str] = []
        for path in menu_pages:
            found += visit(page, crawl, path)
        for href in found:
            path = crawl.wanted(href)
            if path is not None:
                visit(page, crawl, path)
        return crawl
    finally:
        context.close()


def staff_account(cluster, kind: str, level: str | None, region: str | None, name: str) -> Role:
    username = f"crawl{uuid.uuid4().hex[:10]}"
    cluster.identity.create_staff_account(None, {
        "kind": kind, "username": username, "contact_name": name, "email": f"{username}@example.com",
        "password": PASSWORD, "level": level, "region_code": region})
    return Role(name, username, PASSWORD)


def waiting_registration(gateway: str, config: dict) -> str:
    """An enterprise registered (both steps, e-mail verified) whose review is still open."""
    data = {**registration(), "password": PASSWORD}
    created = requests.post(gateway + "/api/v1/accounts", json=data, timeout=30)
    assert created.status_code == 201, created.text
    verify_email(config, data["email"])
    submit_registration_profile(config, created.json()["id"])
    return created.json()["id"]


@pytest.fixture(scope="module")
def roles(gateway, running_platform, new_active_enterprise) -> Iterator[dict[str, Role]]:
    _, _, account = new_active_enterprise()
    with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=30) as cluster:
        sub_login = f"sub{uuid.uuid4().hex[:9]}"
        cluster.identity.create_sub_account(account["id"], {
            "username": sub_login, "contact_name": "子账号经办人", "email": f"{sub_login}@example.com",
            "password": PASSWORD, "permissions": ["enterprise", "personnel", "permits"]})
        person = verified_person(cluster, running_platform)
        # An open case in the province queue (a registration waiting for review): the crawler
        # opens the case page from 审核工作台 too.
        province = province_reviewer(cluster, PASSWORD, name="自治区审核员")
        registration_case(cluster, province, waiting_registration(gateway, running_platform))
        yield {
            "enterprise": Role("企业主账号", account["uscc"], PASSWORD),
            "sub": Role("子账号", sub_login, PASSWORD),
            "person": Role("个人用户", person["id_number"], person["password"]),
            "city": staff_account(cluster, "reviewer", "city", "150100", "盟市审核员"),
            "province": Role("自治区审核员", province["login"], PASSWORD),
            "ministry": staff_account(cluster, "reviewer", "ministry", "100000", "部级审核员"),
            "admin": staff_account(cluster, "admin", None, None, "平台管理员"),
        }


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("role", ["enterprise", "sub", "person", "city", "province", "ministry", "admin"])
def test_every_menu_entry_and_the_links_on_it_open(browser: Browser, gateway: str, roles, role, viewport):
    roles[role].key = role
    crawl = crawl_role(browser, gateway, roles[role], viewport)
    assert crawl.visited, f"{role}: nothing visited"
    assert crawl.problems == [], f"{roles[role].name} at {viewport} ({len(crawl.visited)} pages):\n" + \
        "\n".join(crawl.problems)


@pytest.mark.parametrize("role", ["enterprise", "city", "admin"])
def test_each_role_lands_on_a_start_page_that_says_what_to_do_next(browser: Browser, gateway: str, roles,
                                                                   role):
    """Issue 16 item 3: signing in leads to the role's 首页, not to the anonymous welcome page."""
    context = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    try:
        page = context.new_page()
        sign_in(page, gateway, roles[role])
        assert urlsplit(page.url).path == "/", page.url
        body = page.locator("main").inner_text()
        assert "新用户注册" not in body and "首页" in body
        expected = {"enterprise": ["待办事项", "办理中的申请", "待完成的申报", "需要关注的证书"],
                    "city": ["待办案件", "已超期", "7 日内到期"],
                    "admin": ["全平台待办案件", "积压最多的审核队列"]}[role]
        for heading in expected:
            assert heading in body, (heading, body[:400])
        if role != "enterprise":  # the desk's counts are numbers, one per card
            assert page.locator("#desk-counts [data-count]").count() >= 4
    finally:
        context.close()


def test_the_menu_folds_on_a_phone_and_the_rating_and_verify_pages_fit(browser: Browser, gateway: str, roles):
    """Issue 16 item 5: at 390 px the left menu hides behind 菜单 and opens on a tap; the pages
    people open from a QR code (好差评, 证书核验) fit the screen."""
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page = context.new_page()
        sign_in(page, gateway, roles["admin"])
        menu_link = page.locator('nav.sidemenu a[href="/admin/staff"]')
        assert not menu_link.is_visible()
        page.get_by_role("button", name="菜单").click()
        assert menu_link.is_visible()
        page.goto(gateway + "/ratings/qr")
        page.locator('input[name="mode"][value="visit"]').check()  # 一次一评: no case to name
        page.get_by_role("button", name="生成二维码").click()
        rating_url = page.locator("#rating-url").get_attribute("href")
        page.screenshot(path=str(SHOTS / "rating-qr-390.png"), full_page=True)
        anonymous = browser.new_context(locale="zh-CN", viewport=PHONE)
        try:
            phone = anonymous.new_page()
            for name, url in (("rating", rating_url), ("verify", gateway + "/verify/unknown-token")):
                phone.goto(url)
                phone.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
                assert page_problems(phone) == [], (name, page_problems(phone))
        finally:
            anonymous.close()
    finally:
        context.close()


def test_admins_see_that_a_holiday_notice_is_missing_and_reviewers_do_not(browser: Browser, gateway: str,
                                                                           roles):
    """Issue 15 item 1: the legal clock counts only statutory holidays for a year whose State
    Council notice is not in services/review/data/holidays.txt; the admin pages say so."""
    missing = clock.missing_notice_years(datetime.now(BEIJING).date(), clock.default_calendar())
    for role, expected in (("admin", missing), ("city", [])):
        context = browser.new_context(locale="zh-CN", viewport=DESKTOP)
        try:
            page = context.new_page()
            sign_in(page, gateway, roles[role])
            page.goto(gateway + "/review/workload")
            banners = page.locator('[data-code="holiday_notice_missing"]').all_inner_texts()
            assert len(banners) == len(expected), banners
            for year, banner in zip(expected, banners, strict=True):
                assert f"{year}年部分节假日安排通知" in banner
        finally:
            context.close()
