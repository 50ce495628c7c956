"""Borrowers' replies read into intents, in seven languages, their scripts and their Latin spellings.

Every test is relative to one fixed day: Thursday 10 December 2026."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from creditdesk.channels.intents import Intent, parse_reply
from creditdesk.errors import ValidationFailed

TODAY = date(2026, 12, 10)  # a Thursday
TOMORROW = date(2026, 12, 11)
DAY_AFTER = date(2026, 12, 12)


def read(text, language=None):
    return parse_reply(text, language, TODAY)


# -- stop ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("STOP", "en"),
        ("Stop", None),
        ("unsubscribe", "en"),
        ("Please stop sending me messages", "en"),
        ("opt-out", "en"),
        ("स्टॉप", "hi"),
        ("बंद करो", "hi"),
        ("message mat bhejo", "hi"),
        ("band karo", "hi"),
        ("स्टॉप", "mr"),
        ("मेसेज पाठवू नका", "mr"),
        ("pathvu naka", "mr"),
        ("ஸ்டாப்", "ta"),
        ("நிறுத்துங்கள்", "ta"),
        ("message vendam", "ta"),
        ("స్టాప్", "te"),
        ("ఆపండి", "te"),
        ("pampakandi", "te"),
        ("স্টপ", "bn"),
        ("বন্ধ করুন", "bn"),
        ("bondho korun", "bn"),
        ("ಸ್ಟಾಪ್", "kn"),
        ("ನಿಲ್ಲಿಸಿ", "kn"),
        ("message beda", "kn"),
    ],
)
def test_stop_in_every_language_and_script(text, language):
    intent = read(text, language)
    assert intent.kind == "stop" and intent.promised_on is None
    assert intent.confidence >= 0.9


@pytest.mark.parametrize(
    "text",
    [
        "I will pay tomorrow, but stop calling me",
        "paid already. STOP",
        "kal dunga, message mat bhejo",
        "wrong number, stop",
        "நாளை கட்டுவேன், மெசேஜ் வேண்டாம்",
        "help STOP",
    ],
)
def test_stop_wins_over_everything_else(text):
    assert read(text).kind == "stop"


def test_stop_alone_is_surer_than_stop_in_a_sentence():
    assert read("STOP").confidence == 0.99
    assert read("please stop these messages").confidence == 0.9
    assert read("END").kind == "stop"  # the carriers' opt-out words count as the whole reply only
    assert read("the end of the month").kind != "stop"


# -- paid ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("I have already paid", "en"),
        ("payment done", "en"),
        ("पैसे भेज दिए", "hi"),
        ("paisa bhej diya", "hi"),
        ("maine payment kar diya hai", "hi"),
        ("मी पैसे भरले", "mr"),
        ("hapta bharla", "mr"),
        ("கட்டிவிட்டேன்", "ta"),
        ("nethe kattiten", "ta"),
        ("కట్టాను", "te"),
        ("payment chesanu", "te"),
        ("দিয়ে দিয়েছি", "bn"),
        ("taka pathiyechi", "bn"),
        ("ಕಟ್ಟಿದ್ದೇನೆ", "kn"),
        ("pay madidini", "kn"),
    ],
)
def test_paid_in_every_language(text, language):
    assert read(text, language) == Intent("paid", None, read(text, language).confidence)
    assert read(text, language).confidence >= 0.85


@pytest.mark.parametrize(
    "text",
    ["I have not paid yet", "not paid", "भरले नाही", "bharle nahi", "கட்டவில்லை", "కట్టలేదు", "দিইনি", "ಕಟ್ಟಿಲ್ಲ"],
)
def test_a_negated_payment_is_not_paid(text):
    assert read(text).kind != "paid"


def test_spelling_variants_read_alike():
    assert read("दूँगा कल").promised_on == TOMORROW  # candrabindu as anusvara: दूँगा is दूंगा
    assert read("doonga kal").promised_on == TOMORROW  # a doubled Latin letter counts once
    assert read("Páid").kind == "paid"  # an accent on a Latin letter is dropped
    assert read("I’ll pay tmrw").promised_on == TOMORROW  # typographic apostrophe


def test_a_paid_phrase_followed_by_a_negation_is_not_paid_but_an_emphatic_na_is():
    assert read("kattiten illa").kind != "paid"
    assert read("paisa bhej diya na").kind == "paid"  # "I sent it, didn't I?"


# -- promise -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "promised_on"),
    [
        ("I will pay tomorrow", "en", TOMORROW),
        ("will pay day after tomorrow", "en", DAY_AFTER),
        ("kal dunga", "hi", TOMORROW),
        ("parso de dunga", "hi", DAY_AFTER),
        ("कल भुगतान करूंगा", "hi", TOMORROW),
        ("उद्या भरेन", "mr", TOMORROW),
        ("udya bharto", "mr", TOMORROW),
        ("parva deto", "mr", DAY_AFTER),
        ("நாளைக்கு கட்டுவேன்", "ta", TOMORROW),
        ("naalai kattuven", "ta", TOMORROW),
        ("రేపు కడతాను", "te", TOMORROW),
        ("ellundi chellistanu", "te", DAY_AFTER),
        ("কাল দেব", "bn", TOMORROW),
        ("porshu debo", "bn", DAY_AFTER),
        ("ನಾಳೆ ಕಟ್ಟುತ್ತೇನೆ", "kn", TOMORROW),
        ("naale kattutini", "kn", TOMORROW),
    ],
)
def test_a_promise_with_a_relative_day_in_every_language(text, language, promised_on):
    intent = read(text, language)
    assert (intent.kind, intent.promised_on) == ("promise", promised_on)


@pytest.mark.parametrize(
    ("text", "promised_on"),
    [
        ("will pay on 15/12", date(2026, 12, 15)),
        ("will pay 15-12-2026", date(2026, 12, 15)),
        ("will pay on 20.12.26", date(2026, 12, 20)),
        ("will pay on 2026-12-20", date(2026, 12, 20)),
        ("I will pay on 15 Dec", date(2026, 12, 15)),
        ("I'll pay on the 15th of December", date(2026, 12, 15)),
        ("will pay on December 15", date(2026, 12, 15)),
        ("will pay on 5th", date(2027, 1, 5)),  # the 5th has passed this month: the next one
        ("will pay on 5 Jan", date(2027, 1, 5)),  # no year: the next 5 January
        ("15 tarikh ko dunga", date(2026, 12, 15)),
        ("15 दिसंबर को दे दूंगा", date(2026, 12, 15)),
        ("१५ दिसम्बर को दूंगा", date(2026, 12, 15)),  # Devanagari digits and the older spelling
        ("20 डिसेंबरला भरतो", date(2026, 12, 20)),
        ("டிசம்பர் 20 அன்று கட்டுவேன்", date(2026, 12, 20)),
        ("20ஆம் தேதி கட்டுவேன்", date(2026, 12, 20)),
        ("డిసెంబర్ 20 న చెల్లిస్తాను", date(2026, 12, 20)),
        ("২০ ডিসেম্বরে দেব", date(2026, 12, 20)),
        ("ಡಿಸೆಂಬರ್ 20 ರಂದು ಕಟ್ಟುತ್ತೇನೆ", date(2026, 12, 20)),
        ("jan 3 ko bhar dunga", date(2027, 1, 3)),
    ],
)
def test_a_promise_names_a_date_in_numbers_or_with_the_month_in_any_language(text, promised_on):
    assert read(text) == Intent("promise", promised_on, read(text).confidence)


@pytest.mark.parametrize(
    ("text", "promised_on"),
    [
        ("will pay on Friday", date(2026, 12, 11)),
        ("will pay monday", date(2026, 12, 14)),
        ("will pay on thursday", date(2026, 12, 17)),  # today's weekday is next week's
        ("somvar ko dunga", date(2026, 12, 14)),
        ("सोमवार को भुगतान करूंगा", date(2026, 12, 14)),
        ("शुक्रवारी भरतो", date(2026, 12, 11)),
        ("திங்கள்கிழமை கட்டுவேன்", date(2026, 12, 14)),
        ("శుక్రవారం చెల్లిస్తాను", date(2026, 12, 11)),
        ("সোমবার দেব", date(2026, 12, 14)),
        ("ಸೋಮವಾರ ಕಟ್ಟುತ್ತೇನೆ", date(2026, 12, 14)),
        ("robibar debo", date(2026, 12, 13)),
    ],
)
def test_a_weekday_is_its_next_occurrence_after_today(text, promised_on):
    assert read(text).promised_on == promised_on


@pytest.mark.parametrize(
    ("text", "promised_on"),
    [
        ("I will pay next week", TODAY + timedelta(days=7)),
        ("agle hafte de dunga", TODAY + timedelta(days=7)),
        ("will pay in 3 days", TODAY + timedelta(days=3)),
        ("3 din mein de dunga", TODAY + timedelta(days=3)),
        ("aaj shaam tak bhej dunga", TODAY),
        ("kal nahi, parso dunga", DAY_AFTER),  # with several dates the latest counts
    ],
)
def test_next_week_in_n_days_and_today(text, promised_on):
    assert read(text).promised_on == promised_on


@pytest.mark.parametrize(
    "text",
    [
        "will pay on salary day",
        "salary aane par de dunga",
        "pagar zalyavar bharto",
        "சம்பளம் வந்ததும் கட்டுவேன்",
        "jeetham raagane kadatanu",
        "বেতন পেলে দেব",
        "ಸಂಬಳ ಬಂದ ಮೇಲೆ ಕಟ್ಟುತ್ತೇನೆ",
        "next month",
    ],
)
def test_salary_day_is_a_promise_without_a_date(text):
    assert read(text) == Intent("promise", None, read(text).confidence)


@pytest.mark.parametrize(
    "text",
    [
        "will pay on 1/12",  # the 1st of this month has passed: the next 1 December is a year away
        "will pay on 15/12/2025",  # in the past
        "will pay on 15/06/2027",  # more than 90 days ahead
        "will pay on 31/02",  # no such day
    ],
)
def test_a_date_in_the_past_or_over_90_days_ahead_is_no_promise_date(text):
    assert read(text) == Intent("promise", None, 0.85)


def test_a_day_of_the_month_that_is_not_on_the_calendar_is_skipped():
    # 31 November does not exist: the next 31st is in December
    assert parse_reply("31 tarikh ko dunga", "hi", date(2026, 11, 10)).promised_on == date(2026, 12, 31)
    # the 30th has passed in January and February has none: no date within the next two months
    assert parse_reply("30 tarikh ko dunga", "hi", date(2027, 1, 31)) == Intent("promise", None, 0.85)
    assert read("will pay 31/02/2027").promised_on is None
    assert read("will pay 123/12").promised_on is None  # not a day


def test_the_promise_horizon_is_90_days_inclusive():
    assert read("will pay on 10/03/2027").promised_on == date(2027, 3, 10)  # day 90
    assert read("will pay on 11/03/2027").promised_on is None


def test_a_date_alone_is_a_less_sure_promise():
    assert read("15/12") == Intent("promise", date(2026, 12, 15), 0.6)
    assert read("kal") == Intent("promise", TOMORROW, 0.6)
    assert read("after salary") == Intent("promise", None, 0.5)


def test_a_promise_outranks_a_payment_and_a_money_amount_is_no_date():
    assert read("paid 2000 today, will pay 1500.50 on 20/12").promised_on == date(2026, 12, 20)
    assert read("paid on 15/12").kind == "paid"


# -- help and dispute ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Please call me", "en"),
        ("I lost my job, cannot pay", "en"),
        ("madad chahiye", "hi"),
        ("paise nahi hai abhi", "hi"),
        ("मदत हवी", "mr"),
        ("உதவி வேண்டும்", "ta"),
        ("velai pochu", "ta"),
        ("సహాయం కావాలి", "te"),
        ("কিভাবে দেব?", "bn"),  # how do I pay: not "I will pay"
        ("ಸಹಾಯ ಬೇಕು", "kn"),
        ("salary nahi aayi", "hi"),  # hardship, not a salary-day promise
    ],
)
def test_help_and_hardship_in_every_language(text, language):
    assert read(text, language).kind == "help"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("This is not my loan", "en"),
        ("wrong number", "en"),
        ("I never took any loan, this is fraud", "en"),
        ("galat message hai", "hi"),
        ("maine loan nahi liya", "hi"),
        ("माझे लोन नाही", "mr"),
        ("இது தவறு", "ta"),
        ("naa loan kadu", "te"),
        ("আমি লোন নিইনি", "bn"),
        ("ನನ್ನ ಸಾಲ ಅಲ್ಲ", "kn"),
    ],
)
def test_dispute_in_every_language(text, language):
    assert read(text, language).kind == "dispute"


def test_a_dispute_outranks_a_payment():
    assert read("already paid, this is wrong").kind == "dispute"


# -- everything else -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "hello", "ok", "👍", "who is this?"])
def test_anything_else_is_unknown(text):
    assert read(text) == Intent("unknown", None, 0.0)


def test_confidence_reflects_the_whole_reply_conflicts_and_the_language():
    assert read("paid", "en").confidence == 0.95
    assert read("yes I paid yesterday", "en").confidence == 0.85
    assert read("paid, please call me", "en").confidence == 0.65  # help is there too
    assert read("kal dunga", "hi").confidence == 0.85
    assert read("kal dunga", "ta").confidence == 0.75  # Hindi words in a Tamil conversation


def test_every_language_is_read_whatever_the_message_was_in():
    assert read("நாளை கட்டுவேன்", "hi").promised_on == TOMORROW
    assert read("paisa bhej diya", "kn").kind == "paid"


def test_an_unsupported_language_is_a_validation_error():
    with pytest.raises(ValidationFailed) as caught:
        parse_reply("paid", "fr", TODAY)
    assert caught.value.extra["fields"][0]["field"] == "body.language"
