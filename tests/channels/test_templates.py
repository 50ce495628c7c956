"""Templates: checking a body against its declared variables, rendering with validated values, SMS parts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from creditdesk.channels.templates import (
    MAX_BODY,
    Rendered,
    Variable,
    check_template,
    placeholders,
    render,
    sms_encoding,
    sms_segments,
)
from creditdesk.errors import ValidationFailed

REMINDER = "Dear Customer, EMI of {{amount}} is due on {{due_date}}. Pay: {{pay_link}} - {{lender_name}}. Thank you."
REMINDER_VARS = {
    "amount": {"type": "amount", "max_length": 20},
    "due_date": {"type": "date", "max_length": 30},
    "pay_link": {"type": "url", "max_length": 30},
    "lender_name": {"type": "text", "max_length": 30},
}
VALUES = {
    "amount": "123456",
    "due_date": "2026-12-15",
    "pay_link": "https://pay.example.in/Ab3dE9",
    "lender_name": "Sahyog Finance",
}


def fields(errors):
    return [(e["field"], e["message"]) for e in errors]


def failed(exc_info):
    return {f["field"]: f["message"] for f in exc_info.value.extra["fields"]}


# -- check_template ------------------------------------------------------------------------------------


def test_a_well_formed_template_has_no_errors_on_any_channel():
    assert check_template(REMINDER, REMINDER_VARS, "sms") == []
    assert check_template(REMINDER, REMINDER_VARS, "whatsapp") == []
    assert check_template(REMINDER, REMINDER_VARS, "email", subject="EMI due on {{due_date}}") == []


def test_undeclared_placeholder_and_unused_declaration_are_named():
    variables = {**REMINDER_VARS, "helpline": {"type": "phone", "max_length": 16}}
    errors = check_template(REMINDER + " {{loan_ref}}", variables, "sms")
    assert ("body.body", "placeholder {{loan_ref}} is not declared in variables") in fields(errors)
    assert ("body.variables.helpline", "declared but not used in the template") in fields(errors)
    assert all(e["type"] == "value_error" for e in errors)


@pytest.mark.parametrize("bad", ["{{ amount }}", "{{Amount}}", "{{1st}}", "{{due-date}}", "{{}}", "{{{amount}}}"])
def test_a_malformed_placeholder_is_a_bad_name(bad):
    errors = check_template(f"Pay {bad} now", {}, "sms")
    assert any(f == "body.body" and "is not a placeholder" in m for f, m in fields(errors)), errors


def test_unbalanced_braces_are_reported():
    errors = check_template("Pay {{amount now", REMINDER_VARS, "sms")
    assert ("body.body", "unbalanced braces: every {{ needs its }}") in fields(errors)


def test_a_single_brace_is_text():
    assert check_template("Use code {A1} with {{amount}}", {"amount": REMINDER_VARS["amount"]}, "sms") == []


@pytest.mark.parametrize(
    ("declaration", "field", "message"),
    [
        ({"type": "money", "max_length": 20}, "body.variables.amount.type", "must be one of text, amount"),
        ({"type": "amount"}, "body.variables.amount.max_length", "required"),
        ({"type": "amount", "max_length": 0}, "body.variables.amount.max_length", "between 1 and"),
        ({"type": "amount", "max_length": True}, "body.variables.amount.max_length", "required"),
        ({"type": "amount", "max_length": 20, "maxlen": 3}, "body.variables.amount", "unknown key(s) maxlen"),
        ("amount", "body.variables.amount", "must be an object"),
    ],
)
def test_declarations_are_checked(declaration, field, message):
    errors = check_template("{{amount}} due", {"amount": declaration}, "whatsapp")
    assert any(f == field and message in m for f, m in fields(errors)), errors
    # a declaration that failed is not reported a second time as missing
    assert not any("not declared" in m for _, m in fields(errors))


def test_a_bad_variable_name_is_reported_at_the_declaration():
    errors = check_template("Hi", {"Due Date": {"type": "date", "max_length": 30}}, "email", subject="Hi")
    assert any(f == "body.variables.Due Date" and "bad variable name" in m for f, m in fields(errors))


def test_each_sms_variable_is_at_most_30_characters_for_dlt():
    variables = {**REMINDER_VARS, "pay_link": {"type": "url", "max_length": 200}}
    errors = check_template(REMINDER, variables, "sms")
    assert fields(errors) == [
        (
            "body.variables.pay_link.max_length",
            "an SMS template's variable part is at most 30 characters (DLT)",
        )
    ]
    assert check_template(REMINDER, variables, "whatsapp") == []  # only SMS is registered with DLT


def test_a_body_too_long_for_the_channel_counts_variables_at_their_max_length():
    filler = "x" * (MAX_BODY["sms"] - 30)
    variables = {"lender_name": {"type": "text", "max_length": 30}}
    assert check_template(filler + "{{lender_name}}", variables, "sms") == []
    errors = check_template(filler + "!{{lender_name}}", variables, "sms")
    assert any(f == "body.body" and m.startswith("too long for sms") for f, m in fields(errors))
    assert check_template("y" * 1025, {}, "whatsapp")[0]["message"].startswith("too long for whatsapp")


def test_a_whatsapp_body_neither_starts_nor_ends_with_a_placeholder():
    variables = {"otp": {"type": "otp", "max_length": 8}}
    for body in ("{{otp}} is your code.", "Your code is {{otp}}", "  Your code is {{otp}}\n"):
        errors = check_template(body, variables, "whatsapp")
        assert ("body.body", "a WhatsApp template may not start or end with a placeholder") in fields(errors)
    assert check_template("Your code is {{otp}}.", variables, "whatsapp") == []
    assert check_template("{{otp}} is your code", variables, "sms") == []


def test_a_voice_call_cannot_carry_a_link():
    errors = check_template("Pay at {{pay_link}} today.", {"pay_link": REMINDER_VARS["pay_link"]}, "voice")
    assert fields(errors) == [("body.variables.pay_link.type", "a voice call cannot carry a link")]


def test_email_needs_a_one_line_subject_whose_placeholders_count_as_used():
    variables = {"loan_ref": {"type": "text", "max_length": 20}, "amount": REMINDER_VARS["amount"]}
    assert check_template("Your EMI of {{amount}} is due.", variables, "email", subject="Loan {{loan_ref}}") == []
    assert ("body.subject", "required for an e-mail template") in fields(
        check_template("{{amount}} {{loan_ref}}", variables, "email")
    )
    errors = check_template("{{amount}}", variables, "email", subject="Loan\r\nBcc: x@example.com {{loan_ref}}")
    assert ("body.subject", "must be one line") in fields(errors)
    long_subject = check_template("{{amount}} {{loan_ref}}", variables, "email", subject="s" * 140 + "{{loan_ref}}")
    assert any(f == "body.subject" and "longer than 150" in m for f, m in fields(long_subject))
    assert ("body.subject", "only an e-mail has a subject, not sms") in fields(
        check_template("{{amount}} {{loan_ref}}", variables, "sms", subject="x")
    )


def test_unknown_channel_and_empty_body_are_reported():
    assert fields(check_template("", {}, "fax")) == [
        ("body.channel", "must be one of sms, whatsapp, email, voice"),
        ("body.body", "required: the text of the message"),
    ]
    assert fields(check_template("x", "not a mapping", "sms")) == [  # type: ignore[arg-type]
        ("body.variables", "must be an object of name → {type, max_length}")
    ]


def test_placeholders_are_listed_in_order_of_first_use():
    assert placeholders("{{b}} {{a}} {{b}} {{ c }}") == ["b", "a"]


# -- render --------------------------------------------------------------------------------------------


def test_render_formats_each_value_for_the_language():
    rendered = render(REMINDER, REMINDER_VARS, VALUES, "hi")
    assert rendered.text == (
        "Dear Customer, EMI of ₹1,23,456 is due on 15 दिसंबर 2026. Pay: https://pay.example.in/Ab3dE9 - Sahyog Finance. "
        "Thank you."
    )
    assert rendered == Rendered(text=rendered.text, segments=2, encoding="UCS-2")


def test_an_english_sms_writes_rupees_as_rs_and_stays_gsm_7():
    rendered = render(REMINDER, REMINDER_VARS, {**VALUES, "amount": Decimal("1234567.50")}, "en", channel="sms")
    assert "Rs.12,34,567.50" in rendered.text and "₹" not in rendered.text
    assert (rendered.encoding, rendered.segments) == ("GSM-7", 1)
    # any other channel, or another language, keeps the rupee sign
    assert "₹12,34,567.50" in render(REMINDER, REMINDER_VARS, {**VALUES, "amount": "1234567.5"}, "en").text
    assert "₹" in render(REMINDER, REMINDER_VARS, VALUES, "ta", channel="sms").text


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("amount", "-1", "must be an amount of zero or more"),
        ("amount", "12.345", "more than two decimal places"),
        ("amount", "1,500", "must be an amount in rupees"),
        ("amount", "NaN", "must be an amount in rupees"),
        ("amount", True, "must be an amount in rupees"),
        ("due_date", "15/12/2026", "must be an ISO date (YYYY-MM-DD)"),
        ("due_date", "2026-02-30", "is not a date on the calendar"),
        ("due_date", datetime(2026, 12, 15, 10, 0), "not a date and time"),
        ("pay_link", "http://pay.example.in/x", "must be an https:// link"),
        ("pay_link", "https://bank.example.in@evil.example/x", "to a named host"),
        ("pay_link", "https://localhost/x", "to a named host"),
        ("pay_link", "https://pay.example.in/a b", "without spaces"),
        ("pay_link", "https://[pay.example.in/x", "is not a valid link"),
        ("lender_name", "", "must be non-empty text"),
        ("lender_name", "Sahyog\nFinance", "without control characters"),
        ("lender_name", "Sahyog\u202eecnaniF", "without control characters"),
        ("lender_name", "Visit www.example.in", "declare a variable of type url"),
        ("lender_name", "S" * 31, "is 31 characters as written, more than the 30 allowed"),
    ],
)
def test_a_bad_value_is_a_validation_error_naming_the_variable(name, value, message):
    with pytest.raises(ValidationFailed) as caught:
        render(REMINDER, REMINDER_VARS, {**VALUES, name: value}, "en")
    assert message in failed(caught)[f"body.variables.{name}"]
    assert caught.value.status == 422 and f"body.variables.{name}" in caught.value.message


def test_every_bad_value_is_reported_at_once_with_missing_and_unknown_ones():
    with pytest.raises(ValidationFailed) as caught:
        render(REMINDER, REMINDER_VARS, {"amount": "-5", "due_date": None, "otp": "1234"}, "en")
    assert failed(caught) == {
        "body.variables.otp": "is not a variable of this template",
        "body.variables.amount": "must be an amount of zero or more",
        "body.variables.due_date": "required: a value of type date",
        "body.variables.pay_link": "required: a value of type url",
        "body.variables.lender_name": "required: a value of type text",
    }


@pytest.mark.parametrize(
    ("value", "ok"),
    [("4815", True), ("04815162", True), ("123", False), ("123456789", False), ("12a4", False), (4815, False)],
)
def test_an_otp_is_a_string_of_4_to_8_digits(value, ok):
    body, variables = "Your code is {{otp}}.", {"otp": {"type": "otp", "max_length": 8}}
    if ok:
        assert render(body, variables, {"otp": value}, "en").text == f"Your code is {value}."
    else:
        with pytest.raises(ValidationFailed) as caught:
            render(body, variables, {"otp": value}, "en")
        assert "4 to 8 digits" in failed(caught)["body.variables.otp"]


def test_a_voice_call_reads_an_otp_digit_by_digit():
    body, variables = "Your code is {{otp}}.", {"otp": {"type": "otp", "max_length": 6}}
    assert render(body, variables, {"otp": "048151"}, "en", channel="voice").text == "Your code is 0 4 8 1 5 1."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1800 123 4567", "1800 123 4567"),
        ("+91 98765-43210", "+91 98765-43210"),
        ("  022  2345 6789 ", "022 2345 6789"),
    ],
)
def test_a_phone_number_is_digits_spaces_and_hyphens(value, expected):
    variables = {"helpline": {"type": "phone", "max_length": 16}}
    assert render("Call {{helpline}}.", variables, {"helpline": value}, "en").text == f"Call {expected}."


@pytest.mark.parametrize("value", ["call us", "12345", "+91 98765 43210 1234", "98765#43210", 9876543210])
def test_a_bad_phone_number_is_refused(value):
    with pytest.raises(ValidationFailed) as caught:
        render("Call {{helpline}}.", {"helpline": {"type": "phone", "max_length": 30}}, {"helpline": value}, "en")
    assert "body.variables.helpline" in failed(caught)


def test_numbers_dates_and_amounts_accept_their_python_types():
    variables = {"n": {"type": "number", "max_length": 12}, "d": {"type": "date", "max_length": 30}}
    rendered = render("{{n}} days to {{d}}", variables, {"n": 1234567, "d": date(2027, 1, 5)}, "mr")
    assert rendered.text == "12,34,567 days to 5 जानेवारी, 2027"
    with pytest.raises(ValidationFailed) as caught:
        render("{{n}} days to {{d}}", variables, {"n": "1.2345", "d": date(2027, 1, 5)}, "en")
    assert failed(caught) == {"body.variables.n": "has more than three decimal places"}
    with pytest.raises(ValidationFailed):
        render("{{n}} days to {{d}}", variables, {"n": "many", "d": date(2027, 1, 5)}, "en")


def test_variable_declarations_may_be_variable_objects():
    variables = {"amount": Variable(type="amount", max_length=20)}
    assert render("Pay {{amount}}.", variables, {"amount": 1500.5}, "kn").text == "Pay ₹1,500.50."


def test_substitution_is_one_pass_so_a_value_is_never_read_as_a_template():
    variables = {"lender_name": {"type": "text", "max_length": 30}, "otp": {"type": "otp", "max_length": 8}}
    rendered = render("{{lender_name}}: code {{otp}}.", variables, {"lender_name": "{{otp}}", "otp": "1234"}, "en")
    assert rendered.text == "{{otp}}: code 1234."


def test_an_sms_value_over_30_characters_is_refused_even_if_declared_longer():
    variables = {"lender_name": {"type": "text", "max_length": 100}}
    name = "Sahyog Micro Finance Private Ltd"  # 32 characters
    assert render("From {{lender_name}}.", variables, {"lender_name": name}, "en").text == f"From {name}."
    with pytest.raises(ValidationFailed) as caught:
        render("From {{lender_name}}.", variables, {"lender_name": name}, "en", channel="sms")
    assert failed(caught) == {"body.variables.lender_name": "is 32 characters as written, more than the 30 allowed"}


def test_a_broken_template_or_language_is_refused_before_the_values():
    with pytest.raises(ValidationFailed) as caught:
        render("Pay {{amount}} by {{due_date}}", {"amount": REMINDER_VARS["amount"]}, {"amount": "1"}, "en")
    assert failed(caught) == {"body.body": "placeholder {{due_date}} is not declared in variables"}
    with pytest.raises(ValidationFailed) as caught:
        render(REMINDER, {"amount": {"type": "money"}}, VALUES, "en")
    assert "body.variables.amount.type" in failed(caught)
    with pytest.raises(ValidationFailed) as caught:
        render(REMINDER, REMINDER_VARS, VALUES, "gu")
    assert "body.language" in failed(caught)
    with pytest.raises(ValidationFailed) as caught:
        render(REMINDER, REMINDER_VARS, VALUES, "en", channel="telegram")
    assert "body.channel" in failed(caught)
    with pytest.raises(ValidationFailed) as caught:
        render(REMINDER, REMINDER_VARS, ["not", "a", "mapping"], "en")  # type: ignore[arg-type]
    assert "body.variables" in failed(caught)


def test_an_email_renders_its_subject_with_the_same_values():
    variables = {"amount": REMINDER_VARS["amount"], "loan_ref": {"type": "text", "max_length": 20}}
    rendered = render(
        "Your EMI of {{amount}} is due.", variables, {"amount": "500", "loan_ref": "XXXX4821"}, "bn",
        channel="email", subject="লোন {{loan_ref}}",
    )  # fmt: skip
    assert (rendered.subject, rendered.text) == ("লোন XXXX4821", "Your EMI of ₹500 is due.")
    with pytest.raises(ValidationFailed) as caught:
        render("Hi", variables, {}, "en", subject="Loan {{loan_ref}} {{x}}")
    assert failed(caught) == {"body.body": "placeholder {{x}} is not declared in variables"}


# -- SMS parts -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # an extension character counts twice: 160 units
        ("€" * 81, "GSM-7", 2),
        ("a" * 153 + "€", "GSM-7", 1),  # 155 units
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 3),  # 306 units, but the escape pair is not split: 152 | 2 + 151 | 1
        ("₹" + "a" * 69, "UCS-2", 1),
        ("₹" + "a" * 70, "UCS-2", 2),
        ("अ" * 134, "UCS-2", 2),
        ("अ" * 135, "UCS-2", 3),
        ("🙂" * 35, "UCS-2", 1),  # outside the BMP: two UTF-16 units each
        ("🙂" * 36, "UCS-2", 2),
        ("a" * 66 + "🙂" + "a" * 10, "UCS-2", 2),  # a surrogate pair is not split across parts
        ("", "GSM-7", 1),
    ],
)
def test_sms_encoding_and_parts(text, encoding, segments):
    assert sms_segments(text) == (encoding, segments)


def test_gsm_7_covers_its_alphabet_and_nothing_else():
    assert sms_encoding("Pay @ £5 {now} [ok] ~ | \\ ^ € é ñ Ü ¿ ¡ Δ\n") == "GSM-7"
    for char in ("₹", "ç", "`", "á", "™", "अ", "—"):
        assert sms_encoding(f"Pay {char}") == "UCS-2", char
