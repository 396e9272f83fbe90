"""The person registration form (个人用户注册) in a real browser: a wrong resident ID number is
refused with the GB 11643 message at its field, what was typed is kept; fixed, the account is
created and the registering session shows the e-mail step."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserSession
from tests.browser.test_registration_browser import field_errors, fill_form
from tests.support.data import person_registration

pytestmark = pytest.mark.browser


def test_bad_id_number_is_refused_in_chinese_then_the_fixed_form_registers(web: BrowserSession):
    page = web.page
    page.goto(web.url("/"))
    page.get_by_role("link", name="个人用户注册").first.click()
    expect(page.locator("h1")).to_have_text("个人用户注册")
    data = person_registration()
    good_number = data["id_number"]
    bad_number = good_number[:17] + ("0" if good_number[17] != "0" else "1")
    expect(page.locator("#f-id_type")).to_have_value("resident_id")
    fill_form(page, {**{k: v for k, v in data.items() if k != "id_type"}, "id_number": bad_number,
                     "password_confirm": data["password"]})
    page.get_by_role("button", name="注册").click()

    expect(field_errors(page, "id_number")).to_have_text(["身份证号校验位不正确（GB 11643-1999），请核对"])
    expect(page.locator("#f-id_number")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-id_number")).to_have_value(bad_number)
    expect(page.locator("#f-name")).to_have_value(data["name"])
    expect(page.locator("#f-password")).to_have_value("")  # never sent back

    fill_form(page, {"id_number": good_number, "password": data["password"],
                     "password_confirm": data["password"]})
    page.get_by_role("button", name="注册").click()
    expect(page).to_have_url(web.url("/account"))
    expect(page.locator("[data-status]")).to_have_text("待验证邮箱")
    expect(page.get_by_role("cell", name=good_number)).to_be_visible()
