"""The registration slice in a real browser: zh-CN form → account → event → 我的消息.

Headless Debian Chromium through Playwright, against the real processes on the real
servers. Screenshots go to test-artifacts/browser/ (git-ignored).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import CDPSession, Locator, Page, expect
from sqlalchemy import text

from tests.browser.conftest import BrowserSession
from tests.support.data import registration

pytestmark = pytest.mark.browser

BAD_USCC = "91650100228680962X"  # the check digit of 91650100228680962 is Y
REGISTERED_TITLE = "企业账号注册成功"
MESSAGE_WAIT_SECONDS = 20


# ---- page helpers ---------------------------------------------------------------------
def field_block(page: Page, name: str) -> Locator:
    """The .field wrapper of one input: its label, the input, its hint and its errors."""
    return page.locator(".field").filter(has=page.locator(f"#f-{name}"))


def field_errors(page: Page, name: str) -> Locator:
    return field_block(page, name).locator(".error")


def fill_form(page: Page, values: dict[str, str]) -> None:
    for name, value in values.items():
        page.locator(f"#f-{name}").fill(value)


def submit_button(page: Page) -> Locator:
    return page.get_by_role("button", name="下一步")


def form_values(data: dict[str, str]) -> dict[str, str]:
    return {**data, "password_confirm": data["password"]}


def bad_values() -> dict[str, str]:
    return {**registration(), "uscc": BAD_USCC, "contact_mobile": "123",
            "password": "abc", "password_confirm": "abc"}


def submit_bad_values(web: BrowserSession) -> dict[str, str]:
    """Open /register, submit values the validators refuse; the 422 page is shown."""
    page = web.page
    page.goto(web.url("/register"))
    bad = bad_values()
    fill_form(page, bad)
    with page.expect_response(lambda r: r.request.method == "POST"
                              and r.url == web.url("/register")) as answer:
        submit_button(page).click()
    assert answer.value.status == 422, answer.value.text()
    page.wait_for_load_state()
    return bad


def reload_until(page: Page, ready: Callable[[], Any], timeout: float, what: str) -> Any:
    """Reload the page until ready() is truthy (the slice is asynchronous: an event)."""
    deadline = time.monotonic() + timeout
    while True:
        value = ready()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} did not appear within {timeout:g} s")
        page.wait_for_timeout(300)
        page.reload()


def settle(web: BrowserSession, quiet_ms: int = 500, timeout: float = 30) -> None:
    """Wait until the form was posted and no request has been in flight for quiet_ms.

    A second submit aborts the first navigation, so waiting for one URL is not enough.
    """
    page = web.page
    deadline = time.monotonic() + timeout
    quiet_since: float | None = None
    while True:
        page.wait_for_timeout(100)  # lets Playwright deliver the request events
        now = time.monotonic()
        if web.pending or not web.posts_to("/register"):
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= quiet_ms / 1000:
            break
        if now >= deadline:
            raise AssertionError(f"the page was still loading after {timeout:g} s: "
                                 f"{[r.url for r in web.pending]}")
    page.wait_for_load_state("load")


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.2)
    return value


def message_titles(page: Page) -> list[str]:
    return [t.strip() for t in page.locator("table.grid td.title").all_inner_texts()]


def assert_zh_cn_layout(page: Page) -> None:
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    expect(page.locator("header.topbar .brand")).to_have_text("资质许可网上办理平台")
    expect(page.locator("nav.sidemenu .menu-title")).to_have_text("企业空间")
    expect(page.locator("nav.sidemenu")).to_have_attribute("aria-label", "企业空间菜单")
    expect(page.locator("nav.sidemenu a")).not_to_have_count(0)


def count_accounts(engines: Callable[[str], Any], uscc: str) -> int:
    with engines("identity").connect() as conn:
        return conn.execute(text("select count(*) from accounts where uscc = :u"),
                            {"u": uscc}).scalar_one()


def account_id(engines: Callable[[str], Any], uscc: str) -> str:
    with engines("identity").connect() as conn:
        return str(conn.execute(text("select id from accounts where uscc = :u"),
                                {"u": uscc}).scalar_one())


def count_messages(engines: Callable[[str], Any], recipient_id: str) -> int:
    with engines("notify").connect() as conn:
        return conn.execute(text("select count(*) from messages where recipient_id = :a"),
                            {"a": recipient_id}).scalar_one()


# ---- tests ----------------------------------------------------------------------------
def test_bad_values_are_answered_in_chinese_next_to_their_fields(web: BrowserSession,
                                                                 artifacts: Path):
    page = web.page
    bad = submit_bad_values(web)

    expect(page).to_have_url(web.url("/register"))
    expect(page.locator(".alert")).to_have_text("提交的信息有误，请按提示修改。")
    expect(field_errors(page, "uscc")).to_contain_text("统一社会信用代码校验位不正确")
    expect(field_errors(page, "contact_mobile")).to_have_text("请输入11位大陆手机号码")
    expect(field_errors(page, "password")).to_have_text(
        ["密码至少8位", "密码须同时包含字母、数字和符号"])
    for name in ("uscc", "contact_mobile", "password"):
        expect(page.locator(f"#f-{name}")).to_have_attribute("aria-invalid", "true")
        expect(field_block(page, name)).to_have_class("field has-error")
    for name in ("contact_name", "email", "password_confirm"):
        expect(field_errors(page, name)).to_have_count(0)

    # What was typed is kept, except the passwords.
    for name in ("uscc", "contact_name", "contact_mobile", "email"):
        expect(page.locator(f"#f-{name}")).to_have_value(bad[name])
    expect(page.locator("#f-password")).to_have_value("")
    expect(page.locator("#f-password_confirm")).to_have_value("")
    assert f'value="{bad["password"]}"' not in page.content()

    assert_zh_cn_layout(page)
    page.screenshot(path=artifacts / "registration-errors.png", full_page=True)
    assert web.foreign_requests() == []


def test_fixed_values_register_and_the_message_appears(web: BrowserSession, artifacts: Path,
                                                       engines):
    page = web.page
    submit_bad_values(web)
    web.console_errors.clear()  # Chromium logs the expected 422 as "Failed to load resource"

    data = registration()
    fill_form(page, form_values(data))
    with page.expect_navigation(url=web.url("/register/enterprise")) as landed:
        submit_button(page).click()
    assert landed.value is not None and landed.value.status == 200  # on to step 2
    page.goto(web.url("/messages"))

    reload_until(page, lambda: REGISTERED_TITLE in message_titles(page), MESSAGE_WAIT_SECONDS,
                 f"the message {REGISTERED_TITLE!r} on 我的消息")
    expect(page).to_have_title("我的消息 - 资质许可网上办理平台")
    expect(page.locator("header.topbar .who")).to_have_text(f"企业账号 {data['uscc']}")
    expect(page.locator("table.grid tbody tr")).to_have_count(1)
    expect(page.locator("nav.sidemenu a.active")).to_have_text("我的消息")
    assert_zh_cn_layout(page)
    page.screenshot(path=artifacts / "registration-messages.png", full_page=True)

    assert count_accounts(engines, data["uscc"]) == 1
    # The page loaded its own stylesheet and nothing from anywhere else.
    assert any(r.url == web.url("/static/app.css") for r in web.requests)
    assert web.foreign_requests() == []
    assert web.console_errors == []


def set_latency(web: BrowserSession, latency_ms: int) -> CDPSession:
    """DevTools network emulation: each response of this page arrives latency_ms late.

    The emulation lasts as long as the returned CDP session stays attached.
    """
    cdp = web.context.new_cdp_session(web.page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": latency_ms, "downloadThroughput": -1,
        "uploadThroughput": -1,
    })
    return cdp


# How the submit button is pressed twice, and the network latency meanwhile.
DOUBLE_SUBMITS = {
    # A real double click: Chromium replaces the first submission by the second before
    # the first request leaves (Chromium 156 sends one POST).
    "dblclick": 0,
    # A second click while the first POST is in flight: the page's script lets the form
    # go once (one POST).
    "two_clicks_with_page_script": 0,
    # The same where the script does not stop it (an old browser, script blocked): two
    # POSTs with the same form_key, the first aborted by the browser but handled by the
    # gateway; the server alone must keep it to one account. 400 ms latency keeps the first
    # POST in flight when the second goes (with argon2 at OWASP's parameters a registration
    # answers in well under 150 ms here, and the race would not happen).
    "two_submits_150ms_apart": 400,
    # The same on a slow line (1.5 s latency): the second submit comes after the gateway
    # has already registered the account and rotated the session.
    "two_submits_on_slow_network": 1500,
}


@pytest.mark.parametrize("clicks", list(DOUBLE_SUBMITS))
def test_double_submit_creates_exactly_one_account(web: BrowserSession, engines, clicks: str):
    page = web.page
    page.goto(web.url("/register"))
    data = registration()
    fill_form(page, form_values(data))
    button = submit_button(page)
    latency = DOUBLE_SUBMITS[clicks]
    cdp = set_latency(web, latency) if latency else None
    if clicks == "dblclick":
        button.dblclick()
    elif clicks == "two_clicks_with_page_script":
        button.evaluate("b => { b.click(); setTimeout(() => b.click(), 150); }")
    else:
        # form.submit() fires no submit event, so the page's guard does not see it.
        gap_ms = 1000 if latency > 1000 else 150
        button.evaluate("(b, gap) => { b.click(); setTimeout(() => b.form.submit(), gap); }", gap_ms)
    settle(web)
    if cdp is not None:
        cdp.detach()  # back to full speed for the checks below
    posts = web.posts_to("/register")
    if clicks == "dblclick":
        assert len(posts) in (1, 2)
    elif clicks == "two_clicks_with_page_script":
        assert len(posts) == 1, posts
    else:
        # The race really happened: the second submit aborted the first one in flight.
        assert [p.failure for p in posts] == ["net::ERR_ABORTED", None], posts

    # Exactly one account, and (after its one event) exactly one message.
    assert count_accounts(engines, data["uscc"]) == 1
    recipient = account_id(engines, data["uscc"])
    wait_for(lambda: count_messages(engines, recipient) >= 1, MESSAGE_WAIT_SECONDS,
             "the registration message in notify's database")
    time.sleep(1.0)  # a duplicate event, if there were one, would be handled within this
    assert count_accounts(engines, data["uscc"]) == 1
    assert count_messages(engines, recipient) == 1
    assert web.foreign_requests() == []

    # Whichever POST the browser keeps, the user lands signed in to the one account: the
    # session rotated by the first POST still accepts the second one's CSRF token.
    expect(page).to_have_url(web.url("/register/enterprise"))
    expect(page.locator("header.topbar .who")).to_have_text(f"企业账号 {data['uscc']}")
    page.goto(web.url("/messages"))
    reload_until(page, lambda: REGISTERED_TITLE in message_titles(page), MESSAGE_WAIT_SECONDS,
                 f"the message {REGISTERED_TITLE!r} on 我的消息")
    assert message_titles(page) == [REGISTERED_TITLE]
