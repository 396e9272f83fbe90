"""The explained pre-check: every standard kind met and unmet, required vs actual, fix links, 容缺."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from services.permits.catalogue import load_catalogue
from services.permits.precheck import OWED, evaluate, evaluate_selection

TODAY = date(2026, 11, 23)


def person(pid, category, *, title_level=None, skill_level=None, years=None, certs=(), name=None):
    return {
        "id": pid,
        "category": category,
        "name": name or f"员工{pid}",
        "title": None,
        "title_level": title_level,
        "skill_level": skill_level,
        "specialty": None,
        "years_experience": years,
        "certificates": [
            {"kind": kind, "number": f"N{pid}{kind}", "specialty": None, "valid_until": until}
            for kind, until in certs
        ],
    }


def project(pid, category, completed_on, *, kv=None, km=None, amount=None):
    return {
        "id": pid,
        "name": f"工程{pid}",
        "category": category,
        "grade": None,
        "voltage_kv": kv,
        "contract_amount_wan": amount,
        "length_km": km,
        "completed_on": completed_on,
    }


def records(**kw):
    base = {
        "enterprise_id": "e1",
        "uscc": "91650100228680962Y",
        "name": "测试公司",
        "enterprise_type": "有限责任公司",
        "region_code": "150100",
        "records_version": 7,
        "finance": {"registered_capital_wan": None, "net_assets_wan": None},
        "staff": [],
        "projects": [],
        "equipment": [],
    }
    base.update(kw)
    return base


def one(std, recs):
    result = evaluate([std], recs, today=TODAY)
    assert len(result.items) == 1
    return result.items[0]


# ---------------------------------------------------------------- finance


def test_finance_met_unmet_and_missing():
    std = {"id": "na", "kind": "finance", "field": "net_assets_wan", "min": 3000, "provenance": "published"}
    met = one(std, records(finance={"net_assets_wan": 3000, "registered_capital_wan": None}))
    assert met.met and met.actual == "净资产3000万元" and met.required == "净资产不少于3000万元"
    low = one(std, records(finance={"net_assets_wan": 2999.5, "registered_capital_wan": None}))
    assert not low.met and low.actual == "净资产2999.5万元" and low.fix_link == "/enterprise?tab=basic"
    missing = one(std, records())
    assert not missing.met and missing.actual == "未填写净资产"
    cap = {"id": "rc", "kind": "finance", "field": "registered_capital_wan", "min": 100}
    assert one(cap, records(finance={"registered_capital_wan": 150, "net_assets_wan": None})).met


# ---------------------------------------------------------------- key staff

LEAD = {
    "id": "lead",
    "kind": "key_staff",
    "label": "技术负责人",
    "category": "technical_lead",
    "title_level": "senior",
    "min_years": 10,
    "min": 1,
}


def test_key_staff_title_and_years():
    ok = one(LEAD, records(staff=[person("1", "technical_lead", title_level="senior", years=12)]))
    assert ok.met and ok.fix_link == "/enterprise?tab=staff&category=technical_lead"
    assert ok.required == "技术负责人（高级及以上职称，10年以上相关经历）不少于1人"
    low = one(
        LEAD, records(staff=[person("1", "technical_lead", title_level="intermediate", years=8, name="张三")])
    )
    assert not low.met and low.actual == "符合条件0人（技术负责人共1人）"
    assert low.details == ("张三：职称中级，要求高级及以上；相关经历8年，要求10年以上",)
    # people of another category never count
    other = one(LEAD, records(staff=[person("2", "technical_staff", title_level="senior", years=20)]))
    assert not other.met and other.actual == "符合条件0人（技术负责人共0人）"


def test_key_staff_counts_and_certificates_with_validity():
    std = {"id": "c2", "kind": "key_staff", "certificate_kinds": ["constructor_1", "constructor_2"], "min": 2}
    staff = [
        person("1", "technical_staff", certs=[("constructor_2", "2027-01-01")]),
        person("2", "technical_staff", certs=[("constructor_1", None)]),
        person("3", "technical_staff", certs=[("constructor_2", "2026-11-22")]),
    ]  # expired yesterday
    result = one(std, records(staff=staff))
    assert result.met and result.actual == "符合条件2人（全部人员共3人）"
    assert result.fix_link == "/enterprise?tab=staff"
    staff[1]["certificates"][0]["valid_until"] = "2025-01-01"
    result = one(std, records(staff=staff))
    assert not result.met and "无有效一级建造师或二级建造师证书" in result.details[0]
    # the expiry day itself still counts
    staff[2]["certificates"][0]["valid_until"] = "2026-11-23"
    assert one(std, records(staff=staff)).met


def test_key_staff_minimum_count():
    std = {
        "id": "mid",
        "kind": "key_staff",
        "category": "technical_staff",
        "title_level": "intermediate",
        "min": 3,
    }
    staff = [
        person(str(i), "technical_staff", title_level=level)
        for i, level in enumerate(["senior", "intermediate", "junior", None])
    ]
    result = one(std, records(staff=staff))
    assert not result.met and result.actual == "符合条件2人（专业技术人员共4人）"
    staff.append(person("9", "technical_staff", title_level="senior"))
    assert one(std, records(staff=staff)).met


# ---------------------------------------------------------------- skilled staff


def test_skilled_staff_levels_categories_and_certificates():
    std = {
        "id": "w",
        "kind": "skilled_staff",
        "label": "技术工人",
        "categories": ["skilled_worker"],
        "skill_level": "intermediate",
        "min": 2,
    }
    staff = [
        person("1", "skilled_worker", skill_level="senior"),
        person("2", "skilled_worker", skill_level="junior"),
        person("3", "electrician", skill_level="senior"),
    ]
    result = one(std, records(staff=staff))
    assert not result.met and result.actual == "符合条件1人（技术工人共2人）"
    assert result.fix_link == "/enterprise?tab=staff&category=skilled_worker"
    staff[1]["skill_level"] = "intermediate"
    assert one(std, records(staff=staff)).met
    hv = {
        "id": "hv",
        "kind": "skilled_staff",
        "categories": ["electrician"],
        "certificate_kinds": ["electrician"],
        "min": 1,
    }
    assert not one(hv, records(staff=staff)).met
    staff[2]["certificates"] = [
        {"kind": "electrician", "number": "E1", "specialty": None, "valid_until": None}
    ]
    assert one(hv, records(staff=staff)).met
    both = {"id": "s", "kind": "skilled_staff", "categories": ["skilled_worker", "electrician"], "min": 3}
    assert one(both, records(staff=staff)).met


# ---------------------------------------------------------------- performance


def test_performance_category_voltage_and_window():
    std = {
        "id": "p",
        "kind": "performance",
        "project_categories": ["输变电工程安装"],
        "min_voltage_kv": 110,
        "within_years": 5,
        "min": 2,
    }
    projects = [
        project("1", "输变电工程安装", "2024-01-01", kv=220),
        project("2", "输变电工程安装", "2021-11-22", kv=110),  # one day too old
        project("3", "输变电工程安装", "2025-06-30", kv=35),  # voltage too low
        project("4", "电气试验", "2025-06-30", kv=500),  # wrong category
        project("5", "输变电工程安装", None, kv=220),
    ]  # not completed
    result = one(std, records(projects=projects))
    assert not result.met and result.actual == "符合条件1项"
    assert result.required == "近5年输变电工程安装业绩（110千伏及以上）不少于2项"
    assert result.fix_link == "/enterprise?tab=projects"
    assert "工程2：完工于2021-11-22，不在近5年内" in result.details
    assert "工程3：35千伏，要求110千伏及以上" in result.details
    assert "工程5：未填写完工日期" in result.details
    assert not any(d.startswith("工程4") for d in result.details)
    projects[1]["completed_on"] = "2021-11-23"  # exactly five years: inside the window
    assert one(std, records(projects=projects)).met


def test_performance_total_length_and_amount():
    std = {
        "id": "p",
        "kind": "performance",
        "project_categories": ["路基路面养护"],
        "min_total_length_km": 150,
        "within_years": 5,
    }
    projects = [
        project("1", "路基路面养护", "2023-05-01", km=100),
        project("2", "路基路面养护", "2024-05-01", km=49.5),
    ]
    result = one(std, records(projects=projects))
    assert not result.met and result.actual == "符合条件2项，累计149.5公里"
    projects[1]["length_km"] = 50
    assert one(std, records(projects=projects)).met
    amount = {"id": "a", "kind": "performance", "min_amount_wan": 1000, "within_years": 3, "min": 1}
    assert not one(amount, records(projects=projects)).met
    projects[1]["contract_amount_wan"] = 1000  # the one inside the three-year window
    assert one(amount, records(projects=projects)).met


# ---------------------------------------------------------------- equipment


def test_equipment_sums_quantities_of_the_kind():
    std = {"id": "r", "kind": "equipment", "equipment_kind": "压路机", "min": 3}
    equipment = [
        {"id": "1", "name": "双钢轮", "kind": "压路机", "model": "XD", "quantity": 2},
        {"id": "2", "name": "摊铺机", "kind": "沥青混凝土摊铺机", "model": None, "quantity": 5},
    ]
    result = one(std, records(equipment=equipment))
    assert (
        not result.met
        and result.actual == "压路机2台（套）"
        and result.fix_link == "/enterprise?tab=equipment"
    )
    equipment.append({"id": "3", "name": "压路机", "kind": None, "model": None, "quantity": 1})
    assert one(std, records(equipment=equipment)).met


# ---------------------------------------------------------------- any_of


def test_any_of_met_when_one_option_is():
    std = {
        "id": "c",
        "kind": "any_of",
        "label": "建造师",
        "options": [
            {
                "id": "c1",
                "kind": "key_staff",
                "label": "一级建造师",
                "certificate_kinds": ["constructor_1"],
                "min": 1,
            },
            {
                "id": "c2",
                "kind": "key_staff",
                "label": "二级建造师",
                "certificate_kinds": ["constructor_2"],
                "min": 4,
            },
        ],
    }
    staff = [person(str(i), "technical_staff", certs=[("constructor_2", None)]) for i in range(3)]
    result = one(std, records(staff=staff))
    assert not result.met and result.required.startswith("以下任一：")
    assert "二级建造师：符合条件3人" in result.actual
    staff.append(person("9", "technical_staff", certs=[("constructor_2", None)]))
    assert one(std, records(staff=staff)).met
    assert one(std, records(staff=[person("x", "technical_lead", certs=[("constructor_1", None)])])).met


# ---------------------------------------------------------------- whole results


def test_every_standard_is_reported_and_owed_items_do_not_block():
    stds = [
        {"id": "na", "kind": "finance", "field": "net_assets_wan", "min": 10},
        {"id": "eq", "kind": "equipment", "equipment_kind": "压路机", "min": 1},
    ]
    recs = records(finance={"net_assets_wan": 5, "registered_capital_wan": None})
    result = evaluate(stds, recs, today=TODAY)
    assert [i.id for i in result.items] == ["na", "eq"] and not result.passed and len(result.unmet) == 2
    assert result.summary() == "共2项标准，符合0项，不符合2项"
    owed = evaluate(stds, recs, today=TODAY, owed=["eq"])
    assert [i.status for i in owed.items] == ["unmet", OWED] and not owed.passed
    both = evaluate(stds, recs, today=TODAY, owed=["eq", "na"])
    assert both.passed and both.accepted_with_owed and both.summary().endswith("容缺后补2项")
    data = both.to_dict()
    assert (
        data["passed"] and data["records_version"] == 7 and data["items"][1]["status_label"] == "容缺（后补）"
    )


def test_deterministic_with_injected_date():
    std = {"id": "p", "kind": "performance", "within_years": 1, "min": 1}
    recs = records(projects=[project("1", "x", "2026-01-10")])
    assert evaluate([std], recs, today=date(2026, 11, 23)).passed
    assert not evaluate([std], recs, today=date(2027, 1, 11)).passed
    assert evaluate([std], copy.deepcopy(recs), today=TODAY) == evaluate([std], recs, today=TODAY)


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def _pfl_five_records():
    staff = [
        person("tl", "technical_lead", title_level="junior", years=3),
        person("sl", "safety_lead", title_level="intermediate", years=4),
    ]
    staff += [person(f"t{i}", "technical_staff", title_level="junior") for i in range(5)]
    staff += [person(f"e{i}", "electrician", certs=[("electrician", "2030-01-01")]) for i in range(3)]
    staff += [person(f"w{i}", "skilled_worker") for i in range(2)]
    return records(
        staff=staff,
        projects=[
            project("1", "输变电工程安装", "2025-03-01", kv=10),
            project("2", "电气试验", "2025-03-01"),
        ],
        equipment=[
            {"id": "q", "name": "机具", "kind": "施工机具", "model": None, "quantity": 3},
            {"id": "r", "name": "仪器", "kind": "试验仪器", "model": None, "quantity": 3},
        ],
    )


def test_real_catalogue_pfl_grade_five_passes_and_four_explains(catalogue):
    pfl = catalogue.type("pfl_power")
    recs = _pfl_five_records()
    assert evaluate_selection(pfl, [("install", "五级")], recs, today=TODAY).passed
    both = evaluate_selection(pfl, [("install", "五级"), ("test", "四级")], recs, today=TODAY)
    assert not both.passed
    unmet = {i.key for i in both.unmet}
    assert unmet == {
        "test.四级.tech_staff",
        "test.四级.skilled",
        "test.四级.hv_electricians",
        "test.四级.performance",
        "test.四级.equipment",
    }
    assert all(i.category == "test" and i.grade == "四级" for i in both.unmet)
    owed = evaluate_selection(
        pfl, [("install", "五级"), ("test", "四级")], recs, today=TODAY, owed=["test.四级.equipment"]
    )
    assert "test.四级.equipment" in {i.key for i in owed.owed}


def test_real_catalogue_hmq_incomplete_enterprise(catalogue):
    hmq = catalogue.type("hmq_maintenance")
    result = evaluate_selection(hmq, [("safety_facility", "不分级")], records(), today=TODAY)
    assert not result.passed and len(result.unmet) == len(result.items) == 7
    links = {i.id: i.fix_link for i in result.items}
    assert links["net_assets"] == "/enterprise?tab=basic"
    assert links["tech_lead"] == "/enterprise?tab=staff&category=technical_lead"
    assert (
        links["performance"] == "/enterprise?tab=projects"
        and links["marking_vehicle"] == "/enterprise?tab=equipment"
    )
    with pytest.raises(ValueError, match="一次只能申请一个类别"):
        evaluate_selection(hmq, [("bridge", "甲"), ("tunnel", "乙")], records(), today=TODAY)
    with pytest.raises(KeyError, match="没有“丙”等级"):
        evaluate_selection(hmq, [("bridge", "丙")], records(), today=TODAY)


def test_performance_matches_the_enterprise_code_by_its_label():
    """Enterprise records carry category codes with labels; the catalogue names the labels."""
    from services.enterprise.domain import PROJECT_CATEGORIES

    std = {"id": "p", "kind": "performance", "project_categories": ["路基路面养护"],
           "min": 1, "within_years": 5}
    coded = project("1", "roadbed_pavement", "2024-05-01", km=10)
    assert not one(std, records(projects=[coded])).met  # a bare code does not match a label
    coded["category_label"] = PROJECT_CATEGORIES["roadbed_pavement"]
    assert one(std, records(projects=[coded])).met


def test_every_catalogue_project_category_is_an_enterprise_category_label():
    from services.enterprise.domain import PROJECT_CATEGORIES

    catalogue = load_catalogue()
    labels = set(PROJECT_CATEGORIES.values())
    named = [category for business_type in catalogue.types.values()
             for category in (business_type.vocabulary or {}).get("project_categories") or []]
    assert len(named) >= 7  # HMQ's four and PFL's three
    assert set(named) <= labels
