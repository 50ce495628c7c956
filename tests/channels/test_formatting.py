"""Indian number, currency and date formatting in each language a message is sent in (Babel, CLDR)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from creditdesk.channels.formatting import (
    LANGUAGES,
    LOCALES,
    check_language,
    format_amount,
    format_date,
    format_number,
    parse_decimal,
)
from creditdesk.errors import ValidationFailed

DEC_15 = date(2026, 12, 15)


@pytest.mark.parametrize("language", LANGUAGES)
def test_amounts_are_rupees_in_indian_grouping_in_every_language(language):
    # CLDR groups Marathi, Tamil and Kannada currency in thousands; a message keeps lakhs and crores
    assert format_amount(Decimal("123456"), language) == "₹1,23,456"
    assert format_amount(Decimal("1234567.50"), language) == "₹12,34,567.50"
    assert format_amount(Decimal("100000000"), language) == "₹10,00,00,000"
    assert format_amount(Decimal("999"), language) == "₹999"
    assert format_amount(0, language) == "₹0"


def test_whole_rupees_show_no_paise_and_paise_show_two_decimals():
    assert format_amount(Decimal("1500.00"), "en") == "₹1,500"
    assert format_amount(Decimal("1500.5"), "hi") == "₹1,500.50"
    assert format_amount(Decimal("0.05"), "ta") == "₹0.05"


def test_anything_finer_than_a_paisa_is_rounded_half_up():
    assert format_amount(Decimal("1.005"), "en") == "₹1.01"
    assert format_amount(Decimal("2.994"), "en") == "₹2.99"
    assert format_amount(Decimal("9.999"), "en") == "₹10"


def test_rs_sign_for_a_gsm_7_sms():
    assert format_amount(Decimal("123456"), "en", sign="Rs.") == "Rs.1,23,456"
    assert format_amount(Decimal("12.5"), "en", sign="Rs.") == "Rs.12.50"
    with pytest.raises(ValueError, match="sign"):
        format_amount(Decimal("1"), "en", sign="INR")  # type: ignore[arg-type]


def test_an_amount_is_a_finite_decimal_or_int():
    with pytest.raises(ValueError, match="finite"):
        format_amount(Decimal("NaN"), "en")
    with pytest.raises(TypeError):
        format_amount(12.5, "en")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_amount(True, "en")  # type: ignore[arg-type]


@pytest.mark.parametrize("language", LANGUAGES)
def test_numbers_in_indian_grouping_with_latin_digits(language):
    assert format_number(Decimal("1234567"), language) == "12,34,567"
    assert format_number(Decimal("1234.5"), language) == "1,234.5"
    assert format_number(5, language) == "5"
    assert format_number(Decimal("-250000"), language) == "-2,50,000"


@pytest.mark.parametrize(
    ("language", "long", "medium"),
    [
        ("en", "15 December 2026", "15 Dec 2026"),
        ("hi", "15 दिसंबर 2026", "15 दिस॰ 2026"),
        ("mr", "15 डिसेंबर, 2026", "15 डिसें, 2026"),
        ("ta", "15 டிசம்பர், 2026", "15 டிச., 2026"),
        ("te", "15 డిసెంబర్, 2026", "15 డిసెం, 2026"),
        ("bn", "15 ডিসেম্বর, 2026", "15 ডিসেঃ, 2026"),
        ("kn", "ಡಿಸೆಂಬರ್ 15, 2026", "ಡಿಸೆಂ 15, 2026"),
    ],
)
def test_dates_name_the_month_in_the_languages_script(language, long, medium):
    assert format_date(DEC_15, language, "long") == long
    assert format_date(DEC_15, language, "medium") == medium
    assert format_date(DEC_15, language) == medium


def test_the_month_is_in_devanagari_tamil_and_bengali_script_with_latin_digits():
    hindi, tamil, bengali = (format_date(DEC_15, lang, "long") for lang in ("hi", "ta", "bn"))
    assert "दिसंबर" in hindi and "டிசம்பர்" in tamil and "ডিসেম্বর" in bengali
    for text in (hindi, tamil, bengali, format_date(DEC_15, "mr", "long")):
        assert all(c.isascii() for c in text if c.isdigit())  # Latin digits, never १५ or ১৫


def test_a_date_style_and_type_are_checked():
    with pytest.raises(ValueError, match="style"):
        format_date(DEC_15, "en", "full")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_date("2026-12-15", "en")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["fr", "HI", "hi_IN", "", None, 7])
def test_an_unsupported_language_is_a_validation_error_naming_the_choices(bad):
    with pytest.raises(ValidationFailed) as caught:
        format_amount(Decimal("1"), bad)
    assert "en, hi, mr, ta, te, bn, kn" in caught.value.message
    (field,) = caught.value.extra["fields"]
    assert field == {"field": "body.language", "message": field["message"], "type": "value_error"}
    assert repr(bad) in field["message"]


def test_check_language_returns_a_supported_code_and_names_the_field_asked_for():
    assert check_language("kn") == "kn"
    assert set(LOCALES) == set(LANGUAGES) and LOCALES["bn"] == "bn_IN"
    with pytest.raises(ValidationFailed) as caught:
        check_language("xx", field="body.preferred_language")
    assert caught.value.extra["fields"][0]["field"] == "body.preferred_language"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("12.50"), Decimal("12.50")),
        (1500, Decimal(1500)),
        ("1500.5", Decimal("1500.5")),
        (" 42 ", Decimal(42)),
        (1500.1, Decimal("1500.1")),
        ("-3", Decimal(-3)),
    ],
)
def test_parse_decimal_reads_the_number_that_was_written(value, expected):
    assert parse_decimal(value) == expected


@pytest.mark.parametrize(
    "value", ["", "1e3", "१२", "1,000", "abc", "1.2.3", "-", True, None, [], Decimal("Infinity"), float("nan")]
)
def test_parse_decimal_refuses_what_is_not_a_plain_decimal(value):
    assert parse_decimal(value) is None
