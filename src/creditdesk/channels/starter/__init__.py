"""The starter template set: SMS, WhatsApp, e-mail and voice templates for reminders, collections, OTPs
and payment alerts in the seven languages, written by the CreditDesk maintainers (docs/channels-templates.md).

One JSON file per language (``en.json`` is the master; every other file carries an English back-translation
of each body and subject). A lender starts from these as drafts: it puts its own DLT template ids in place
of the samples (SMS), has a native speaker review the wording, and approves them.

Rules checked when the set is loaded (:class:`StarterInvalid` names the file and the template):

- each template passes :func:`creditdesk.channels.templates.check_template` for its channel;
- names are ``{purpose}_{tone}_{channel}_{language}`` and unique; reminder and collections come in the
  tones formal, empathetic and firm, OTPs and alerts only formal;
- SMS: a 19-digit DLT template id, marked as a sample while it is one of ours (starting ``000000000000``);
  other channels have none;
- WhatsApp: ``authentication`` for an OTP, ``utility`` otherwise; collections is flagged
  ``collections_content`` (WhatsApp's Business Messaging Policy prohibits debt collection: the contact
  policy blocks these unless the tenant turns them on); other channels have no category;
- e-mail has a subject, other channels none; every non-English body and subject has its back-translation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Final

from creditdesk.channels.formatting import LANGUAGES
from creditdesk.channels.templates import CHANNELS, Variable, check_template, parse_variables

PURPOSES: Final = ("reminder", "collections", "otp", "alert")
TONES: Final = ("formal", "empathetic", "firm")
#: the tones each purpose is written in
TONES_BY_PURPOSE: Final[dict[str, tuple[str, ...]]] = {
    "reminder": TONES,
    "collections": TONES,
    "otp": ("formal",),
    "alert": ("formal",),
}
#: a DLT template id of ours starts with this: no operator issues it, so an unreplaced one is rejected
SAMPLE_DLT_PREFIX: Final = "0" * 12
#: values that render every starter template (demo, simulators, tests)
SAMPLE_VALUES: Final[Mapping[str, object]] = MappingProxyType(
    {
        "customer_name": "Priya Sharma",
        "lender_name": "Sahyog Finance",
        "amount": "12345.50",
        "due_date": "2026-12-15",
        "paid_on": "2026-12-14",
        "loan_ref": "XXXX4821",
        "pay_link": "https://pay.example.in/Ab3dE9",
        "helpline": "1800 123 4567",
        "otp": "482913",
        "minutes": 5,
    }
)

_DLT_ID = re.compile(r"[0-9]{19}")
_KEYS: Final = frozenset(
    {
        "name",
        "channel",
        "purpose",
        "language",
        "tone",
        "subject",
        "subject_back_translation",
        "body",
        "back_translation",
        "variables",
        "dlt_template_id",
        "dlt_template_id_is_sample",
        "whatsapp_category",
        "collections_content",
    }
)


class StarterInvalid(ValueError):
    """A starter template file breaks one of the set's rules."""


@dataclass(frozen=True)
class StarterTemplate:
    """One starter template, as the lender's template would be created from it (status draft)."""

    name: str
    channel: str
    purpose: str
    language: str
    tone: str
    body: str
    variables: Mapping[str, Variable] = field(hash=False)
    subject: str | None = None
    dlt_template_id: str | None = None
    dlt_template_id_is_sample: bool = False
    whatsapp_category: str | None = None
    collections_content: bool = False
    back_translation: str | None = None
    subject_back_translation: str | None = None

    def variables_json(self) -> dict[str, dict[str, object]]:
        """The declarations as the templates API takes them: name → {type, max_length}."""
        return {name: {"type": v.type, "max_length": v.max_length} for name, v in self.variables.items()}

    def sample_values(self) -> dict[str, object]:
        """:data:`SAMPLE_VALUES` for this template's variables."""
        return {name: SAMPLE_VALUES[name] for name in self.variables}


def _entry(raw: Mapping[str, Any], language: str, where: str) -> StarterTemplate:
    def fail(message: str) -> StarterInvalid:
        return StarterInvalid(f"{where}: {message}")

    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise fail(f"unknown keys {unknown}")
    for key in ("name", "channel", "purpose", "language", "tone", "body"):
        if not isinstance(raw.get(key), str):
            raise fail(f"{key} is required text")
    channel, purpose, tone = raw["channel"], raw["purpose"], raw["tone"]
    if raw["language"] != language:
        raise fail(f"language {raw['language']!r} in the file of {language!r}")
    if channel not in CHANNELS or purpose not in PURPOSES:
        raise fail(f"unknown channel or purpose {channel!r}/{purpose!r}")
    if tone not in TONES_BY_PURPOSE[purpose]:
        raise fail(f"{purpose} is written in the tones {TONES_BY_PURPOSE[purpose]}, not {tone!r}")
    if raw["name"] != f"{purpose}_{tone}_{channel}_{language}":
        raise fail(f"name must be {purpose}_{tone}_{channel}_{language}")

    problems = check_template(raw["body"], raw.get("variables", {}), channel, subject=raw.get("subject"))
    if problems:
        raise fail("; ".join(f"{p['field']}: {p['message']}" for p in problems))
    variables, _ = parse_variables(raw["variables"])

    dlt_id, sample = raw.get("dlt_template_id"), raw.get("dlt_template_id_is_sample", False)
    if channel == "sms":
        if not isinstance(dlt_id, str) or not _DLT_ID.fullmatch(dlt_id):
            raise fail("an SMS template needs a 19-digit dlt_template_id")
        if sample is not dlt_id.startswith(SAMPLE_DLT_PREFIX):
            raise fail(f"dlt_template_id_is_sample must say whether the id starts with {SAMPLE_DLT_PREFIX}")
    elif dlt_id is not None or sample:
        raise fail("only an SMS template has a DLT template id")

    category, collections = raw.get("whatsapp_category"), raw.get("collections_content", False)
    if channel == "whatsapp":
        expected = "authentication" if purpose == "otp" else "utility"
        if category != expected:
            raise fail(f"a WhatsApp {purpose} template is in the category {expected!r}")
        if collections is not (purpose == "collections"):
            raise fail("collections_content is true exactly for collections on WhatsApp")
    elif category is not None or collections:
        raise fail("only a WhatsApp template has a category and collections_content")

    back, subject_back = raw.get("back_translation"), raw.get("subject_back_translation")
    if language != "en":
        if not isinstance(back, str) or not back.strip():
            raise fail("a non-English template carries its English back_translation")
        if channel == "email" and (not isinstance(subject_back, str) or not subject_back.strip()):
            raise fail("a non-English e-mail carries its subject_back_translation")
    elif back is not None or subject_back is not None:
        raise fail("the English master has no back-translation")

    return StarterTemplate(
        name=raw["name"],
        channel=channel,
        purpose=purpose,
        language=language,
        tone=tone,
        body=raw["body"],
        variables=MappingProxyType(variables),
        subject=raw.get("subject"),
        dlt_template_id=dlt_id,
        dlt_template_id_is_sample=bool(sample),
        whatsapp_category=category,
        collections_content=bool(collections),
        back_translation=back,
        subject_back_translation=subject_back,
    )


def parse_starter_file(text: str, language: str, *, source: str | None = None) -> list[StarterTemplate]:
    """The templates of one language's file, validated (:class:`StarterInvalid` on the first broken rule)."""
    where = source or f"{language}.json"
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StarterInvalid(f"{where}: not JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("language") != language:
        raise StarterInvalid(f'{where}: an object with "language": {language!r} and its "templates"')
    entries = document.get("templates")
    if not isinstance(entries, list):
        raise StarterInvalid(f'{where}: "templates" is a list')
    templates: list[StarterTemplate] = []
    for i, raw in enumerate(entries):
        if not isinstance(raw, dict):
            raise StarterInvalid(f"{where} templates[{i}]: an object")
        template = _entry(raw, language, f"{where} {raw.get('name') or f'templates[{i}]'}")
        # a name ends with its language, so a name unique in its file is unique in the set
        if any(t.name == template.name for t in templates):
            raise StarterInvalid(f"{where} {template.name}: the name is used twice")
        templates.append(template)
    return templates


@cache
def _load() -> tuple[StarterTemplate, ...]:
    folder = resources.files(__package__)
    templates: list[StarterTemplate] = []
    for language in LANGUAGES:
        text = folder.joinpath(f"{language}.json").read_text(encoding="utf-8")
        templates.extend(parse_starter_file(text, language))
    return tuple(templates)


def load_starter() -> list[StarterTemplate]:
    """Every starter template of every language, validated when first read."""
    return list(_load())
