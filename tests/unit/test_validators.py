from datetime import date

import pytest

from services.common.validators import (
    is_email,
    is_mobile,
    resident_id_check_character,
    resident_id_error,
    uscc_check_character,
    uscc_error,
)

# Real codes: HMQ's sample certificate, and a well-known published company's licence.
VALID_USCC = ["91650100228680962Y", "91440300708461136T"]
# GB 11643-1999's own worked examples.
VALID_IDS = ["11010519491231002X", "440524188001010014"]


@pytest.mark.parametrize("code", VALID_USCC)
def test_real_uscc_codes_pass(code):
    assert uscc_error(code) is None


def test_uscc_check_character_of_hmq_sample():
    assert uscc_check_character("91650100228680962") == "Y"


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("91650100228680962X", "check_digit"),
        ("91650100228680962", "length"),
        ("91650100228680962YY", "length"),
        ("9165010022868096IY", "characters"),  # I is not in the GB 32100 alphabet
        ("91650100228680962y", "characters"),
    ],
)
def test_bad_uscc_codes_are_named(code, error):
    assert uscc_error(code) == error


def test_every_single_character_change_of_a_valid_uscc_is_caught():
    valid = VALID_USCC[0]
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for position in range(18):
        for ch in alphabet:
            if ch != valid[position]:
                mutated = valid[:position] + ch + valid[position + 1:]
                assert uscc_error(mutated) is not None, mutated


@pytest.mark.parametrize("number", VALID_IDS)
def test_standard_id_numbers_pass(number):
    assert resident_id_error(number) is None


def test_id_check_character_x_and_lower_case_x():
    assert resident_id_check_character("11010519491231002") == "X"
    assert resident_id_error("11010519491231002x") is None


@pytest.mark.parametrize(
    ("number", "error"),
    [
        ("110105194912310021", "check_digit"),
        ("11010519491231002", "length"),
        ("1101051949123100AX", "characters"),
        ("110105194902300023", "birth_date"),  # 30 February
        ("110105209912310023", "birth_date"),  # born in the future
    ],
)
def test_bad_id_numbers_are_named(number, error):
    assert resident_id_error(number, today=date(2026, 11, 23)) == error


@pytest.mark.parametrize("mobile", ["13800138000", "19912345678", "15047112345"])
def test_mainland_mobiles(mobile):
    assert is_mobile(mobile)


@pytest.mark.parametrize("mobile", ["12800138000", "1380013800", "138001380001", "+8613800138000"])
def test_not_mobiles(mobile):
    assert not is_mobile(mobile)


def test_emails():
    assert is_email("clerk@example.com.cn")
    assert not is_email("clerk@localhost")
    assert not is_email("two@@example.com")
