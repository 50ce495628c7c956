"""Identifier checks on valid numbers and on the same numbers corrupted, and Indian name variants."""

from __future__ import annotations

import pytest
from stdnum import verhoeff

from creditdesk.fraud.identifiers import (
    check_aadhaar,
    check_email,
    check_gstin,
    check_ifsc,
    check_mobile,
    check_pan,
    disposable_domains,
    mask_aadhaar,
    name_match,
    name_tokens,
    pan_holder_type,
)

VALID_AADHAAR = ["234123412346", "498765432102", "2341 2341 2346"]
VALID_GSTIN = "27AAPFU0939F1ZV"


def _corruptions(number: str) -> list[str]:
    """Every single-digit change and every swap of neighbouring different digits."""
    digits = number.replace(" ", "")
    out = []
    for i, d in enumerate(digits):
        for r in "0123456789":
            if r != d:
                out.append(digits[:i] + r + digits[i + 1 :])
    for i in range(len(digits) - 1):
        if digits[i] != digits[i + 1]:
            out.append(digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :])
    return out


@pytest.mark.parametrize("number", VALID_AADHAAR)
def test_a_valid_aadhaar_passes_and_is_only_ever_shown_masked(number):
    check = check_aadhaar(number)
    assert check.ok and check.code == "aadhaar_checksum"
    assert check.detail.startswith("XXXX XXXX ") and number.replace(" ", "")[:8] not in check.detail


def test_verhoeff_catches_every_single_digit_error_and_every_adjacent_swap():
    caught = [not check_aadhaar(bad).ok for bad in _corruptions("234123412346")]
    assert all(caught) and len(caught) == 12 * 9 + 11


def test_aadhaar_rules_beyond_the_checksum():
    starts_with_1 = "1" + "23412341234"
    assert not check_aadhaar(starts_with_1 + verhoeff.calc_check_digit(starts_with_1)).ok
    assert not check_aadhaar("23412341234").ok  # 11 digits
    bad = check_aadhaar("2341234123467")
    assert not bad.ok and "2341234123467" not in bad.detail
    assert mask_aadhaar("2341 2341 2346") == "XXXX XXXX 2346"


def test_pan_format_and_the_holder_type_letter():
    assert check_pan("ABCPE1234F").ok and pan_holder_type("abcpe1234f") == "Individual"
    assert pan_holder_type("AAPFU0939F") == "Firm/Limited Liability Partnership"
    assert not check_pan("ABCXE1234F").ok  # X is no holder type
    assert not check_pan("ABCP1234F").ok and not check_pan("1BCPE1234F").ok and not check_pan("ABCPE12345").ok
    assert pan_holder_type("ABCXE1234F") is None


def test_gstin_state_embedded_pan_and_check_character():
    good = check_gstin(VALID_GSTIN, pan="AAPFU0939F")
    assert good.ok and "Maharashtra" in good.detail
    assert not check_gstin(VALID_GSTIN[:-1] + "W").ok  # the mod-36 check character
    assert not check_gstin("99" + VALID_GSTIN[2:]).ok  # no such state code
    other_pan = check_gstin(VALID_GSTIN, pan="ABCPE1234F")
    assert not other_pan.ok and "another PAN" in other_pan.detail


def test_ifsc_mobile_and_email():
    assert check_ifsc("SBIN0001234").ok and check_ifsc("hdfc0ABC123").ok
    assert not check_ifsc("SBIN1001234").ok and not check_ifsc("SBI0001234").ok
    assert check_mobile("+91 98765 43210").ok and check_mobile("9876543210").ok
    assert not check_mobile("5876543210").ok and not check_mobile("98765").ok
    assert check_email("asha.rao@example.in").ok
    assert not check_email("asha@@example.in").ok
    throwaway = check_email("x1@mailinator.com")
    assert throwaway.code == "email_disposable" and not throwaway.ok
    assert not check_email("x1@eu.yopmail.com").ok  # a subdomain of one
    assert "mailinator.com" in disposable_domains() and "gmail.com" not in disposable_domains()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Asha Rao", "Rao Asha"),
        ("Smt. Asha Rao", "ASHA RAO"),
        ("A. Rao", "Asha Rao"),
        ("Shri Ravi Kumar Sharma", "Ravi K Sharma"),
        ("Asha Rao W/O Ravi Rao", "Asha Rao"),
        ("Mohammed Irfan", "Mohammad Irfan"),
        ("Asha Kumari Rao", "Asha Rao"),
    ],
)
def test_the_same_person_written_differently_matches(a, b):
    assert name_match(a, b) >= 85, (a, b, name_match(a, b))


@pytest.mark.parametrize(
    ("a", "b"), [("Asha Rao", "Priya Sharma"), ("Ravi Kumar", "Kavita Menon"), ("Asha", ""), ("Asha Rao", "Ravi Rao")]
)
def test_different_people_do_not(a, b):
    assert name_match(a, b) < 70, (a, b, name_match(a, b))


def test_name_tokens_drop_honorifics_and_accents():
    assert name_tokens("Dr. Sríram  Iyer") == ["sriram", "iyer"]
    assert name_tokens("Kumari") == ["kumari"]  # a name that is only an honorific stays
