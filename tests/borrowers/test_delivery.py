"""The code goes out through the lender's channels like any message: by SMS when the lender has no WhatsApp,
to the customer's number only; a lender that cannot send codes still answers like any other."""

from __future__ import annotations

import time

from sqlalchemy import select
from tests.borrowers.conftest import NOBODY, ask, check

from creditdesk.borrowers.models import BorrowerOtp
from creditdesk.channels.models import Message


def test_the_code_goes_out_as_a_borrower_initiated_otp_message(client, session, codes, lenders):
    asha = lenders["asha"]
    assert ask(client, asha.tenant.slug, asha.phone).status_code == 202
    code = codes.next()
    text = codes.texts[-1]
    assert "9812345670" in str(text) and f"{code} is your sign-in code for Sahyadri Finance" in str(text)
    otp = session.execute(select(BorrowerOtp)).scalar_one()
    message = session.get(Message, otp.message_id)
    session.commit()
    assert message is not None and message.customer_id == asha.customer_id
    assert (message.channel, message.purpose, message.initiated_by) == ("sms", "otp", "borrower")
    assert message.id in str(text)  # our message id is the gateway's reference


def test_an_unknown_number_is_sent_nothing(client, codes, lenders):
    asha = lenders["asha"]
    assert ask(client, asha.tenant.slug, NOBODY).status_code == 202
    assert ask(client, asha.tenant.slug, asha.phone).status_code == 202
    codes.next()  # the known number's text arrives; it is the only one
    time.sleep(0.5)
    assert codes.count() == 1


def test_a_lender_that_cannot_send_codes_answers_like_any_other(client, session, lenders):
    meena = lenders["meena"]  # her lender has no channel account and no OTP template
    r = ask(client, meena.tenant.slug, meena.phone)
    assert r.status_code == 202
    assert session.execute(select(BorrowerOtp.message_id, BorrowerOtp.customer_id)).one() == (None, meena.customer_id)
    session.commit()
    assert check(client, meena.tenant.slug, meena.phone, "123456").status_code == 401
