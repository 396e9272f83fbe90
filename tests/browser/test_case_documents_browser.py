"""A reviewer opens the documents under review in the case page (issue 16 item 1), in headless
Chromium: a 呼和浩特市 enterprise's 安全生产许可证 application and 安管人员 declaration are in the
呼和浩特市 city desk's queue; the reviewer sees every file listed with 查看 / 下载, the viewer
(an iframe of the same-origin /documents/… URL) on the 申请表, whose URL answers 200
application/pdf inline in the reviewer's session; the 包头市 reviewer gets 404 for the same URLs.

Test data (the enterprise, its application and declaration, the reviewer accounts) is set up
through RPC; what is tested is what the reviewer's browser gets. (Headless Chromium may not
render a PDF inside an iframe, so the viewer element and its URL's answer are what is checked.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import BrowserSession
from tests.browser.test_review_journey_browser import open_context, sign_in
from tests.support.permits import new_enterprise, submitted_cip_application
from tests.support.personnel import case_id_of, person_data, report, upload_required
from tests.support.personnel_pages import staff_login

pytestmark = pytest.mark.browser


def test_the_reviewer_opens_every_document_of_the_case_in_the_page(
        web: BrowserSession, browser: Browser, running_platform, cluster, engines, artifacts: Path):
    enterprise = new_enterprise(cluster, running_platform)
    assert cluster.enterprise.records_for_precheck(None, enterprise["id"])["region_code"] == "150105"
    app, _ = submitted_cip_application(cluster, running_platform, enterprise)
    app = cluster.permits.get_application(enterprise, app["id"])
    files = {a["id"]: a for a in app["attachments"]}
    case_id = case_id_of(engines, app["case_ref"])
    decl = upload_required(cluster, enterprise, cluster.personnel.new_declaration(enterprise, {
        "type_code": "safety", "kind": "new", "person": person_data("吴材料"), "form": {"class_code": "B"}}))
    assert report(cluster, enterprise, float(running_platform["personnel"]["commitment_seconds"]),
                  declaration_ids=[decl["id"]])["results"][0]["ok"]
    decl = cluster.personnel.get_declaration(enterprise, decl["id"])
    decl_case = case_id_of(engines, decl["case_ref"])
    hohhot = staff_login(cluster, "city", "150100", "呼和浩特市审核员")
    baotou = staff_login(cluster, "city", "150200", "包头市审核员")

    page = web.page
    sign_in(page, web.url(""), hohhot)
    page.goto(web.url(f"/review/cases/{case_id}"))
    listed = page.locator("#case-documents li[data-document]")
    expect(listed).to_have_count(len(files))
    for aid, attachment in files.items():
        row = page.locator(f'#case-documents li[data-document="{aid}"]')
        expect(row).to_contain_text(attachment["label"])
        expect(row.get_by_role("link", name="查看")).to_have_attribute("href", f"/documents/permits/{aid}")
        expect(row.get_by_role("link", name="下载")).to_have_attribute(
            "href", f"/documents/permits/{aid}?download=1")
    viewer = page.locator("iframe#doc-viewer")
    first = f"/documents/permits/{app['form_attachment_id']}"
    expect(viewer).to_have_attribute("data-first", first)  # the 申请表 is suggested first
    expect(viewer).to_have_attribute("title", f"材料查看：{files[app['form_attachment_id']]['label']}")
    # 查看 opens the document in the viewer, in the page (a link targeting the viewer's name)
    form_link = page.locator(f'#case-documents li[data-document="{app["form_attachment_id"]}"]').get_by_role(
        "link", name="查看")
    expect(form_link).to_have_attribute("target", "doc-viewer")
    # The viewer's URL in the reviewer's own session: the PDF itself, inline, framed by us only.
    shown = page.request.get(web.url(first))
    assert shown.status == 200 and shown.headers["content-type"] == "application/pdf"
    assert shown.headers["content-disposition"].startswith("inline;")
    assert shown.headers["x-frame-options"] == "SAMEORIGIN" and shown.body().startswith(b"%PDF")
    for aid in files:  # every document answers, the download as an attachment
        download = page.request.get(web.url(f"/documents/permits/{aid}?download=1"))
        assert download.status == 200 and download.headers["content-disposition"].startswith("attachment;")
    # The attachment rows of 申请内容 open in the same viewer.
    scan_row = page.locator(f'#case-fields tr[data-attachment="{app["signed_scan_id"]}"]')
    expect(scan_row.locator("a.doc-open")).to_have_attribute("target", "doc-viewer")
    page.screenshot(path=artifacts / "case-documents-permits.png", full_page=True)

    # The personnel declaration's files, on its case page, for the same desk.
    page.goto(web.url(f"/review/cases/{decl_case}"))
    decl_files = [a["id"] for a in decl["attachments"]]
    expect(page.locator("#case-documents li[data-document]")).to_have_count(len(decl_files))
    for aid in decl_files:
        link = page.locator(f'#case-documents li[data-document="{aid}"] a.doc-download')
        expect(link).to_have_attribute("href", f"/documents/personnel/{aid}?download=1")
        assert page.request.get(web.url(f"/documents/personnel/{aid}")).status == 200
    assert page.locator("#case-documents img.doc-thumb").count() >= 1  # the photo, as an image
    page.screenshot(path=artifacts / "case-documents-personnel.png", full_page=True)

    # Another region's reviewer: the same URLs are 404, the case page is not theirs.
    other = open_context(browser)
    try:
        outsider = other.new_page()
        sign_in(outsider, web.url(""), baotou)
        for url in [f"/documents/permits/{aid}" for aid in files] + [
                f"/documents/personnel/{aid}" for aid in decl_files]:
            assert outsider.request.get(web.url(url)).status == 404, url
        assert outsider.request.get(web.url(f"/review/cases/{case_id}")).status in (403, 404)
    finally:
        other.close()
    # (the browser's own PDF viewer asks for /favicon.ico, which the platform does not serve)
    errors = [e for e in web.console_errors if "/favicon.ico" not in e]
    assert not errors, errors
