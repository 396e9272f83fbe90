"""统计看板 (issue 16 item 11) through the real stack: review computes processing time against
the legal limit and the desks' backlog (recorded daily by its sweep), notify answers the ratings,
the gateway draws them as SVG with tables, for a desk's reviewer (their desk) and for admins."""

from __future__ import annotations

import re
from datetime import date

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from services.common.config import database_url, nameko_config
from services.common.database import make_engine
from services.common.errors import Forbidden, ValidationFailed
from tests.integration.test_review_features import PASSWORD, new_case, staff
from tests.support.review_producer import start_review_platform, stop_review_platform
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
EXTRA = ("notify", "gateway")
DESK = ("city", "150700")  # 呼伦贝尔市: no other review test routes cases there


@pytest.fixture(scope="module")
def stack(config):
    start_review_platform(config, extra=EXTRA)
    engine = make_engine(database_url(config, "review"), pool_size=2)
    with ClusterRpcProxy(nameko_config(config, "tests"), timeout=30) as cluster:
        yield config, cluster, engine
    engine.dispose()
    stop_review_platform(config, extra=EXTRA)


def _signed_in(base: str, login: str) -> requests.Session:
    http = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get(f"{base}/login").text).group(1)
    signed = http.post(f"{base}/login", data={"csrf_token": token, "login": login, "password": PASSWORD},
                       allow_redirects=False)
    assert signed.status_code == 303
    return http


def test_dashboard_for_a_desk_and_for_admins(stack):
    config, cluster, engine = stack
    reviewer = staff(cluster, "reviewer", *DESK, "呼伦贝尔科长")
    admin = staff(cluster, "admin", None, None, "看板管理员")
    _, done_id = new_case(config, engine, region_code="150702")
    _, open_id = new_case(config, engine, region_code="150702")
    for case_id in (done_id, open_id):
        cluster.review.claim(reviewer, case_id)
        cluster.review.act(reviewer, case_id, {"action": "accept"})
    cluster.review.act(reviewer, done_id, {"action": "forward", "comment": "材料齐全，报自治区审批"})

    board = cluster.review.dashboard(reviewer)
    assert board["desk"] == {"level": "city", "desk_region": "150700"}
    rows = [r for r in board["processing"]["by_type_and_desk"]
            if r["business_type"] == "建筑施工企业安全生产许可证"]
    assert len(rows) == 1 and rows[0]["done"] >= 1 and (rows[0]["level"], rows[0]["desk_region"]) == DESK
    assert rows[0]["average_limit_days"] > 0 and rows[0]["average_days"] >= 0
    today = board["backlog"][-1]
    assert today["day"] == board["period"]["to"] and today["active"] >= 1
    assert [(d["level"], d["desk_region"]) for d in board["desks_now"]] == [DESK]  # their desk only

    with pytest.raises(Forbidden):  # another desk's figures
        cluster.review.dashboard(reviewer, {"desk": "city:150100"})
    with pytest.raises(Forbidden):
        cluster.review.dashboard({"id": "e1", "kind": "enterprise", "enterprise_id": "e1", "permissions": []})
    with pytest.raises(ValidationFailed) as bad:
        cluster.review.dashboard(reviewer, {"from": "2026-05-01", "to": "2026-04-01"})
    assert "from" in bad.value.fields

    every = cluster.review.dashboard(admin)
    assert every["desk"] is None and DESK in {(d["level"], d["desk_region"]) for d in every["desks_now"]}
    picked = cluster.review.dashboard(admin, {"desk": "city:150700"})
    assert picked["processing"]["by_type_and_desk"] == board["processing"]["by_type_and_desk"]

    # The sweep records the day's counts per desk: tomorrow's chart has today's point.
    def recorded():
        with engine.connect() as conn:
            return conn.execute(text("select active from desk_backlog_days where day = :d and level = :l "
                                     "and desk_region = :r"), {"d": date.fromisoformat(board["period"]["to"]),
                                                               "l": DESK[0], "r": DESK[1]}).scalar()
    assert wait_for(recorded, timeout=120, what="the sweep's backlog record", interval=1) >= 1

    base = f"http://{config['gateway']['host']}:{config['gateway']['port']}"
    with _signed_in(base, reviewer["login"]) as http:
        page = http.get(f"{base}/review/dashboard")
        assert page.status_code == 200 and 'href="/review/dashboard"' in page.text  # in the menu
        html = page.text
        assert html.count("<svg") >= 3 and "style=" not in html
        assert "建筑施工企业安全生产许可证" in html and "呼伦贝尔市" in html
        tables = ("processing-table", "backlog-table", "ratings-table")
        assert all(f'id="{table}"' in html for table in tables)
        assert "city:150700" not in re.sub(r"<[^>]+>", "", html)  # names, not codes
        bad_period = http.get(f"{base}/review/dashboard", params={"from": "2026-05-01", "to": "2026-04-01"})
        assert bad_period.status_code == 422 and "开始日期不能晚于结束日期" in bad_period.text
        api = http.get(f"{base}/api/v1/review/dashboard")
        assert api.status_code == 200 and api.json()["desk"]["desk_region"] == "150700"
        assert http.get(f"{base}/api/v1/review/dashboard", params={"desk": "city:150100"}).status_code == 403
    with _signed_in(base, admin["login"]) as http:
        page = http.get(f"{base}/review/dashboard", params={"desk": "city:150700"})
        assert page.status_code == 200 and '<option value="city:150700" selected>' in page.text
