"""Indian number, currency and date formatting for the languages messages are sent in (Babel, CLDR).

The languages and their locales: ``en`` en_IN, ``hi`` hi_IN, ``mr`` mr_IN, ``ta`` ta_IN, ``te`` te_IN,
``bn`` bn_IN, ``kn`` kn_IN. Decisions (docs/channels-templates.md has examples):

- Digits are Latin (0–9) in every language. It is Babel's default for these locales and what Indian
  phones, banks and the borrowers themselves type; CLDR's native digits (Marathi's Devanagari digits,
  Bengali's) are asked for by no one here.
- Grouping is Indian everywhere: ``12,34,567``. CLDR writes Marathi, Tamil and Kannada currency (and
  Kannada plain numbers) in thousands (``1,234,567``), so the pattern is given explicitly; the symbols
  (``₹``, the separators) still come from each locale.
- Money is whole rupees when it has no paise (``₹1,23,456``), else two decimals (``₹1,23,456.50``);
  anything finer than a paisa is rounded half up. The sign sits against the number in every language
  (CLDR puts a space after it in Tamil; a message keeps one form).
- ``sign="Rs."`` writes ``Rs.1,23,456`` for an SMS in English: ``₹`` is not in the GSM-7 alphabet, and
  one ``₹`` turns a 160-character SMS into 70-character UCS-2 parts. Other languages are UCS-2 anyway.
- Dates use CLDR's month names in the language's script: ``long`` (the default for messages) spells
  the month out — ``15 दिसंबर 2026``, ``15 டிசம்பர், 2026`` — and ``medium`` abbreviates it.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final, Literal

from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency, format_decimal

from creditdesk.errors import ValidationFailed

Language = Literal["en", "hi", "mr", "ta", "te", "bn", "kn"]
DateStyle = Literal["medium", "long"]

#: each language a message may be in, and the CLDR locale it is formatted with
LOCALES: Final[dict[str, str]] = {
    "en": "en_IN",
    "hi": "hi_IN",
    "mr": "mr_IN",
    "ta": "ta_IN",
    "te": "te_IN",
    "bn": "bn_IN",
    "kn": "kn_IN",
}
LANGUAGES: Final[tuple[str, ...]] = tuple(LOCALES)
#: the names of the languages, in English, for messages about them
LANGUAGE_NAMES: Final[dict[str, str]] = {
    "en": "English",
    "hi": "Hindi",
    "mr": "Marathi",
    "ta": "Tamil",
    "te": "Telugu",
    "bn": "Bengali",
    "kn": "Kannada",
}

_PAISA = Decimal("0.01")
_WHOLE_RUPEES = "¤#,##,##0"
_WITH_PAISE = "¤#,##,##0.00"
_NUMBER = "#,##,##0.###"
_SIGNS = ("₹", "Rs.")


def check_language(language: object, *, field: str = "body.language") -> str:
    """Return ``language`` if messages can be formatted in it, else raise :class:`ValidationFailed`."""
    if isinstance(language, str) and language in LOCALES:
        return language
    message = f"unsupported language {language!r}: use one of {', '.join(LANGUAGES)}"
    raise ValidationFailed(
        f"{field}: {message}", extra={"fields": [{"field": field, "message": message, "type": "value_error"}]}
    )


def locale_of(language: str) -> str:
    """The CLDR locale of a language (``hi`` → ``hi_IN``)."""
    return LOCALES[check_language(language)]


def _finite(value: Decimal | int) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"expected a Decimal or an int, got {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"not a finite number: {number}")
    return number


def format_amount(amount: Decimal | int, language: str, *, sign: Literal["₹", "Rs."] = "₹") -> str:
    """Rupees in Indian grouping: ``₹1,23,456``; with paise ``₹1,23,456.50`` (rounded half up to the paisa)."""
    locale = locale_of(language)
    if sign not in _SIGNS:
        raise ValueError(f"sign must be one of {_SIGNS}")
    rupees = _finite(amount).quantize(_PAISA, rounding=ROUND_HALF_UP)
    pattern = _WHOLE_RUPEES if rupees == rupees.to_integral_value() else _WITH_PAISE
    text = format_currency(rupees, "INR", format=pattern, locale=locale, currency_digits=False, numbering_system="latn")
    return text if sign == "₹" else text.replace("₹", "Rs.", 1)


def format_number(number: Decimal | int, language: str) -> str:
    """A number in Indian grouping with Latin digits: ``12,34,567``, ``1,234.5`` (at most three decimals)."""
    locale = locale_of(language)
    return format_decimal(_finite(number), format=_NUMBER, locale=locale, numbering_system="latn")


def format_date(d: date, language: str, style: DateStyle = "medium") -> str:
    """A date with CLDR's month name in the language's script: ``long`` 15 दिसंबर 2026, ``medium`` 15 दिस॰ 2026."""
    locale = locale_of(language)
    if style not in ("medium", "long"):
        raise ValueError("style must be 'medium' or 'long'")
    if not isinstance(d, date):
        raise TypeError(f"expected a date, got {type(d).__name__}")
    return babel_format_date(d, format=style, locale=locale)


def parse_decimal(value: object) -> Decimal | None:
    """A finite :class:`Decimal` from a Decimal, an int or a plain decimal string; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # a JSON number arrives as a float: its shortest repr is the number that was written
        return Decimal(repr(value)) if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, str):
        text = value.strip()
        if not text or not all(c.isascii() and (c.isdigit() or c in ".-") for c in text):
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None
