"""The starter template set: complete, valid, renderable in its language, and within the channel rules."""

from __future__ import annotations

import copy
import itertools
import json
import re
from datetime import date
from decimal import Decimal
from importlib import resources

import pytest

from creditdesk.channels.formatting import LANGUAGES, format_amount, format_date
from creditdesk.channels.starter import (
    PURPOSES,
    SAMPLE_DLT_PREFIX,
    SAMPLE_VALUES,
    TONES_BY_PURPOSE,
    StarterInvalid,
    load_starter,
    parse_starter_file,
)
from creditdesk.channels.templates import CHANNELS, check_template, placeholders, render

STARTER = load_starter()
BY_NAME = {t.name: t for t in STARTER}
#: the Unicode block of each language's script
SCRIPTS = {
    "hi": (0x0900, 0x097F),
    "mr": (0x0900, 0x097F),
    "bn": (0x0980, 0x09FF),
    "ta": (0x0B80, 0x0BFF),
    "te": (0x0C00, 0x0C7F),
    "kn": (0x0C80, 0x0CFF),
}
#: what a collections message must never say or hint at (RBI's fair practices: no threats, no shaming,
#: no third parties), checked in the English master and in every back-translation
FORBIDDEN = re.compile(
    r"\b(legal|court|police|arrest|jail|prison|lawyer|advocate|recovery agent|seize|seizure|repossess|visit|"
    r"your (family|employer|office|relatives|neighbou?rs|friends|references)|shame|defaulter|criminal|"
    r"blacklist|last warning|final notice|consequences)\b",
    re.IGNORECASE,
)


def ident(template):
    return template.name


def test_every_channel_purpose_and_language_is_there_in_its_tones():
    grid = {(t.channel, t.purpose, t.language, t.tone) for t in STARTER}
    expected = {
        (channel, purpose, language, tone)
        for channel, purpose, language in itertools.product(CHANNELS, PURPOSES, LANGUAGES)
        for tone in TONES_BY_PURPOSE[purpose]
    }
    assert grid == expected
    assert len(STARTER) == len(expected) == 4 * 8 * 7
    assert len(BY_NAME) == len(STARTER)


def test_tones_follow_the_purpose():
    for template in STARTER:
        if template.purpose in ("otp", "alert"):
            assert template.tone == "formal", template.name
    tones = {t.tone for t in STARTER if t.purpose in ("reminder", "collections")}
    assert tones == {"formal", "empathetic", "firm"}


@pytest.mark.parametrize("template", STARTER, ids=ident)
def test_every_template_passes_check_template(template):
    assert check_template(template.body, template.variables_json(), template.channel, subject=template.subject) == []


@pytest.mark.parametrize("template", STARTER, ids=ident)
def test_every_template_renders_with_sample_values_in_its_language(template):
    rendered = render(
        template.body, template.variables, template.sample_values(), template.language,
        channel=template.channel, subject=template.subject,
    )  # fmt: skip
    assert "{{" not in rendered.text and "}}" not in rendered.text
    if "amount" in template.variables:
        sign = "Rs." if template.channel == "sms" and template.language == "en" else "₹"
        assert format_amount(Decimal(str(SAMPLE_VALUES["amount"])), template.language, sign=sign) in rendered.text
    for name in ("due_date", "paid_on"):
        if name in template.variables:
            day = date.fromisoformat(str(SAMPLE_VALUES[name]))
            assert format_date(day, template.language, "long") in rendered.text
    if template.channel == "email":
        assert rendered.subject and "{{" not in rendered.subject
    if template.channel == "voice" and "otp" in template.variables:
        assert "4 8 2 9 1 3" in rendered.text


@pytest.mark.parametrize("template", [t for t in STARTER if t.language != "en"], ids=ident)
def test_a_translated_template_is_written_in_its_script(template):
    low, high = SCRIPTS[template.language]
    text = re.sub(r"\{\{[a-z_]+\}\}|EMI|OTP|credit bureau", "", template.body)
    letters = [c for c in text if c.isalpha()]
    native = [c for c in letters if low <= ord(c) <= high]
    assert len(native) >= 0.9 * len(letters), template.name


@pytest.mark.parametrize("template", [t for t in STARTER if t.language != "en"], ids=ident)
def test_a_back_translation_carries_the_same_placeholders(template):
    assert template.back_translation is not None
    assert set(placeholders(template.back_translation)) == set(placeholders(template.body))
    if template.channel == "email":
        assert template.subject is not None and template.subject_back_translation is not None
        assert set(placeholders(template.subject_back_translation)) == set(placeholders(template.subject))


@pytest.mark.parametrize("template", STARTER, ids=ident)
def test_no_threat_no_shaming_no_third_party(template):
    for text in (template.body, template.subject, template.back_translation, template.subject_back_translation):
        if text is not None and (template.language == "en" or text is not template.body):
            assert not FORBIDDEN.search(text), (template.name, FORBIDDEN.search(text))


@pytest.mark.parametrize("template", STARTER, ids=ident)
def test_each_message_names_the_lender_and_a_way_to_pay_or_get_help(template):
    names = set(template.variables)
    if template.purpose != "otp" or template.channel != "whatsapp":  # WhatsApp shows the business as sender
        assert "lender_name" in names
    if template.purpose in ("reminder", "collections"):
        assert {"amount", "due_date", "helpline"} <= names
        assert "pay_link" in names or template.channel == "voice"  # nobody can tap a link on a call
    if template.purpose == "alert":
        assert {"amount", "paid_on", "helpline"} <= names
    if template.purpose == "otp":
        assert {"otp", "minutes"} <= names


def test_the_same_channel_and_purpose_take_the_same_variables_in_every_language_and_tone():
    # whoever sends picks a template by language and tone and passes the same values
    declared: dict[tuple[str, str], dict] = {}
    for template in STARTER:
        assert declared.setdefault((template.channel, template.purpose), template.variables_json()) == (
            template.variables_json()
        ), template.name


@pytest.mark.parametrize("template", [t for t in STARTER if t.channel == "voice"], ids=ident)
def test_a_call_checks_it_reached_the_borrower_before_saying_anything_about_the_loan(template):
    if template.purpose == "otp":
        return
    first = template.body.index("{{customer_name}}")
    assert template.body.count("{{customer_name}}") >= 2  # "for X … if you are not X, end this call"
    assert first < template.body.index("{{amount}}")


def test_sms_templates_carry_a_sample_dlt_id_and_stay_short():
    for template in STARTER:
        if template.channel != "sms":
            assert template.dlt_template_id is None and not template.dlt_template_id_is_sample
            continue
        assert template.dlt_template_id is not None and re.fullmatch(r"[0-9]{19}", template.dlt_template_id)
        assert template.dlt_template_id.startswith(SAMPLE_DLT_PREFIX) and template.dlt_template_id_is_sample
        assert all(v.max_length <= 30 for v in template.variables.values())
        rendered = render(template.body, template.variables, template.sample_values(), template.language, channel="sms")
        limit = 2 if template.language == "en" else 5
        assert rendered.segments <= limit, (template.name, rendered.segments)
        assert rendered.encoding == ("GSM-7" if template.language == "en" else "UCS-2"), template.name
    ids = [t.dlt_template_id for t in STARTER if t.channel == "sms"]
    assert len(set(ids)) == len(ids)


def test_english_sms_reminders_fit_one_part_in_the_formal_tone():
    for purpose in ("reminder", "collections"):
        template = BY_NAME[f"{purpose}_formal_sms_en"]
        rendered = render(template.body, template.variables, template.sample_values(), "en", channel="sms")
        assert rendered.segments == 1, rendered.text


def test_whatsapp_categories_and_the_collections_flag():
    for template in STARTER:
        if template.channel != "whatsapp":
            assert template.whatsapp_category is None and not template.collections_content
            continue
        expected = "authentication" if template.purpose == "otp" else "utility"
        assert template.whatsapp_category == expected, template.name
        assert template.collections_content is (template.purpose == "collections"), template.name


def test_only_email_has_a_subject():
    for template in STARTER:
        assert (template.subject is not None) is (template.channel == "email"), template.name


def test_load_starter_returns_a_fresh_list_of_frozen_templates():
    first, second = load_starter(), load_starter()
    assert first == second and first is not second
    with pytest.raises(AttributeError):
        first[0].body = "changed"  # type: ignore[misc]


# -- what the loader refuses ---------------------------------------------------------------------------


def _hindi():
    return json.loads(resources.files("creditdesk.channels.starter").joinpath("hi.json").read_text(encoding="utf-8"))


def _broken(change):
    document = copy.deepcopy(_hindi())
    change(document["templates"])
    return json.dumps(document, ensure_ascii=False)


def _by(templates, name):
    return next(t for t in templates if t["name"] == name)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda ts: _by(ts, "otp_formal_sms_hi").update(tone="empathetic"), "tones"),
        (lambda ts: _by(ts, "otp_formal_sms_hi").update(name="otp_sms_hi"), "name must be otp_formal_sms_hi"),
        (lambda ts: _by(ts, "otp_formal_sms_hi").update(dlt_template_id="12345"), "19-digit"),
        (
            lambda ts: _by(ts, "otp_formal_sms_hi").update(dlt_template_id="1107161234567890123"),
            "dlt_template_id_is_sample",
        ),
        (lambda ts: _by(ts, "otp_formal_email_hi").update(dlt_template_id="0" * 19), "only an SMS"),
        (lambda ts: _by(ts, "otp_formal_whatsapp_hi").update(whatsapp_category="utility"), "authentication"),
        (
            lambda ts: _by(ts, "collections_firm_whatsapp_hi").update(collections_content=False),
            "collections_content",
        ),
        (lambda ts: _by(ts, "alert_formal_voice_hi").update(whatsapp_category="utility"), "only a WhatsApp"),
        (lambda ts: _by(ts, "alert_formal_voice_hi").pop("back_translation"), "back_translation"),
        (lambda ts: _by(ts, "alert_formal_email_hi").pop("subject_back_translation"), "subject_back_translation"),
        (lambda ts: _by(ts, "alert_formal_email_hi").pop("subject"), "body.subject: required"),
        (lambda ts: _by(ts, "alert_formal_sms_hi").update(body="धन्यवाद {{amount}}"), "declared but not used"),
        (lambda ts: _by(ts, "alert_formal_sms_hi").update(language="mr"), "in the file of 'hi'"),
        (lambda ts: _by(ts, "alert_formal_sms_hi").update(colour="red"), "unknown keys"),
        (lambda ts: _by(ts, "alert_formal_sms_hi").update(channel="fax"), "unknown channel"),
        (lambda ts: _by(ts, "alert_formal_sms_hi").pop("body"), "body is required"),
        (lambda ts: ts.append("not an object"), "an object"),
        (lambda ts: ts.append(copy.deepcopy(ts[0])), "reminder_formal_sms_hi: the name is used twice"),
    ],
)
def test_the_loader_refuses_a_template_that_breaks_a_rule(change, message):
    with pytest.raises(StarterInvalid, match=re.escape(message)):
        parse_starter_file(_broken(change), "hi")


def test_the_loader_refuses_a_malformed_file():
    with pytest.raises(StarterInvalid, match="not JSON"):
        parse_starter_file("{", "hi")
    with pytest.raises(StarterInvalid, match="language"):
        parse_starter_file(json.dumps({"language": "mr", "templates": []}), "hi")
    with pytest.raises(StarterInvalid, match="is a list"):
        parse_starter_file(json.dumps({"language": "hi", "templates": {}}), "hi")
    english = json.loads(resources.files("creditdesk.channels.starter").joinpath("en.json").read_text("utf-8"))
    english["templates"][0]["back_translation"] = "no"
    with pytest.raises(StarterInvalid, match="English master"):
        parse_starter_file(json.dumps(english), "en")
