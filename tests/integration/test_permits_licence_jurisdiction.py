"""证书管理's licence search follows the reviewer's jurisdiction (services/common/jurisdiction.py):
a 呼和浩特市 enterprise's (region 150105) licence is found by the 呼和浩特市 city desk, the
自治区 desk, the ministry and admins; the 包头市 desk, another province's desk and a reviewer
without a desk do not find it, by number or in the at-risk list, through the real permits."""

from __future__ import annotations

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.config import nameko_config
from tests.support.permits import approve, new_enterprise, submitted_cip_application

pytestmark = pytest.mark.integration


def staff(kind: str, level: str | None, region: str | None) -> dict:
    return {"id": "00000000-0000-0000-0000-000000000001", "kind": kind, "level": level,
            "region_code": region, "permissions": [], "enterprise_id": None}


def test_find_licences_shows_a_reviewer_only_their_regions_licences(running_platform):
    with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=60) as cluster:
        actor = new_enterprise(cluster, running_platform)
        app, _ = submitted_cip_application(cluster, running_platform, actor)
        licence = approve(cluster, running_platform, actor, app)

        def finds(who: dict) -> bool:
            return licence["id"] in {found["id"] for found in cluster.permits.find_licences(
                who, licence["number"], False)}

        for who in (staff("reviewer", "city", "150100"), staff("reviewer", "province", "150000"),
                    staff("reviewer", "ministry", "000000"), staff("admin", None, None)):
            assert finds(who), who
        for who in (staff("reviewer", "city", "150200"), staff("reviewer", "province", "210000"),
                    staff("reviewer", None, None)):
            assert not finds(who), who
            listed = cluster.permits.find_licences(who, "", False)
            assert licence["id"] not in {found["id"] for found in listed}
