"""How personnel's rows are shown (services/personnel/views.py): the status a certificate has by
its dates, its renewal window, the declaration's state for the state machine, the catalogue."""

from __future__ import annotations

import uuid
from datetime import date
from types import SimpleNamespace

from services.personnel import declarations as rules
from services.personnel import views
from services.personnel.catalogue import default_catalogue

CAT = default_catalogue()


def cert(**over):
    base = dict(
        id=uuid.uuid4(),
        person_id=uuid.uuid4(),
        type_code="transport_safety",
        class_code="B",
        certificate_kind="safety_b",
        registration_number=None,
        qualification_number=None,
        certificate_number="蒙交安B2020001234",
        specialties=[],
        issued_on=date(2023, 7, 1),
        valid_until=date(2026, 6, 30),
        status="valid",
        enterprise_id=uuid.uuid4(),
        enterprise_name="甲公司",
        transfer_to=None,
        imported=True,
        cancelled_on=None,
        reissued_on=None,
        version=1,
    )
    return SimpleNamespace(**{**base, **over})


def test_a_certificate_shows_the_status_its_dates_give_and_its_renewal_window():
    shown = views.certificate_view(CAT, cert(), today=date(2026, 5, 1))
    assert shown["status"] == "valid" and shown["status_label"] == "有效"
    assert shown["renewal_window"] == {"opens_on": "2026-03-30", "closes_on": "2026-08-30"}
    assert shown["class_label"] == "项目负责人" and shown["number"] == "蒙交安B2020001234"
    expired = views.certificate_view(CAT, cert(), today=date(2026, 7, 15))
    assert expired["status"] == "expired" and expired["status_label"] == "已过期"
    lapsed = views.certificate_view(CAT, cert(), today=date(2026, 9, 1))
    assert lapsed["status"] == "lapsed" and lapsed["renewal_window"] is None


def test_a_stored_cancellation_wins_over_the_dates():
    shown = views.certificate_view(CAT, cert(status="cancelled"), today=date(2026, 5, 1))
    assert shown["status"] == "cancelled" and shown["status_label"] == "已注销"


def test_the_row_becomes_the_state_machine_value():
    row = SimpleNamespace(
        status="city_unaccepted",
        origin="enterprise",
        levels=["city", "province"],
        level="city",
        resume=None,
        personal_withdrawal=False,
    )
    state = views.state_of(row)
    assert state.levels == ("city", "province")
    assert rules.transition(state, "accept", actor="review").status == "under_review"


def test_the_catalogue_view_lists_every_type_with_its_operations():
    shown = views.catalogue_view(CAT)
    codes = {t["code"]: t for t in shown["types"]}
    assert set(codes) == set(CAT.types)
    initial = next(o for o in codes["constructor_2"]["operations"] if o["kind"] == "initial")
    assert initial["levels"] == ["city", "province"] and initial["exam_check"]
    assert any(a["photo"] for a in initial["attachments"])
    change = next(o for o in codes["constructor_2"]["operations"] if o["kind"] == "change")
    assert {c["code"] for c in change["change_items"]} == {"enterprise_name", "name", "id_number"}
    assert shown["id_types"]["resident_id"] == "身份证"
