"""Steps of the permits application wizard in the browser, shared by the browser journeys."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect


def upload_every_material(page: Page, material: Path) -> list[str]:
    """Upload ``material`` for every material row not yet uploaded; the row codes."""
    codes = page.locator("#materials tr[data-code]").evaluate_all("rows => rows.map(r => r.dataset.code)")
    for code in codes:
        row = page.locator(f'#materials tr[data-code="{code}"]')
        if "已上传" in row.inner_text():
            continue
        row.locator('input[type="file"]').set_input_files(str(material))
        with page.expect_navigation():
            row.get_by_role("button", name="上传").click()
        expect(page.locator(f'#materials tr[data-code="{code}"]')).to_contain_text("已上传")
    return codes


def preview_commit_and_submit(page: Page, commitment_seconds: float) -> None:
    """Preview, then the commitment letter (disabled until the server's seconds have passed),
    confirm and submit."""
    with page.expect_navigation():
        page.get_by_role("button", name="预览全部材料").click()
    expect(page.locator("#state")).to_have_attribute("data-state", "previewed")
    page.locator("#open-commitment").click()
    button = page.locator("#confirm-button")
    expect(button).to_be_disabled()
    expect(button).to_be_enabled(timeout=(commitment_seconds + 3) * 1000)
    with page.expect_navigation():
        button.click()
    expect(page.locator("#state")).to_have_attribute("data-state", "committed")
    with page.expect_navigation():
        page.get_by_role("button", name="提交申请").click()
    expect(page.locator("#state")).to_have_attribute("data-state", "submitted")
