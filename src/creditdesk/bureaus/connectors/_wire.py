"""Strict readers for bureau wire data: each names the path of what was wrong, never crashes."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET  # type: ignore[import-untyped]  # defusedxml ships no type hints
from defusedxml import DefusedXmlException

from creditdesk.bureaus.schemas import BureauEnquiry


class Malformed(Exception):
    """Wire data is not what the bureau's format promises; the message names the path."""


def load_json(content: bytes) -> Any:
    """Parse JSON bytes or raise Malformed."""
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Malformed(f"not valid JSON ({exc.__class__.__name__})") from exc


def load_xml(content: bytes) -> Element:
    """Parse XML safely — no DTDs, no entities, no external references — or raise Malformed."""
    try:
        root: Element = SafeET.fromstring(content, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        return root
    except DefusedXmlException as exc:
        raise Malformed(f"XML with a DTD or entities is refused ({exc.__class__.__name__})") from exc
    except (ParseError, ValueError) as exc:
        raise Malformed(f"not well-formed XML ({exc})") from exc


def obj(value: Any, path: str) -> Mapping[str, Any]:
    """Return ``value`` if it is a JSON object."""
    if not isinstance(value, dict):
        raise Malformed(f"{path}: expected an object, got {type(value).__name__}")
    return value


def array(value: Any, path: str) -> list[Any]:
    """Return ``value`` if it is a JSON array (None counts as empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise Malformed(f"{path}: expected a list, got {type(value).__name__}")
    return value


def need(mapping: Mapping[str, Any], key: str, path: str) -> Any:
    """Return ``mapping[key]``, which must be present."""
    if key not in mapping:
        raise Malformed(f"{path}.{key}: missing")
    return mapping[key]


def text(value: Any, path: str) -> str:
    """Return a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise Malformed(f"{path}: expected a non-empty string")
    return value.strip()


def opt_text(value: Any, path: str) -> str | None:
    """Return a string, or None for null/empty."""
    if value is None or value == "":
        return None
    return text(value, path)


def integer(value: Any, path: str) -> int:
    """Return an integer given as a JSON integer or a string of digits (optionally signed)."""
    if isinstance(value, bool):
        raise Malformed(f"{path}: expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    raise Malformed(f"{path}: expected an integer, got {value!r:.40}")


_MONEY = re.compile(r"^-?\d+(\.\d+)?$")


def money(value: Any, path: str) -> Decimal:
    """Return a Decimal from a JSON number or a numeric string (Indian digit grouping allowed)."""
    if isinstance(value, bool) or value is None:
        raise Malformed(f"{path}: expected an amount, got {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise Malformed(f"{path}: expected a finite amount")
        return Decimal(repr(value))
    if isinstance(value, str):
        cleaned = value.replace(",", "").strip()
        if _MONEY.match(cleaned):
            try:
                return Decimal(cleaned)
            except InvalidOperation:  # pragma: no cover - the regex already checked
                pass
    raise Malformed(f"{path}: expected an amount, got {value!r:.40}")


def opt_money(value: Any, path: str) -> Decimal | None:
    """Return a Decimal, or None for null/empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return money(value, path)


def day(value: Any, path: str, fmt: str) -> date:
    """Return a date parsed with ``fmt`` (strptime)."""
    if not isinstance(value, str):
        raise Malformed(f"{path}: expected a date string, got {type(value).__name__}")
    try:
        return datetime.strptime(value.strip(), fmt).date()
    except ValueError as exc:
        raise Malformed(f"{path}: {value!r:.20} is not a date in the expected format") from exc


def opt_day(value: Any, path: str, fmt: str) -> date | None:
    """Return a date, or None for null/empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return day(value, path, fmt)


def child(element: Element, tag: str, path: str) -> Element:
    """Return the first child element ``tag``, which must exist."""
    found = element.find(tag)
    if found is None:
        raise Malformed(f"{path}/{tag}: missing")
    return found


def child_text(element: Element, tag: str, path: str, *, required: bool = True) -> str | None:
    """Return the stripped text of child ``tag``; None (or Malformed when required) if absent/empty."""
    found = element.find(tag)
    value = (found.text or "").strip() if found is not None else ""
    if not value:
        if required:
            raise Malformed(f"{path}/{tag}: missing or empty")
        return None
    return value


def json_enquiries(
    value: Any,
    path: str,
    *,
    date_key: str,
    date_format: str,
    purpose_key: str,
    amount_key: str,
    purposes: Mapping[str, str],
) -> list[BureauEnquiry]:
    """The enquiries of a JSON answer (a list of objects at ``path``), read with the bureau's own key names."""
    found = []
    for i, raw in enumerate(array(value, path)):
        item_path = f"{path}[{i}]"
        item = obj(raw, item_path)
        found.append(
            BureauEnquiry(
                enquired_on=day(need(item, date_key, item_path), f"{item_path}.{date_key}", date_format),
                purpose=purposes.get(str(item.get(purpose_key))),
                amount=opt_money(item.get(amount_key), f"{item_path}.{amount_key}"),
            )
        )
    return found
