from datetime import UTC, datetime

from services.common.contracts.review import ReviewRequestedData
from services.identity import domain
from services.identity.domain import normalise_registration, password_problems, registration_errors

GOOD = {"uscc": "91650100228680962y ", "contact_name": "张三", "contact_mobile": "13800138000",
        "email": "Clerk@Example.com", "password": "Qlp#2026pass", "password_confirm": "Qlp#2026pass"}


def codes(problems):
    return {p["code"] for p in problems}


def test_good_registration_has_no_errors_after_normalising():
    data = normalise_registration(GOOD)
    assert data["uscc"] == "91650100228680962Y"
    assert data["email"] == "clerk@example.com"
    assert registration_errors(data, taken=set()) == {}


def test_every_bad_field_is_reported_at_once_in_chinese():
    data = normalise_registration({"uscc": "123", "contact_name": "张", "contact_mobile": "12345",
                                   "email": "x", "password": "short", "password_confirm": "other"})
    errors = registration_errors(data, taken=set())
    assert set(errors) == {"uscc", "contact_name", "contact_mobile", "email", "password",
                           "password_confirm"}
    assert errors["uscc"][0]["code"] == "length"
    assert all(not e["message"].isascii() for field in errors.values() for e in field)


def test_taken_uscc_and_mobile():
    errors = registration_errors(normalise_registration(GOOD), taken={"uscc", "contact_mobile"})
    assert errors["uscc"][0]["code"] == "taken"
    assert errors["contact_mobile"][0]["code"] == "taken"


def test_password_rules():
    assert codes(password_problems("abcdefgh")) == {"weak"}
    assert codes(password_problems("abc1234!")) == set()
    assert "too_short" in codes(password_problems("a1!"))
    assert "common" in codes(password_problems("P@ssw0rd"))
    assert "personal" in codes(password_problems("x13800138000!", mobile="13800138000"))
    assert "personal" in codes(password_problems("91650100228680962y!", uscc="91650100228680962Y"))


def test_api_registration_without_confirm_box_is_fine():
    data = normalise_registration({**GOOD, "password_confirm": None})
    assert registration_errors(data, taken=set()) == {}


def test_new_login_errors_names_every_bad_field():
    errors = domain.new_login_errors("ab", "张", "not-an-email", "short", username_taken=False)
    assert set(errors) == {"username", "contact_name", "email", "password"}
    assert errors["username"][0]["code"] == "invalid"


def test_new_login_errors_reports_a_taken_username_only_when_it_is_valid():
    assert domain.new_login_errors("clerk001", "张三", "a@b.cn", "Str0ng!pass",
                                   username_taken=True) == {
        "username": [{"code": "taken", "message": "该用户名已被使用"}]}
    assert domain.new_login_errors("clerk001", "张三", "a@b.cn", "Str0ng!pass",
                                   username_taken=False) == {}


def test_totp_code_is_accepted_once_and_only_within_the_drift_window():
    from datetime import UTC, datetime, timedelta

    import pyotp

    secret = pyotp.random_base32()
    now = datetime(2026, 11, 23, 8, 0, 10, tzinfo=UTC)
    totp = pyotp.TOTP(secret)
    code = totp.at(now)
    step = domain.accepted_totp_step(secret, code, now, None)
    assert step == totp.timecode(now)
    assert domain.accepted_totp_step(secret, code, now, last_step=step) is None  # replay
    # the next step's code is still good after this one was used; two steps ahead is not
    assert domain.accepted_totp_step(secret, totp.at(now + timedelta(seconds=30)), now, step) == step + 1
    assert domain.accepted_totp_step(secret, totp.at(now + timedelta(seconds=60)), now, None) is None
    assert domain.accepted_totp_step(secret, totp.at(now - timedelta(seconds=30)), now, None) == step - 1


# ---- person accounts (个人用户) ------------------------------------------------------------------
PERSON = {"name": " 王 个人 ", "id_type": "resident_id", "id_number": " 11010519491231002x ",
          "mobile": "13900139000", "email": "Wang@Example.com", "password": "Qlp#2026pass",
          "password_confirm": "Qlp#2026pass"}


def test_person_registration_normalises_the_id_number_as_personnel_does():
    data = domain.normalise_person_registration(PERSON)
    assert data["id_number"] == "11010519491231002X"
    assert data["name"] == "王 个人" and data["email"] == "wang@example.com"
    assert domain.person_registration_errors(data, taken=set()) == {}


def test_person_registration_refuses_a_bad_resident_id_with_the_gb11643_message():
    data = domain.normalise_person_registration({**PERSON, "id_number": "110105194912310021"})
    errors = domain.person_registration_errors(data, taken=set())
    assert errors["id_number"][0]["code"] == "check_digit"
    assert "校验位" in errors["id_number"][0]["message"]


def test_person_registration_reports_every_field_and_taken_values():
    data = domain.normalise_person_registration({
        "name": "", "id_type": "resident_id", "id_number": "12345", "mobile": "1", "email": "x",
        "password": "short", "password_confirm": "other"})
    errors = domain.person_registration_errors(data, taken=set())
    assert set(errors) == {"name", "id_number", "mobile", "email", "password", "password_confirm"}
    assert errors["id_number"][0]["code"] == "length"
    taken = domain.person_registration_errors(domain.normalise_person_registration(PERSON),
                                              taken={"id_number", "mobile"})
    assert {e["code"] for e in taken["id_number"]} == {"taken"}
    assert {e["code"] for e in taken["mobile"]} == {"taken"}


def test_person_registration_checks_other_id_types_and_the_type_itself():
    passport = domain.normalise_person_registration({**PERSON, "id_type": "passport",
                                                     "id_number": "e12345678"})
    assert passport["id_number"] == "E12345678"
    assert domain.person_registration_errors(passport, taken=set()) == {}
    unknown = domain.normalise_person_registration({**PERSON, "id_type": "driving_licence"})
    assert domain.person_registration_errors(unknown, taken=set())["id_type"][0]["code"] == "id_type"


def test_person_password_may_not_contain_the_id_number():
    data = domain.normalise_person_registration({**PERSON, "password": "a!11010519491231002X",
                                                 "password_confirm": None})
    assert "personal" in codes(domain.person_registration_errors(data, taken=set())["password"])


def test_persons_skip_registration_review():
    assert domain.status_after_email_verified(True, "person") == domain.ACCOUNT_ACTIVE
    assert domain.status_after_email_verified(True, "enterprise") == domain.ACCOUNT_PENDING_REVIEW
    assert domain.status_after_email_verified(False, "enterprise") == domain.ACCOUNT_ACTIVE


def test_login_candidates_cover_case_and_spaces_of_an_id_number():
    assert domain.login_candidates(" 1101 0519 4912 31002x ")[0] == "1101 0519 4912 31002X"
    assert "11010519491231002X" in domain.login_candidates(" 1101 0519 4912 31002x ")
    assert domain.login_candidates("subuser1") == ["SUBUSER1", "subuser1"]
    assert domain.login_candidates("南字第1234567号") == ["南字第1234567号"]
    assert domain.login_candidates("   ") == []
    assert domain.login_candidates("x" * 65) == []


# ---- registration review as a review case ----------------------------------------------------
def test_registration_case_carries_both_steps_and_the_scans():
    account = {"id": "a1b2", "uscc": "91650100228680962Y", "contact_name": "李四", "email": "l@example.com"}
    profile = {"name": "甲电力公司", "region_code": "150105", "legal_representative": "张三",
               "business_scope": None,
               "files": {"business_licence": {"id": "f1", "filename": "执照.pdf", "sha256": "a" * 64}}}
    at = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    data = domain.registration_case(account, profile, 2, at)
    assert data["case_ref"] == "identity:registration:a1b2" and data["case_type"] == "identity.registration"
    assert (data["enterprise_id"], data["enterprise_name"], data["region_code"], data["revision"]) == (
        "a1b2", "甲电力公司", "150105", 2)
    assert data["fields"]["uscc"] == {"label": "统一社会信用代码", "value": "91650100228680962Y"}
    assert data["fields"]["legal_representative"] == {"label": "法定代表人", "value": "张三"}
    assert data["fields"]["business_scope"]["value"] is None
    assert data["attachments"] == [{"id": "f1", "label": "营业执照（副本）", "filename": "执照.pdf",
                                    "sha256": "a" * 64}]  # the ID scan is missing: not invented
    assert ReviewRequestedData().validate(ReviewRequestedData().dump(data)) == {}


def test_registration_case_is_due_once_per_round_and_again_for_a_newer_step_two():
    due = domain.registration_case_due
    first = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    again = datetime(2026, 1, 6, 2, 0, tzinfo=UTC)
    assert due("enterprise", "pending_review", first, False, None)
    assert not due("enterprise", "pending_review", first, True, first)        # that case is open
    assert due("enterprise", "pending_review", again, True, first)            # step 2 sent again
    assert not due("enterprise", "pending_review", None, False, None)         # no step 2 yet
    assert not due("enterprise", "pending_email_verification", first, False, None)
    assert not due("enterprise", "rejected", again, False, first)             # until 前往修改
    assert not due("sub", "pending_review", first, False, None)
    assert domain.registration_account_of("identity:registration:a1") == "a1"
    assert domain.registration_account_of("permits:application:a1") is None


def test_an_unknown_login_is_checked_against_a_decoy_hash_with_the_live_parameters():
    """The same argon2 work for an unknown login as for a wrong password (no timing oracle)."""
    from services.identity.usecases import _support

    decoy = _support._decoy_hash()
    assert decoy is _support._decoy_hash()  # computed once
    assert not _support._hasher.check_needs_rehash(decoy)
    assert _support._password_matches(decoy, "any password") is False


def test_who_may_reset_whose_password():
    from services.identity.domain import reset_refusal

    assert reset_refusal("admin", "reviewer", False) is None
    assert reset_refusal("admin", "enterprise", False) is None
    assert reset_refusal("reviewer", "enterprise", False) is None
    assert reset_refusal("reviewer", "sub", False) is None
    for target in ("reviewer", "admin", "person"):  # a reviewer never resets staff or persons
        assert reset_refusal("reviewer", target, False) == "无权重置该账号的密码"
    assert reset_refusal("admin", "admin", True) is not None  # 修改密码 is for one's own
