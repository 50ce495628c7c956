"""Identifier checks: is each identifier an applicant gives well-formed, and do the names agree?

Cheap, pure and run on every application inside the decision (RISK-OPS.md, Fraud). python-stdnum does
the standard ones — PAN (format and the holder-type letter, 4th character), Aadhaar (12 digits, first
digit 2–9, Verhoeff check digit), GSTIN (state code, the PAN inside it, mod-36 check character) — and
the rest are the published formats: IFSC (4 letters of the bank, a 0, 6 characters of the branch),
Indian mobile numbers, e-mail syntax (email-validator) and disposable mail domains (our list,
``disposable_domains.txt``).

Each check answers a :class:`Check` with a stable ``code`` and a ``detail`` in words that never repeats
the number: an Aadhaar number in particular is only ever kept masked (:func:`mask_aadhaar`, the last four
digits, as UIDAI's own masked Aadhaar shows it).

:func:`name_match` compares two names as Indian names are written differently on an application, a
bureau report and a KYC response: honorifics dropped (Shri, Smt, Mr, Dr, …), order ignored ("Rao Asha" =
"Asha Rao"), an initial standing for a name ("A. Rao" ≈ "Asha Rao"), and spelling close enough
(rapidfuzz). It answers 0–100.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from email_validator import EmailNotValidError, validate_email
from rapidfuzz import fuzz
from stdnum.exceptions import ValidationError
from stdnum.in_ import aadhaar as std_aadhaar
from stdnum.in_ import gstin as std_gstin
from stdnum.in_ import pan as std_pan

from creditdesk.channels.providers import indian_mobile

_IFSC = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")
#: words before or inside a name that are not the name (English and the usual Indian forms, romanised)
HONORIFICS = frozenset(
    {
        "mr", "mrs", "ms", "miss", "dr", "prof", "shri", "sri", "shree", "smt", "shrimati", "kumari", "km",
        "kum", "late", "thiru", "thirumathi", "selvi",
    }
)  # fmt: skip
#: relation markers written into a name on Indian documents ("Asha Rao W/O Ravi Rao"): the name ends there
_RELATION = re.compile(r"\b(s|d|w|c)\s*/\s*o\b.*$", re.IGNORECASE)


@dataclass(frozen=True)
class Check:
    """One identifier check: ``code`` names it (stable), ``ok`` its outcome, ``detail`` why, in words."""

    code: str
    ok: bool
    detail: str


def _clean(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "").upper()


def check_pan(value: str) -> Check:
    """A PAN: 5 letters, 4 digits, a letter; the 4th letter a known holder type (P individual, C company…)."""
    number = _clean(value)
    try:
        std_pan.validate(number)
    except ValidationError as exc:
        return Check("pan_format", False, f"not a valid PAN ({str(exc).rstrip('.').lower()})")
    holder = std_pan.info(number)["holder_type"]
    return Check("pan_format", True, f"a valid PAN of a holder of type {holder.lower()}")


def pan_holder_type(value: str) -> str | None:
    """The holder type a PAN's 4th letter names (``Individual``, ``Company`` …), None for an invalid PAN."""
    number = _clean(value)
    return str(std_pan.info(number)["holder_type"]) if std_pan.is_valid(number) else None


def check_aadhaar(value: str) -> Check:
    """An Aadhaar number: 12 digits, not starting with 0 or 1, not a palindrome, the Verhoeff check digit."""
    number = _clean(value)
    try:
        std_aadhaar.validate(number)
    except ValidationError:
        shown = mask_aadhaar(number) if len(number) == 12 and number.isdigit() else "the number given"
        return Check("aadhaar_checksum", False, f"{shown} is not a valid Aadhaar number")
    return Check("aadhaar_checksum", True, f"{mask_aadhaar(number)} is a well-formed Aadhaar number")


def mask_aadhaar(value: str) -> str:
    """An Aadhaar number as it may be kept or shown: ``XXXX XXXX 1234``."""
    number = _clean(value)
    return f"XXXX XXXX {number[-4:]}" if len(number) >= 4 else "XXXX XXXX XXXX"


def check_gstin(value: str, pan: str | None = None) -> Check:
    """A GSTIN: a state code, the holder's PAN, an entity number, Z, a mod-36 check character — and, when
    ``pan`` is given, that PAN inside it."""
    number = _clean(value)
    try:
        std_gstin.validate(number)
    except ValidationError as exc:
        return Check("gstin_format", False, f"not a valid GSTIN ({str(exc).rstrip('.').lower()})")
    info = std_gstin.info(number)
    if pan is not None and info["pan"] != _clean(pan):
        return Check("gstin_format", False, "the GSTIN is valid but belongs to another PAN than the applicant's")
    return Check("gstin_format", True, f"a valid GSTIN registered in {info['state']}")


def check_ifsc(value: str) -> Check:
    """An IFSC: the bank's 4 letters, a 0, the branch's 6 letters or digits."""
    code = _clean(value)
    if _IFSC.fullmatch(code):
        return Check("ifsc_format", True, f"a well-formed IFSC of bank {code[:4]}")
    return Check("ifsc_format", False, "an IFSC is 4 letters, a zero and 6 letters or digits (e.g. SBIN0001234)")


def check_mobile(value: str) -> Check:
    """An Indian mobile number (10 digits starting 6–9, with or without +91)."""
    try:
        number = indian_mobile(value)
    except ValueError:
        return Check("mobile_format", False, "not an Indian mobile number (10 digits starting with 6, 7, 8 or 9)")
    return Check("mobile_format", True, f"an Indian mobile number ending {number[-4:]}")


@lru_cache(maxsize=1)
def disposable_domains() -> frozenset[str]:
    """The mail domains that hand out throwaway addresses (one per line in ``disposable_domains.txt``)."""
    text = resources.files("creditdesk.fraud").joinpath("disposable_domains.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def check_email(value: str) -> Check:
    """An e-mail address: valid syntax, and not at a disposable-mail domain (or a subdomain of one)."""
    try:
        address = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return Check("email_format", False, "not a valid e-mail address")
    domain = address.domain.lower()
    parts = domain.split(".")
    if any(".".join(parts[i:]) in disposable_domains() for i in range(len(parts) - 1)):
        return Check("email_disposable", False, f"{domain} hands out disposable addresses")
    return Check("email_format", True, f"a valid address at {domain}")


# -- names ---------------------------------------------------------------------------------------------


def name_tokens(name: str) -> list[str]:
    """A name's words as compared: accents and punctuation gone, lower case, honorifics and relations dropped."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _RELATION.sub("", text)
    words = re.findall(r"[^\W\d_]+", text.lower())
    return [w for w in words if w not in HONORIFICS or len(words) == 1]


def _expand_initials(short: list[str], full: list[str]) -> list[str]:
    """``short`` with each one-letter word replaced by the word of ``full`` it stands for, where there is one."""
    available = list(full)
    out = []
    for word in short:
        if len(word) == 1:
            match = next((w for w in available if w.startswith(word) and len(w) > 1), None)
            if match is not None:
                available.remove(match)
                out.append(match)
                continue
        out.append(word)
    return out


def _aligned(left: list[str], right: list[str]) -> float:
    """Each word paired with its closest unpaired word of the other name; a word left unpaired scores 0."""
    pool = list(right)
    total = 0.0
    for word in sorted(left, key=len, reverse=True):
        if not pool:
            break
        best = max(pool, key=lambda other: fuzz.ratio(word, other))
        total += fuzz.ratio(word, best)
        pool.remove(best)
    return total / max(len(left), len(right))


def name_match(a: str, b: str) -> float:
    """How alike two names are, 0–100: order, honorifics, initials and small spelling differences forgiven;
    a middle name one side leaves out costs little ("Asha Rao" in "Asha Kumari Rao")."""
    left, right = name_tokens(a), name_tokens(b)
    if not left or not right:
        return 0.0
    left, right = _expand_initials(left, right), _expand_initials(right, left)
    score = _aligned(left, right)
    if len(set(left) & set(right)) >= 2:  # one name inside the other, discounted a little
        score = max(score, fuzz.token_set_ratio(" ".join(left), " ".join(right)) * 0.95)
    return float(score)
