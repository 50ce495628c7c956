"""Message templates: ``{{name}}`` placeholders, typed variables, checking a template and rendering it.

A template body is plain text with ``{{name}}`` placeholders (a name is lowercase ASCII letters, digits
and ``_``, starting with a letter, at most 40 characters; no spaces inside the braces). Each placeholder
is declared with a type and a maximum length::

    {"amount": {"type": "amount", "max_length": 20}, "due_date": {"type": "date", "max_length": 30}}

Rendering is one pass of plain substitution (no Jinja, no eval, no attribute access): a value is never
read as a template, so a value that contains ``{{…}}`` stays literal text. Every value is validated
against its type and formatted for the message's language (:mod:`creditdesk.channels.formatting`);
the max length applies to the value as formatted, which is what the borrower reads.

Field paths in errors are those of the API's request bodies: ``body.body``, ``body.subject``,
``body.channel``, ``body.variables.<name>`` (declarations when checking a template; values when
rendering), ``body.language``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Final, Literal, cast, get_args
from urllib.parse import urlsplit

from creditdesk.channels.formatting import (
    check_language,
    format_amount,
    format_date,
    format_number,
    parse_decimal,
)
from creditdesk.errors import FieldError, field_error, invalid

Channel = Literal["sms", "whatsapp", "email", "voice"]
VariableType = Literal["text", "amount", "date", "number", "url", "phone", "otp"]
Encoding = Literal["GSM-7", "UCS-2"]

CHANNELS: Final[tuple[str, ...]] = get_args(Channel)
VARIABLE_TYPES: Final[tuple[str, ...]] = get_args(VariableType)

#: the longest a channel's message may be, in characters, counting each placeholder at its max_length
#: (the worst case the template can render): an SMS of about three GSM-7 parts or seven UCS-2 parts,
#: WhatsApp's template body limit, an e-mail's plain-text body, a voice call of a minute or two
MAX_BODY: Final[dict[str, int]] = {"sms": 480, "whatsapp": 1024, "email": 20_000, "voice": 1_500}
#: the longest e-mail subject, placeholders counted at their max_length
MAX_SUBJECT: Final = 150
#: DLT (TRAI's registry of SMS templates): each variable part of a registered template is at most 30 characters
SMS_VARIABLE_MAX: Final = 30
#: no variable of any channel is longer
MAX_VARIABLE_LENGTH: Final = 1_000
NAME_MAX: Final = 40

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_OTP = re.compile(r"[0-9]{4,8}")
_PHONE = re.compile(r"\+?[0-9][0-9 -]*[0-9]")
_LINK_IN_TEXT = re.compile(r"https?://|www\.", re.IGNORECASE)
#: bidirectional overrides and isolates: they make a text read differently from what it holds
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# GSM 03.38: the basic alphabet (one septet each) and the extension table (an escape and a septet: two)
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = frozenset("^{}\\[~]|€\f")
#: characters per SMS: a single message, and each part of a concatenated one (the rest is its header)
_SMS_LIMITS: Final[dict[str, tuple[int, int]]] = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


@dataclass(frozen=True)
class Variable:
    """A declared variable: what kind of value it takes and how long it may be once formatted."""

    type: VariableType
    max_length: int


@dataclass(frozen=True)
class Rendered:
    """A rendered message. ``encoding`` and ``segments`` describe the text as an SMS (the parts a
    provider bills); ``subject`` is set for an e-mail rendered with one."""

    text: str
    segments: int
    encoding: Encoding
    subject: str | None = None
    #: each placeholder's formatted value, in order of first use (WhatsApp's numbered parameters)
    values: Mapping[str, str] = field(default_factory=dict, compare=False)


# -- placeholders and declarations ----------------------------------------------------------------------


def _scan(text: str, field: str) -> tuple[list[str], list[FieldError]]:
    """The placeholder names in ``text`` in order of first use, and what is malformed."""
    names: list[str] = []
    errors: list[FieldError] = []
    for match in _PLACEHOLDER.finditer(text):
        inner = match.group(1)
        if _NAME.fullmatch(inner) and len(inner) <= NAME_MAX:
            if inner not in names:
                names.append(inner)
        else:
            errors.append(
                field_error(
                    field,
                    f"{match.group(0)!r} is not a placeholder: write {{{{name}}}} with a name of lowercase letters, "
                    f"digits and _, starting with a letter (at most {NAME_MAX} characters), e.g. {{{{due_date}}}}",
                )
            )
    rest = _PLACEHOLDER.sub("", text)
    if "{{" in rest or "}}" in rest:
        errors.append(field_error(field, "unbalanced braces: every {{ needs its }}"))
    return names, errors


def placeholders(text: str) -> list[str]:
    """The well-formed placeholder names in ``text``, in order of first use."""
    return _scan(text, "body.body")[0]


def parse_variables(
    declared: Mapping[str, object], *, field: str = "body.variables"
) -> tuple[dict[str, Variable], list[FieldError]]:
    """Declarations (:class:`Variable` or ``{"type", "max_length"}``) read into Variables, and what is wrong."""
    if not isinstance(declared, Mapping):
        return {}, [field_error(field, "must be an object of name → {type, max_length}")]
    variables: dict[str, Variable] = {}
    errors: list[FieldError] = []
    for name, spec in declared.items():
        path = f"{field}.{name}"
        if not isinstance(name, str) or not _NAME.fullmatch(name) or len(name) > NAME_MAX:
            errors.append(
                field_error(
                    path,
                    f"bad variable name: lowercase letters, digits and _, starting with a letter, at most {NAME_MAX}",
                )
            )
            continue
        if isinstance(spec, Variable):
            kind: object = spec.type
            max_length: object = spec.max_length
        elif isinstance(spec, Mapping):
            unknown = sorted(str(k) for k in spec if k not in ("type", "max_length"))
            if unknown:
                message = f"unknown key(s) {', '.join(unknown)}: a variable has type and max_length"
                errors.append(field_error(path, message))
            kind, max_length = spec.get("type"), spec.get("max_length")
        else:
            errors.append(field_error(path, "must be an object {type, max_length}"))
            continue
        ok = True
        if kind not in VARIABLE_TYPES:
            errors.append(field_error(f"{path}.type", f"must be one of {', '.join(VARIABLE_TYPES)}"))
            ok = False
        if isinstance(max_length, bool) or not isinstance(max_length, int):
            errors.append(field_error(f"{path}.max_length", "required: a whole number of characters"))
            ok = False
        elif not 1 <= max_length <= MAX_VARIABLE_LENGTH:
            errors.append(field_error(f"{path}.max_length", f"must be between 1 and {MAX_VARIABLE_LENGTH}"))
            ok = False
        if ok:
            variables[name] = Variable(type=cast(VariableType, kind), max_length=cast(int, max_length))
    return variables, errors


def _worst_case_length(text: str, variables: Mapping[str, Variable]) -> int:
    """The length of ``text`` with every placeholder at its variable's max_length."""
    return len(
        _PLACEHOLDER.sub(
            lambda m: "x" * (variables[m.group(1)].max_length if m.group(1) in variables else len(m.group(0))), text
        )
    )


def check_template(
    body: object,
    variables: Mapping[str, object],
    channel: object,
    *,
    subject: object = None,
) -> list[FieldError]:
    """Everything wrong with a template, as field errors (an empty list: it may be saved).

    Checked: the channel; the body (non-empty, well-formed placeholders, not too long for the channel
    at its worst case); the declarations (names, types, max lengths); every placeholder declared and
    every declaration used; an SMS variable at most 30 characters (DLT); a voice template has no link
    (nobody can tap one on a call); a WhatsApp body neither starts nor ends with a placeholder (Meta
    rejects it); an e-mail has a one-line subject (its placeholders count as used), other channels none.
    """
    errors: list[FieldError] = []
    known_channel = channel if isinstance(channel, str) and channel in CHANNELS else None
    if known_channel is None:
        errors.append(field_error("body.channel", f"must be one of {', '.join(CHANNELS)}"))
    declared, declaration_errors = parse_variables(variables)
    errors.extend(declaration_errors)

    used: list[str] = []
    if not isinstance(body, str) or not body.strip():
        errors.append(field_error("body.body", "required: the text of the message"))
        body = ""
    else:
        names, problems = _scan(body, "body.body")
        errors.extend(problems)
        used.extend(names)

    if known_channel == "email":
        if not isinstance(subject, str) or not subject.strip():
            errors.append(field_error("body.subject", "required for an e-mail template"))
        else:
            if "\n" in subject or "\r" in subject:
                errors.append(field_error("body.subject", "must be one line"))
            names, problems = _scan(subject, "body.subject")
            errors.extend(problems)
            used.extend(n for n in names if n not in used)
            if _worst_case_length(subject, declared) > MAX_SUBJECT:
                message = f"longer than {MAX_SUBJECT} characters with its variables at max_length"
                errors.append(field_error("body.subject", message))
    elif subject is not None and known_channel is not None:
        errors.append(field_error("body.subject", f"only an e-mail has a subject, not {known_channel}"))

    # a declaration that failed its own checks is reported there, not again as missing
    named = {n for n in variables if isinstance(n, str)} if isinstance(variables, Mapping) else set()
    for name in used:
        if name not in named:
            errors.append(field_error("body.body", f"placeholder {{{{{name}}}}} is not declared in variables"))
    for name in declared:
        if name not in used:
            errors.append(field_error(f"body.variables.{name}", "declared but not used in the template"))

    if known_channel is not None and isinstance(body, str) and body:
        limit = MAX_BODY[known_channel]
        if _worst_case_length(body, declared) > limit:
            errors.append(
                field_error(
                    "body.body",
                    f"too long for {known_channel}: more than {limit} characters with every variable at its max_length",
                )
            )
        if known_channel == "whatsapp":
            stripped = body.strip()
            if _PLACEHOLDER.match(stripped) or re.search(r"\{\{[^{}]*\}\}\Z", stripped):
                errors.append(field_error("body.body", "a WhatsApp template may not start or end with a placeholder"))
    for name, variable in declared.items():
        if known_channel == "sms" and variable.max_length > SMS_VARIABLE_MAX:
            errors.append(
                field_error(
                    f"body.variables.{name}.max_length",
                    f"an SMS template's variable part is at most {SMS_VARIABLE_MAX} characters (DLT)",
                )
            )
        if known_channel == "voice" and variable.type == "url":
            errors.append(field_error(f"body.variables.{name}.type", "a voice call cannot carry a link"))
    return errors


# -- values --------------------------------------------------------------------------------------------


class _BadValue(ValueError):
    """A value that is not of its variable's type (the message says what it must be)."""


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _BadValue("must be non-empty text")
    text = value.strip()
    for char in text:
        if unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS:
            raise _BadValue("must be one line of text without control characters")
    if _LINK_IN_TEXT.search(text):
        raise _BadValue("must not carry a link: declare a variable of type url")
    return text


def _amount(value: object, language: str, sign: Literal["₹", "Rs."]) -> str:
    number = parse_decimal(value)
    if number is None:
        raise _BadValue("must be an amount in rupees, a decimal such as 1500 or 1500.50")
    if number < 0:
        raise _BadValue("must be an amount of zero or more")
    if number != number.quantize(Decimal("0.01")):
        raise _BadValue("has more than two decimal places: an amount is rupees and paise")
    return format_amount(number, language, sign=sign)


def _date(value: object, language: str) -> str:
    if isinstance(value, datetime):
        raise _BadValue("must be a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, date):
        return format_date(value, language, "long")
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return format_date(date.fromisoformat(value), language, "long")
        except ValueError:
            raise _BadValue(f"{value!r} is not a date on the calendar") from None
    raise _BadValue("must be an ISO date (YYYY-MM-DD)")


def _number(value: object, language: str) -> str:
    number = parse_decimal(value)
    if number is None:
        raise _BadValue("must be a number")
    if number != number.quantize(Decimal("0.001")):
        raise _BadValue("has more than three decimal places")
    return format_number(number, language)


def _url(value: object) -> str:
    if not isinstance(value, str) or not value.startswith("https://"):
        raise _BadValue("must be an https:// link")
    if any(c.isspace() or unicodedata.category(c) == "Cc" or c in _BIDI_CONTROLS for c in value):
        raise _BadValue("must be a link without spaces or control characters")
    try:
        parts = urlsplit(value)
    except ValueError:
        raise _BadValue("is not a valid link") from None
    # a user part (https://bank.example@elsewhere.example) shows one host and opens another
    if not parts.hostname or "@" in parts.netloc or "." not in parts.hostname:
        raise _BadValue("must be an https:// link to a named host")
    return value


def _phone(value: object) -> str:
    if not isinstance(value, str) or not _PHONE.fullmatch(value.strip()):
        raise _BadValue("must be a phone number: digits, spaces or hyphens, an optional leading +")
    text = " ".join(value.split())
    digits = sum(c.isdigit() for c in text)
    if not 8 <= digits <= 15:
        raise _BadValue("must have 8 to 15 digits")
    return text


def _otp(value: object, channel: str | None) -> str:
    if not isinstance(value, str) or not _OTP.fullmatch(value):
        raise _BadValue("must be a string of 4 to 8 digits (a number would lose leading zeros)")
    # a voice reads "4 8 1 5" digit by digit; "4815" would be read as a number
    return " ".join(value) if channel == "voice" else value


def format_value(variable: Variable, value: object, language: str, channel: str | None = None) -> str:
    """A value as the message shows it, or :class:`ValueError` saying what it must be."""
    kind = variable.type
    if kind == "amount":
        # ₹ is outside GSM-7: an English SMS writes Rs. and stays in 160-character parts
        return _amount(value, language, "Rs." if channel == "sms" and language == "en" else "₹")
    if kind == "date":
        return _date(value, language)
    if kind == "number":
        return _number(value, language)
    if kind == "url":
        return _url(value)
    if kind == "phone":
        return _phone(value)
    if kind == "otp":
        return _otp(value, channel)
    return _text(value)


def render(
    body: str,
    variables_declared: Mapping[str, object],
    values: Mapping[str, object],
    language: str,
    *,
    channel: str | None = None,
    subject: str | None = None,
) -> Rendered:
    """Render a template in ``language`` with ``values``; :class:`ValidationFailed` names each bad variable.

    Every placeholder's value must be given and valid for its type, no value may be given for a name the
    template does not declare, and each formatted value must fit its max_length (for an SMS also 30
    characters, DLT's limit). ``channel`` adapts the formatting: an English SMS writes amounts as Rs.
    (GSM-7), a voice call reads an OTP digit by digit. ``subject`` (e-mail) is rendered with the same values.
    """
    check_language(language)
    if channel is not None and channel not in CHANNELS:
        raise invalid([field_error("body.channel", f"must be one of {', '.join(CHANNELS)}")])
    declared, errors = parse_variables(variables_declared)
    if errors:
        raise invalid(errors)
    names, problems = _scan(body, "body.body")
    if subject is not None:
        subject_names, subject_problems = _scan(subject, "body.subject")
        problems.extend(subject_problems)
        names.extend(n for n in subject_names if n not in names)
    problems.extend(
        field_error("body.body", f"placeholder {{{{{name}}}}} is not declared in variables")
        for name in names
        if name not in declared
    )
    if problems:
        raise invalid(problems)
    if not isinstance(values, Mapping):
        raise invalid([field_error("body.variables", "must be an object of name → value")])

    errors = [
        field_error(f"body.variables.{name}", "is not a variable of this template")
        for name in values
        if name not in declared
    ]
    formatted: dict[str, str] = {}
    for name in names:
        variable = declared[name]
        path = f"body.variables.{name}"
        if name not in values or values[name] is None:
            errors.append(field_error(path, f"required: a value of type {variable.type}"))
            continue
        try:
            text = format_value(variable, values[name], language, channel)
        except _BadValue as exc:
            errors.append(field_error(path, str(exc)))
            continue
        length = len(text.replace(" ", "")) if variable.type == "otp" and channel == "voice" else len(text)
        limit = min(variable.max_length, SMS_VARIABLE_MAX) if channel == "sms" else variable.max_length
        if length > limit:
            errors.append(field_error(path, f"is {length} characters as written, more than the {limit} allowed"))
            continue
        formatted[name] = text
    if errors:
        raise invalid(errors)

    def substitute(text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: formatted[m.group(1)], text)

    rendered = substitute(body)
    encoding, segments = sms_segments(rendered)
    return Rendered(
        text=rendered,
        segments=segments,
        encoding=encoding,
        subject=substitute(subject) if subject is not None else None,
        values=formatted,
    )


# -- SMS parts -----------------------------------------------------------------------------------------


def sms_encoding(text: str) -> Encoding:
    """GSM-7 when every character is in the GSM 03.38 alphabet (or its extension), else UCS-2."""
    return "GSM-7" if all(c in _GSM_BASIC or c in _GSM_EXTENSION for c in text) else "UCS-2"


def sms_segments(text: str, encoding: Encoding | None = None) -> tuple[Encoding, int]:
    """The encoding and number of SMS parts: one part holds 160 GSM-7 or 70 UCS-2 units; a longer
    message is cut into parts of 153 or 67 (the rest of each is the concatenation header), never
    splitting an extension character's escape pair or a UTF-16 surrogate pair. ``encoding`` forces
    UCS-2 for a text that would fit GSM-7 (GSM-7 is used only when the text fits it)."""
    encoding = "UCS-2" if encoding == "UCS-2" else sms_encoding(text)
    if encoding == "GSM-7":
        units = [2 if c in _GSM_EXTENSION else 1 for c in text]
    else:
        units = [2 if ord(c) > 0xFFFF else 1 for c in text]
    single, part = _SMS_LIMITS[encoding]
    if sum(units) <= single:
        return encoding, 1
    segments, used = 1, 0
    for size in units:
        if used + size > part:
            segments += 1
            used = 0
        used += size
    return encoding, segments
