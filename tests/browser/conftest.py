"""Browser fixtures: headless Debian Chromium driven by Playwright's sync API.

The platform itself (six services and the gateway as real processes) comes from the
integration fixtures; this file adds one browser per session and a fresh context per
test, which records every request the page makes and the console errors it logs, and
leaves a screenshot behind when a test fails.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    sync_playwright,
)
from playwright.sync_api import Request as PageRequest

from services.common.config import PROJECT_ROOT

# The platform's processes and servers, shared with the integration tests. Starting the
# platform twice in one session is harmless: deploy.processes reuses a running process.
from tests.integration.conftest import (  # noqa: F401
    cluster,
    config,
    engines,
    gateway,
    new_active_enterprise,
    registration_reviewer,
    running_platform,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "browser"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# Schemes that never touch the network (about:blank, inline data, in-page blobs).
OFFLINE_SCHEMES = {"about", "data", "blob"}
DEFAULT_TIMEOUT_MS = 15_000


@dataclass
class BrowserSession:
    """One fresh browser context and its page, with what the page asked the network for."""

    context: BrowserContext
    page: Page
    base_url: str
    requests: list[PageRequest] = field(default_factory=list)
    pending: set[PageRequest] = field(default_factory=set)
    console_errors: list[str] = field(default_factory=list)

    def record(self, request: PageRequest) -> None:
        self.requests.append(request)
        self.pending.add(request)

    def finished(self, request: PageRequest) -> None:
        self.pending.discard(request)

    def url(self, path: str) -> str:
        return self.base_url + path

    def foreign_requests(self) -> list[str]:
        """URLs of requests that left this machine (anything but localhost)."""
        foreign = []
        for request in self.requests:
            parts = urlsplit(request.url)
            if parts.scheme in OFFLINE_SCHEMES:
                continue
            if parts.hostname not in LOCAL_HOSTS:
                foreign.append(request.url)
        return foreign

    def posts_to(self, path: str) -> list[PageRequest]:
        return [r for r in self.requests
                if r.method == "POST" and urlsplit(r.url).path == path]


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for stale in ARTIFACTS.glob("*-failure.png"):  # from an earlier run: would mislead
        stale.unlink()
    return ARTIFACTS


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless; Playwright gives it a fresh temporary user-data-dir."""
    if not (CHROMIUM.exists() and shutil.which(str(CHROMIUM))):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package "
                    "(or deselect these tests with -m 'not browser')")
    browser = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
    )
    try:
        yield browser
    finally:
        browser.close()


_reports_key = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Keep each phase's report on the item: the web fixture screenshots failed tests."""
    report = yield
    item.stash.setdefault(_reports_key, {})[report.when] = report
    return report


@pytest.fixture
def web(request: pytest.FixtureRequest, browser: Browser, gateway: str,  # noqa: F811
        artifacts: Path) -> Iterator[BrowserSession]:
    """A fresh context (no cookies, zh-CN, 1920×1080) and page; screenshot on failure."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    browser_session = BrowserSession(context=context, page=page, base_url=gateway)
    context.on("request", browser_session.record)
    context.on("requestfinished", browser_session.finished)
    context.on("requestfailed", browser_session.finished)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            browser_session.console_errors.append(f"{message.text} ({message.location})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: browser_session.console_errors.append(str(exc)))
    try:
        yield browser_session
    finally:
        call = item_report(request.node, "call")
        if call is not None and call.failed and not page.is_closed():
            try:
                page.screenshot(path=artifacts / f"{request.node.name}-failure.png",
                                full_page=True)
            except Exception:  # a failure screenshot must never hide the real failure
                pass
        context.close()


def item_report(item: pytest.Item, when: str) -> pytest.TestReport | None:
    return item.stash.get(_reports_key, {}).get(when)
