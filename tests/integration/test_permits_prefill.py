"""申报表 fields the enterprise already gave (注册地址, 法定代表人, 联系人, 联系电话) are filled from
its record when it starts an application on /permits/new, and stay editable in the wizard
(issue 15 item 12): before, they were empty and the reviewer's case showed 无."""

from __future__ import annotations

import re

import pytest

from tests.support.registration import page_csrf

pytestmark = pytest.mark.integration


def test_form_fields_prefilled_from_the_enterprise_and_editable(
    gateway, new_active_enterprise, cluster
):
    http, _, account = new_active_enterprise()
    actor = {"id": account["id"], "kind": "enterprise", "enterprise_id": account["id"], "permissions": []}
    page = http.get(gateway + "/permits/new?type=hmq_maintenance")
    key = re.search(r'name="form_key" value="([^"]+)"', page.text).group(1)
    created = http.post(gateway + "/permits/new", allow_redirects=False, data={
        "csrf_token": page_csrf(page.text), "form_key": key, "type": "hmq_maintenance",
        "transaction_kind": "new", "lane": "normal", "grade.bridge": "乙"})
    assert created.status_code == 303, created.text
    app_id = created.headers["Location"].rsplit("/", 1)[-1]
    values = cluster.permits.get_application(actor, app_id)["values"]
    assert values["legal_representative"] == "张三"
    assert values["address"] == "呼和浩特市新城区新华大街1号"
    assert values["contact_name"] == "李四" and values["contact_phone"] == "13912345678"

    wizard = http.get(gateway + f"/permits/applications/{app_id}")
    assert 'name="values.contact_name" value="李四"' in wizard.text
    version = re.search(r'id="values-form".*?name="version" value="(\d+)"', wizard.text, re.S).group(1)
    saved = http.post(gateway + f"/permits/applications/{app_id}/values", allow_redirects=False, data={
        "csrf_token": page_csrf(wizard.text), "version": version, "values.contact_name": "王五",
        "values.contact_phone": "13700000000", "values.address": "呼和浩特市新城区新华大街1号",
        "values.legal_representative": "张三"})
    assert saved.status_code == 303
    values = cluster.permits.get_application(actor, app_id)["values"]
    assert values["contact_name"] == "王五" and values["contact_phone"] == "13700000000"
