"""我的证书 row actions (我的换证 / 遗失补办 / 延续, seed 000) and the review chains the catalogue names
(issue 15 items 11 and 13)."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest

from services.permits.catalogue import load_catalogue
from services.permits.certificate_actions import offered
from services.review import domain as review_domain
from tests.unit.test_permits_transactions import hmq_licence, pfl_licence


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


def test_a_valid_hmq_certificate_offers_replacement_reissue_and_renewal_in_seed_order(cat):
    # valid until 2026-12-16: HMQ renewal opens 6 months before (2026-06-16) and closes 3 months
    # before (2026-09-16), so on 2026-07-01 all three are offered
    actions = offered(cat.type("hmq_maintenance"), hmq_licence(), "L1", date(2026, 7, 1))
    assert [(a["kind"], a["label"]) for a in actions] == [
        ("replacement", "我的换证"), ("reissue", "遗失补办"), ("renewal", "延续")]
    assert all(a["available"] and not a["reasons"] for a in actions)
    query = parse_qs(urlparse(actions[1]["path"]).query)
    assert urlparse(actions[1]["path"]).path == "/permits/new"
    assert query == {"type": ["hmq_maintenance"], "kind": ["reissue"], "licence": ["L1"]}


def test_renewal_off_with_the_reason_after_its_deadline(cat):
    # valid until 2026-12-16; HMQ renewal must be filed at least 3 months before
    rows = offered(cat.type("hmq_maintenance"), hmq_licence(), "L1", date(2026, 10, 1))
    actions = {a["kind"]: a for a in rows}
    assert actions["reissue"]["available"] and actions["replacement"]["available"]
    assert not actions["renewal"]["available"] and "已逾期" in actions["renewal"]["reasons"][0]


def test_a_revoked_or_expired_certificate_offers_nothing_and_says_why(cat):
    revoked = offered(cat.type("hmq_maintenance"), hmq_licence(status="revoked"), "L1", date(2026, 3, 1))
    assert revoked and not any(a["available"] for a in revoked)
    assert "已撤销" in revoked[0]["reasons"][0]
    expired = offered(cat.type("hmq_maintenance"), hmq_licence(), "L1", date(2027, 1, 1))
    assert not any(a["available"] for a in expired)


def test_pfl_offers_what_its_catalogue_offers(cat):
    pfl = cat.type("pfl_power")
    kinds = [a["kind"] for a in offered(pfl, pfl_licence(), "L2", date(2026, 3, 1))]
    assert kinds == [k for k in ("replacement", "reissue", "renewal") if k in pfl.transactions]
    assert "reissue" in kinds and "renewal" in kinds


def _distinct(levels: list[str]) -> list[str]:
    return [level for n, level in enumerate(levels) if n == 0 or levels[n - 1] != level]


def test_review_chains_follow_the_catalogue(cat):
    """Every permits transaction's case goes through exactly the desks its catalogue names:
    遗失补办, 换证 and 简单变更 of HMQ to the 自治区 desk only (not via 盟市)."""
    registry = review_domain.registry()
    mismatched = {}
    for bt in cat.types.values():
        for kind in bt.transactions:
            chain = bt.review_chain(kind)
            resolved = registry.resolve(chain["case_type"])
            assert resolved is not None, chain["case_type"]
            levels = _distinct(review_domain.chain_levels(resolved))
            if levels != chain["levels"]:
                mismatched[chain["case_type"]] = (levels, chain["levels"])
    assert mismatched == {}
    reissue = registry.resolve("hmq.maintenance.reissue")
    assert reissue.steps[0].level == "province" and "accept" in reissue.steps[0].actions
    assert reissue.limit_for("standard") == 10
