"""E-mail over a real SMTP exchange with the local server: STARTTLS, AUTH, UTF-8 (Hindi and ₹) intact,
and every failure mapped to the channel error family."""

from __future__ import annotations

import smtplib
import socket

import pytest

from creditdesk.channels.mail import LocalSmtpServer, SmtpConfig, _smtp_error, build_message, send_mail
from creditdesk.channels.providers import (
    ChannelAuthError,
    ChannelConfigError,
    ChannelRejected,
    ChannelTimeout,
    ChannelUnavailable,
)

SUBJECT = "आपकी किस्त ₹1,23,456 — देय तिथि 05-08-2025"
TEXT = "नमस्ते आशा जी,\n\nआपकी किस्त ₹1,23,456 दिनांक 05-08-2025 तक देय है।\nधन्यवाद,\nCreditDesk NBFC\n"
HTML = "<p>नमस्ते आशा जी,</p><p>आपकी किस्त <b>₹1,23,456</b> देय है।</p>"


def test_a_hindi_message_with_rupees_arrives_intact_over_starttls() -> None:
    with LocalSmtpServer() as server:
        message_id = send_mail(server.config(), "asha@example.in", SUBJECT, TEXT, HTML)
        mail = server.wait_for(1)[0]
    assert mail.tls and mail.auth_user is None
    assert mail.mail_from == "collections@creditdesk.test" and mail.rcpt_tos == ("asha@example.in",)
    assert mail.subject == SUBJECT and mail.body() == TEXT and mail.body("html") == HTML + "\n"
    assert mail.message_id == message_id and message_id.endswith("@creditdesk.test>")
    assert "₹1,23,456" in mail.body()  # type: ignore[operator]
    assert b"\xe2\x82\xb9" not in mail.raw.split(b"\r\n\r\n", 1)[0]  # the headers are encoded, not raw UTF-8
    assert mail.message["Content-Type"].startswith("multipart/alternative")


def test_credentials_go_over_tls_and_a_wrong_password_is_refused() -> None:
    with LocalSmtpServer(credentials=("desk", "s3cret-pass")) as server:
        config = server.config(from_address="noreply@lender.in", from_name="ऋण डेस्क")
        send_mail(config, "asha@example.in", "EMI reminder", "Your EMI is due.", message_id="<emi-42@lender.in>")
        mail = server.wait_for(1)[0]
        assert mail.auth_user == "desk" and mail.tls and mail.message_id == "<emi-42@lender.in>"
        assert str(mail.message["From"]) == "ऋण डेस्क <noreply@lender.in>"
        with pytest.raises(ChannelAuthError):
            send_mail(server.config(password="wrong-pass"), "asha@example.in", "x", "y")
        assert len(server.messages()) == 1
        server.clear()
        assert server.messages() == []


def test_a_server_without_starttls_and_an_untrusted_certificate_are_config_errors() -> None:
    with LocalSmtpServer(starttls=False) as plain:
        config = SmtpConfig(host=plain.host, port=plain.port, from_address="a@lender.in", starttls=True)
        with pytest.raises(ChannelConfigError, match="STARTTLS"):
            send_mail(config, "asha@example.in", "x", "y")
        send_mail(plain.config(), "asha@example.in", "plain", "no TLS asked")  # allowed when asked for
        assert plain.wait_for(1)[0].tls is False
        with pytest.raises(RuntimeError):
            plain.client_ssl_context()
    with LocalSmtpServer() as server:
        untrusted = SmtpConfig(host=server.host, port=server.port, from_address="a@lender.in")  # system CAs only
        with pytest.raises(ChannelConfigError, match="not trusted"):
            send_mail(untrusted, "asha@example.in", "x", "y")
        assert server.messages() == []


def test_a_server_that_requires_starttls_refuses_plain_mail() -> None:
    with LocalSmtpServer(require_starttls=True) as server:
        with pytest.raises(ChannelRejected) as refused:
            send_mail(server.config(starttls=False, ssl_context=None), "asha@example.in", "x", "y")
        assert refused.value.provider_code == "530"


def test_an_unreachable_server_is_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ChannelUnavailable) as failed:
        send_mail(SmtpConfig(host="127.0.0.1", port=port, from_address="a@lender.in"), "b@x.in", "x", "y")
    assert failed.value.transient and failed.value.provider == "email"
    with socket.socket() as silent:  # accepts the connection and never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        config = SmtpConfig(host="127.0.0.1", port=silent.getsockname()[1], from_address="a@lender.in", timeout_s=0.3)
        with pytest.raises(ChannelTimeout):
            send_mail(config, "b@x.in", "x", "y")


def test_smtp_replies_map_to_retry_or_not() -> None:
    assert isinstance(
        _smtp_error(smtplib.SMTPRecipientsRefused({"a@x.in": (450, b"mailbox busy")})), ChannelUnavailable
    )
    assert isinstance(_smtp_error(smtplib.SMTPRecipientsRefused({"a@x.in": (550, b"no such user")})), ChannelRejected)
    assert isinstance(_smtp_error(smtplib.SMTPSenderRefused(421, b"try later", "a@x.in")), ChannelUnavailable)
    assert isinstance(_smtp_error(smtplib.SMTPDataError(552, b"too big")), ChannelRejected)
    assert isinstance(_smtp_error(smtplib.SMTPServerDisconnected("bye")), ChannelUnavailable)
    assert isinstance(
        _smtp_error(smtplib.SMTPServerDisconnected("Connection unexpectedly closed: timed out")), ChannelTimeout
    )
    assert isinstance(_smtp_error(smtplib.SMTPNotSupportedError("AUTH")), ChannelConfigError)
    assert isinstance(
        _smtp_error(smtplib.SMTPException("STARTTLS extension not supported by server.")), ChannelConfigError
    )
    assert isinstance(_smtp_error(smtplib.SMTPException("odd")), ChannelUnavailable)


def test_configs_and_messages_are_checked() -> None:
    for bad in [
        {"host": ""},
        {"port": 0},
        {"from_address": "not an address"},
        {"username": "u"},
        {"username": "u", "password": "p", "starttls": False},
        {"timeout_s": 0},
    ]:
        with pytest.raises(ValueError):
            SmtpConfig(**{"host": "smtp.lender.in", "from_address": "a@lender.in", **bad})  # type: ignore[arg-type]
    config = SmtpConfig(host="smtp.lender.in", from_address="a@lender.in", password=None)
    assert "password" not in repr(config) or "None" in repr(config)
    secret = SmtpConfig(host="smtp.lender.in", from_address="a@lender.in", username="u", password="hunter2-secret")
    assert "hunter2-secret" not in repr(secret)
    with pytest.raises(ValueError):
        build_message(config, "asha@example.in", "two\nlines", "x")
    with pytest.raises(ValueError):
        build_message(config, "asha@example.in\r\nBcc: all@x.in", "x", "y")
    with pytest.raises(ValueError):
        build_message(config, "asha@example.in", "", "y")
    with pytest.raises(ValueError):
        build_message(config, "asha@example.in", "x", "y", reply_to="nobody")
    message = build_message(
        config,
        "asha@example.in",
        "x",
        "y",
        reply_to="help@lender.in",
        headers={"List-Unsubscribe": "<mailto:u@lender.in>"},
    )
    assert message["Reply-To"] == "help@lender.in" and message["List-Unsubscribe"] == "<mailto:u@lender.in>"
