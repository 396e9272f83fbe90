"""The one jurisdiction rule (services/common/jurisdiction.py) with real GB/T 2260 codes:
150000 内蒙古自治区, 150100 呼和浩特市, 150105 呼和浩特市赛罕区, 150200 包头市,
150203 包头市昆都仑区, 110000 北京市."""

from __future__ import annotations

import pytest

from services.common import jurisdiction as j

HOHHOT_CITY = {"kind": "reviewer", "level": "city", "region_code": "150100"}
BAOTOU_CITY = {"kind": "reviewer", "level": "city", "region_code": "150200"}
NEIMENGGU = {"kind": "reviewer", "level": "province", "region_code": "150000"}
BEIJING = {"kind": "reviewer", "level": "province", "region_code": "110000"}
MINISTRY = {"kind": "reviewer", "level": "ministry", "region_code": "000000"}
ADMIN = {"kind": "admin"}
CITY_PROVINCE = ["city", "province"]


@pytest.mark.parametrize(("level", "region", "desk"), [
    ("city", "150105", "150100"), ("city", "150203", "150200"), ("city", "150100", "150100"),
    ("province", "150105", "150000"), ("province", "110105", "110000"),
    ("ministry", "150105", "000000"), ("ministry", "", "000000"),
])
def test_route_region_sends_a_division_to_its_league_province_or_the_ministry(level, region, desk):
    assert j.route_region(level, region) == desk


@pytest.mark.parametrize(("level", "region"), [("city", "1501"), ("province", "15010x"), ("county", "150105"),
                                               ("city", "")])
def test_route_region_refuses_malformed_codes_and_unknown_levels(level, region):
    with pytest.raises(ValueError):
        j.route_region(level, region)


def test_desk_of_normalises_a_reviewers_region_and_refuses_non_staff():
    assert j.desk_of({"kind": "reviewer", "level": "city", "region_code": "150105"}) == ("city", "150100")
    assert j.desk_of(NEIMENGGU) == ("province", "150000")
    assert j.desk_of({"kind": "enterprise", "level": "city", "region_code": "150100"}) is None
    assert j.desk_of({"kind": "reviewer", "level": "city", "region_code": None}) is None
    assert j.desk_of({"kind": "reviewer", "level": "county", "region_code": "150105"}) is None


@pytest.mark.parametrize(("actor", "case_region", "levels", "allowed"), [
    (HOHHOT_CITY, "150105", CITY_PROVINCE, True),     # 赛罕区 lies in 呼和浩特
    (BAOTOU_CITY, "150105", CITY_PROVINCE, False),    # 包头 never reads 呼和浩特's cases
    (BAOTOU_CITY, "150203", CITY_PROVINCE, True),
    (NEIMENGGU, "150105", CITY_PROVINCE, True),
    (NEIMENGGU, "150203", ["province"], True),
    (HOHHOT_CITY, "150105", ["province"], False),     # no city step: the city desk has no part
    (BEIJING, "150105", CITY_PROVINCE, False),        # another province
    (MINISTRY, "150105", CITY_PROVINCE, False),       # the chain never reaches the ministry
    (MINISTRY, "150105", ["province", "ministry"], True),
    (ADMIN, "150105", [], True),
    ({"kind": "enterprise", "id": "x"}, "150105", CITY_PROVINCE, False),  # owners: the producer's check
    ({"kind": "person", "id": "x"}, "150105", CITY_PROVINCE, False),
    (HOHHOT_CITY, "", CITY_PROVINCE, False),          # a case without a region is nobody's
    ({"kind": "reviewer", "level": "city", "region_code": ""}, "150105", CITY_PROVINCE, False),
])
def test_may_read_case_admins_and_desks_holding_a_step(actor, case_region, levels, allowed):
    assert j.may_read_case(actor, case_region, levels) is allowed


@pytest.mark.parametrize(("actor", "prefix"), [
    (HOHHOT_CITY, "1501"), ({"kind": "reviewer", "level": "city", "region_code": "150105"}, "1501"),
    (BAOTOU_CITY, "1502"), (NEIMENGGU, "15"), (MINISTRY, ""), (ADMIN, ""),
    ({"kind": "reviewer", "level": "city", "region_code": "15"}, None),
    ({"kind": "reviewer", "level": "county", "region_code": "150105"}, None),
    ({"kind": "enterprise"}, None), ({"kind": "person"}, None),
])
def test_region_prefix_is_the_same_rule_for_sql(actor, prefix):
    assert j.region_prefix(actor) == prefix


@pytest.mark.parametrize("region", ["150105", "150100", "150203", "150000", "110105"])
@pytest.mark.parametrize("actor", [HOHHOT_CITY, BAOTOU_CITY, NEIMENGGU, BEIJING, MINISTRY])
def test_prefix_and_routing_agree(actor, region):
    prefix = j.region_prefix(actor)
    assert prefix is not None
    level = actor["level"]
    assert region.startswith(prefix) == j.holds_step(level, j.desk_of(actor)[1], region, [level])
