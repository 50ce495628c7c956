"""The contact policy: who may be contacted, on which channel, about what, when and how often."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from creditdesk.channels.policy import (
    CHANNELS,
    DEFAULT_POLICY,
    LIMITS,
    PURPOSES,
    RULES,
    TIME_RULES,
    ChannelCap,
    ChannelCaps,
    ContactContext,
    ContactPolicy,
    SendRequest,
    checked,
    evaluate,
    next_allowed_at,
    tighten,
)
from creditdesk.errors import ValidationFailed

IST = ZoneInfo("Asia/Kolkata")
MONDAY = date(2025, 3, 10)
NOT_PARTIES = ("relative", "colleague", "reference", "other")


def at(hour: int, minute: int = 0, day: date = MONDAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=IST)


def send(channel="sms", purpose="reminder", role="borrower", initiated_by="system", **kw) -> SendRequest:
    return SendRequest(channel=channel, purpose=purpose, recipient_role=role, initiated_by=initiated_by, **kw)


def ctx(now: datetime, **kw) -> ContactContext:
    return ContactContext(now=now, **kw)


def borrower_otp(channel="sms") -> SendRequest:
    return send(channel=channel, purpose="otp", initiated_by="borrower")


# -- the contact window -------------------------------------------------------------------------------


def test_a_reminder_at_1905_borrower_local_waits_for_the_morning_and_at_1000_goes():
    late = evaluate(DEFAULT_POLICY, send(), ctx(at(19, 5)))
    assert (late.allowed, late.blocked_by) == (False, "contact_window")
    assert late.detail == "19:05 is outside the contact window 08:00–19:00 (recipient-local)"
    assert not late.counts_toward_caps

    morning = evaluate(DEFAULT_POLICY, send(), ctx(at(10, 0)))
    assert (morning.allowed, morning.blocked_by, morning.exempted) == (True, None, ())
    assert morning.counts_toward_caps


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_minute_of_the_day_is_open_exactly_from_0800_to_before_1900(channel):
    request = send(channel=channel, purpose="alert")
    consents = {"whatsapp": frozenset(PURPOSES)}
    for minute in range(0, 24 * 60, 1):
        now = at(minute // 60, minute % 60)
        decision = evaluate(DEFAULT_POLICY, request, ctx(now, consents=consents))
        expected = time(8) <= now.time() < time(19)
        assert decision.allowed is expected, now
        assert decision.blocked_by == (None if expected else "contact_window"), now


def test_the_window_is_read_on_the_borrowers_own_clock():
    # 13:45 UTC is 19:15 in Kolkata: too late there, whatever the server's zone
    utc = datetime(2025, 3, 10, 13, 45, tzinfo=UTC)
    assert evaluate(DEFAULT_POLICY, send(), ctx(utc.astimezone(IST))).blocked_by == "contact_window"
    with pytest.raises(ValidationError, match="timezone"):
        ctx(datetime(2025, 3, 10, 10, 0))  # a naive time has no borrower zone


def test_a_tenant_window_narrows_and_a_stored_window_wider_than_rbi_is_still_clamped():
    narrow = ContactPolicy(window_start=time(9, 30), window_end=time(18))
    assert evaluate(narrow, send(), ctx(at(9, 0))).blocked_by == "contact_window"
    assert evaluate(narrow, send(), ctx(at(9, 30))).allowed
    assert evaluate(narrow, send(), ctx(at(18, 0))).blocked_by == "contact_window"

    # a PUT never stores this (tighten refuses it), but a policy read back from anywhere is clamped
    wide = ContactPolicy(window_start=time(6), window_end=time(22))
    assert evaluate(wide, send(), ctx(at(7, 30))).blocked_by == "contact_window"
    assert evaluate(wide, send(), ctx(at(20, 0))).blocked_by == "contact_window"
    assert next_allowed_at(wide, send(), ctx(at(20, 0))) == at(8, 0, MONDAY + timedelta(days=1))


# -- caps ---------------------------------------------------------------------------------------------


def test_the_fourth_sms_of_a_day_over_a_cap_of_three_is_blocked():
    assert DEFAULT_POLICY.caps.sms.per_day == 3
    third = evaluate(DEFAULT_POLICY, send(), ctx(at(11), sent_today={"sms": 2}, sent_last_7_days={"sms": 2}))
    assert third.allowed
    fourth = evaluate(DEFAULT_POLICY, send(), ctx(at(12), sent_today={"sms": 3}, sent_last_7_days={"sms": 3}))
    assert (fourth.allowed, fourth.blocked_by) == (False, "daily_cap")
    assert fourth.detail == "3 sms sent today; the cap is 3 a day"
    # other channels keep their own count
    email = evaluate(DEFAULT_POLICY, send("email"), ctx(at(12), sent_today={"sms": 3}, sent_last_7_days={"sms": 3}))
    assert email.allowed


def test_the_weekly_cap_counts_today_and_the_six_days_before():
    policy = ContactPolicy(caps=ChannelCaps(voice=ChannelCap(per_day=3, per_week=5)))
    request = send("voice", "collections", initiated_by="agent")
    decision = evaluate(policy, request, ctx(at(11), sent_today={"voice": 1}, sent_last_7_days={"voice": 5}))
    assert (decision.blocked_by, decision.detail) == ("weekly_cap", "5 voice sent in 7 days; the cap is 5 a week")
    assert evaluate(policy, request, ctx(at(11), sent_today={"voice": 1}, sent_last_7_days={"voice": 4})).allowed


def test_a_cap_of_zero_turns_a_channel_off_for_good():
    policy = ContactPolicy(caps=ChannelCaps(voice=ChannelCap(per_day=0, per_week=0)))
    context = ctx(at(11))
    assert evaluate(policy, send("voice"), context).blocked_by == "daily_cap"
    assert next_allowed_at(policy, send("voice"), context) is None


def test_the_counts_must_be_consistent():
    with pytest.raises(ValidationError, match="must include the 3 sent today"):
        ctx(at(11), sent_today={"sms": 3}, sent_last_7_days={"sms": 2})
    with pytest.raises(ValidationError):
        ctx(at(11), sent_today={"sms": -1})


# -- opt-out -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("purpose", PURPOSES)
def test_an_opted_out_borrower_gets_nothing_we_start(channel, purpose):
    everything = {c: frozenset(PURPOSES) for c in CHANNELS}
    for initiated_by in ("system", "agent"):
        decision = evaluate(
            DEFAULT_POLICY,
            send(channel, purpose, initiated_by=initiated_by),
            ctx(at(11), opted_out={"all"}, consents=everything),
        )
        assert (decision.allowed, decision.blocked_by) == (False, "opted_out")
        assert decision.detail == "the recipient has opted out of all contact"
        assert (
            next_allowed_at(
                DEFAULT_POLICY, send(channel, purpose, initiated_by=initiated_by), ctx(at(11), opted_out={"all"})
            )
            is None
        )  # time does not lift an opt-out


def test_an_opt_out_of_one_channel_leaves_the_others():
    context = ctx(at(11), opted_out={"sms"})
    assert evaluate(DEFAULT_POLICY, send("sms"), context).blocked_by == "opted_out"
    assert evaluate(DEFAULT_POLICY, send("email"), context).allowed


def test_an_otp_the_opted_out_borrower_asked_for_is_delivered_at_any_hour():
    # our documented choice: the opt-out stops what we start; an OTP they requested is their own action
    context = ctx(at(23, 10), opted_out={"all"}, sent_today={"sms": 9}, sent_last_7_days={"sms": 40})
    decision = evaluate(DEFAULT_POLICY, borrower_otp(), context)
    assert decision.allowed
    assert decision.exempted == ("opted_out", "contact_window", "daily_cap", "weekly_cap")
    assert not decision.counts_toward_caps  # it never uses up the borrower's reminders
    assert next_allowed_at(DEFAULT_POLICY, borrower_otp(), context) == context.now

    # the same OTP started by the system or an agent is an ordinary send
    system_otp = send(purpose="otp", initiated_by="system")
    assert evaluate(DEFAULT_POLICY, system_otp, context).blocked_by == "opted_out"
    # and a tenant may withdraw the exemption
    strict = ContactPolicy(borrower_initiated_exemptions={"otp": ("contact_window", "daily_cap", "weekly_cap")})
    assert evaluate(strict, borrower_otp(), context).blocked_by == "opted_out"


# -- who may be contacted ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", NOT_PARTIES)
@pytest.mark.parametrize("purpose", PURPOSES)
def test_relatives_colleagues_and_references_are_never_contacted(role, purpose):
    for initiated_by in ("system", "agent", "borrower"):
        decision = evaluate(DEFAULT_POLICY, send("voice", purpose, role, initiated_by), ctx(at(11)))
        assert (decision.allowed, decision.blocked_by) == (False, "not_a_party")
        assert decision.detail == f"the recipient ({role}) is not a party to the loan and is never contacted about it"
        assert next_allowed_at(DEFAULT_POLICY, send("voice", purpose, role, initiated_by), ctx(at(11))) is None


def test_a_guarantor_only_when_the_loan_has_one():
    without = evaluate(DEFAULT_POLICY, send("voice", "collections", "guarantor", "agent"), ctx(at(11)))
    assert without.blocked_by == "not_a_party"
    assert "guarantor is contacted only on their own loan" in without.detail
    request = send("voice", "collections", "guarantor", "agent", loan_has_guarantor=True)
    assert evaluate(DEFAULT_POLICY, request, ctx(at(11))).allowed
    assert evaluate(DEFAULT_POLICY, send("sms", "reminder", "co_borrower"), ctx(at(11))).allowed


# -- what may be said where -----------------------------------------------------------------------------


def test_collections_on_whatsapp_only_when_the_tenant_enabled_them():
    opted_in = ctx(at(11), consents={"whatsapp": frozenset({"collections", "reminder"})})
    blocked = evaluate(DEFAULT_POLICY, send("whatsapp", "collections"), opted_in)
    assert (blocked.allowed, blocked.blocked_by) == (False, "whatsapp_collections")
    assert next_allowed_at(DEFAULT_POLICY, send("whatsapp", "collections"), opted_in) is None
    # a utility reminder is fine, and collections go on other channels
    assert evaluate(DEFAULT_POLICY, send("whatsapp", "reminder"), opted_in).allowed
    assert evaluate(DEFAULT_POLICY, send("sms", "collections"), opted_in).allowed

    enabled = DEFAULT_POLICY.model_copy(update={"whatsapp_collections_enabled": True})
    assert evaluate(enabled, send("whatsapp", "collections"), opted_in).allowed


def test_whatsapp_needs_an_opt_in_for_what_we_start_and_offers_need_marketing_consent_everywhere():
    nothing = ctx(at(11))
    decision = evaluate(DEFAULT_POLICY, send("whatsapp", "reminder"), nothing)
    assert (decision.blocked_by, decision.detail) == ("consent_missing", "no WhatsApp opt-in for reminder messages")
    assert evaluate(DEFAULT_POLICY, borrower_otp("whatsapp"), nothing).allowed  # they asked for it there

    for channel in CHANNELS:
        offer = evaluate(DEFAULT_POLICY, send(channel, "offer"), nothing)
        assert offer.blocked_by == "consent_missing", channel
        assert evaluate(DEFAULT_POLICY, send(channel, "offer"), ctx(at(11), consents={channel: {"offer"}})).allowed
    # consent for reminders is not consent for offers (DPDP: specific to a purpose)
    assert evaluate(DEFAULT_POLICY, send("sms", "offer"), ctx(at(11), consents={"sms": {"reminder"}})).blocked_by == (
        "consent_missing"
    )


# -- holds, blackouts, preferences ------------------------------------------------------------------------


def test_a_bereavement_hold_blocks_until_its_last_day_and_an_open_hold_until_lifted():
    hold = {"kind": "bereavement", "until": MONDAY + timedelta(days=2)}
    decision = evaluate(DEFAULT_POLICY, send(), ctx(at(11), holds=[hold]))
    assert (decision.blocked_by, decision.detail) == ("hold", "bereavement hold until 2025-03-12")
    assert evaluate(DEFAULT_POLICY, send(), ctx(at(11, day=MONDAY + timedelta(days=2)), holds=[hold])).blocked_by == (
        "hold"
    )
    assert evaluate(DEFAULT_POLICY, send(), ctx(at(11, day=MONDAY + timedelta(days=3)), holds=[hold])).allowed
    assert next_allowed_at(DEFAULT_POLICY, send(), ctx(at(11), holds=[hold])) == at(8, 0, MONDAY + timedelta(days=3))

    disaster = ctx(at(11), holds=[{"kind": "disaster", "until": None}])
    assert evaluate(DEFAULT_POLICY, send(), disaster).detail == "disaster hold until lifted"
    assert next_allowed_at(DEFAULT_POLICY, send(), disaster) is None
    assert evaluate(DEFAULT_POLICY, borrower_otp(), disaster).allowed  # the OTP they ask for still comes


def test_a_blackout_date_blocks_everyone_or_one_state():
    festival = ContactPolicy(
        blackout_dates=[
            {"date": MONDAY, "reason": "Festival holiday"},
            {"date": MONDAY + timedelta(days=1), "reason": "State holiday", "region": "in-mh"},
        ]
    )
    decision = evaluate(festival, send(), ctx(at(11)))
    assert (decision.blocked_by, decision.detail) == ("blackout", "2025-03-10 is a blackout date: Festival holiday")
    tuesday = at(11, day=MONDAY + timedelta(days=1))
    mumbai = evaluate(festival, send(), ctx(tuesday, region="MH"))
    assert (mumbai.blocked_by, mumbai.detail) == ("blackout", "2025-03-11 is a blackout date in MH: State holiday")
    assert evaluate(festival, send(), ctx(tuesday, region="KA")).allowed
    assert evaluate(festival, send(), ctx(tuesday)).blocked_by == "blackout"  # unknown state: assume it applies
    with pytest.raises(ValidationError, match="two-letter state"):
        ContactPolicy(blackout_dates=[{"date": MONDAY, "reason": "x", "region": "Maharashtra"}])


def test_a_borrower_preference_narrows_the_window_but_never_widens_it():
    evenings = [{"start": "17:00", "end": "18:30"}]
    context = ctx(at(10), preferred_windows=evenings)
    decision = evaluate(DEFAULT_POLICY, send(), context)
    assert (decision.blocked_by, decision.detail) == (
        "borrower_preference",
        "10:00 is outside the times the recipient asked to be contacted in (17:00–18:30)",
    )
    assert evaluate(DEFAULT_POLICY, send(), ctx(at(17, 30), preferred_windows=evenings)).allowed
    assert next_allowed_at(DEFAULT_POLICY, send(), context) == at(17, 0)

    late = [{"start": "18:00", "end": "21:00"}]
    assert evaluate(DEFAULT_POLICY, send(), ctx(at(20), preferred_windows=late)).blocked_by == "contact_window"
    assert next_allowed_at(DEFAULT_POLICY, send(), ctx(at(20), preferred_windows=late)) == at(
        18, 0, MONDAY + timedelta(1)
    )

    never = ctx(at(10), preferred_windows=[{"start": "20:00", "end": "22:00"}])
    assert evaluate(DEFAULT_POLICY, send(), never).blocked_by == "borrower_preference"
    assert next_allowed_at(DEFAULT_POLICY, send(), never) is None  # nothing we may use: someone must ask again


def test_a_preference_for_one_channel_leaves_the_others_alone():
    calls_in_the_evening = ctx(at(10), preferred_windows=[{"start": "17:00", "end": "19:00", "channel": "voice"}])
    assert evaluate(DEFAULT_POLICY, send("voice"), calls_in_the_evening).blocked_by == "borrower_preference"
    assert evaluate(DEFAULT_POLICY, send("sms"), calls_in_the_evening).allowed
    with pytest.raises(ValidationError, match="end must be after start"):
        ctx(at(10), preferred_windows=[{"start": "18:00", "end": "17:00"}])


# -- the order of the rules --------------------------------------------------------------------------------


def test_the_rule_order_is_stable():
    assert RULES == (
        "opted_out",
        "not_a_party",
        "whatsapp_collections",
        "consent_missing",
        "hold",
        "blackout",
        "contact_window",
        "borrower_preference",
        "daily_cap",
        "weekly_cap",
    )
    assert set(RULES[4:]) == TIME_RULES
    # opted-out wins over the window
    assert evaluate(DEFAULT_POLICY, send(), ctx(at(19, 5), opted_out={"sms"})).blocked_by == "opted_out"


def test_a_send_that_breaks_every_rule_is_blocked_by_each_in_turn_as_they_are_put_right():
    sunday = MONDAY - timedelta(days=1)
    policy = ContactPolicy(blackout_dates=[{"date": sunday, "reason": "Election day"}])
    request = send("whatsapp", "collections", "relative")
    context = {
        "now": at(21, 0, sunday),
        "opted_out": {"whatsapp"},
        "holds": [{"kind": "bereavement", "until": sunday}],
        "preferred_windows": [{"start": "09:00", "end": "10:00"}],
        "sent_today": {"whatsapp": 2},
        "sent_last_7_days": {"whatsapp": 7},
    }
    # each step puts right the rule that blocked, and the next rule in order takes over
    steps = [
        ("opted_out", {"context": {"opted_out": set()}}),
        ("not_a_party", {"request": {"recipient_role": "borrower"}}),
        ("whatsapp_collections", {"request": {"purpose": "reminder"}}),
        ("consent_missing", {"context": {"consents": {"whatsapp": {"reminder"}}}}),
        ("hold", {"context": {"holds": []}}),
        ("blackout", {"policy": {"blackout_dates": ()}}),
        ("contact_window", {"context": {"now": at(18, 0, sunday)}}),
        ("borrower_preference", {"context": {"now": at(9, 30, sunday)}}),
        ("daily_cap", {"context": {"sent_today": {"whatsapp": 1}}}),
        ("weekly_cap", {"context": {"sent_last_7_days": {"whatsapp": 6}}}),
    ]
    assert [rule for rule, _ in steps] == list(RULES)
    for expected, fix in steps:
        assert evaluate(policy, request, ContactContext(**context)).blocked_by == expected
        policy = policy.model_copy(update=fix.get("policy", {}))
        request = request.model_copy(update=fix.get("request", {}))
        context.update(fix.get("context", {}))
    assert evaluate(policy, request, ContactContext(**context)).allowed


# -- next_allowed_at -----------------------------------------------------------------------------------------


def test_a_1905_send_may_go_at_0800_next_morning_and_skips_a_blackout_day():
    assert next_allowed_at(DEFAULT_POLICY, send(), ctx(at(19, 5))) == at(8, 0, MONDAY + timedelta(days=1))
    festival_day = ContactPolicy(blackout_dates=[{"date": MONDAY + timedelta(days=1), "reason": "Festival holiday"}])
    answer = next_allowed_at(festival_day, send(), ctx(at(19, 5)))
    assert answer == at(8, 0, MONDAY + timedelta(days=2))
    assert answer.tzinfo is IST


def test_next_allowed_at_for_early_capped_and_non_time_blocks():
    assert next_allowed_at(DEFAULT_POLICY, send(), ctx(at(6, 40))) == at(8, 0)
    assert next_allowed_at(DEFAULT_POLICY, send(), ctx(at(10, 15))) == at(10, 15)  # allowed: now
    capped = ctx(at(10), sent_today={"sms": 3}, sent_last_7_days={"sms": 3})
    assert next_allowed_at(DEFAULT_POLICY, send(), capped) == at(8, 0, MONDAY + timedelta(days=1))
    assert next_allowed_at(DEFAULT_POLICY, send("sms", "offer"), ctx(at(19, 5))) is None  # no consent: never by time
    # the week's sends may have been on earlier days: it could free tomorrow (then evaluate again)...
    weekly = ctx(at(10), sent_today={"sms": 1}, sent_last_7_days={"sms": 10})
    assert next_allowed_at(DEFAULT_POLICY, send(), weekly) == at(8, 0, MONDAY + timedelta(days=1))
    # ...but sends made today stay in the week for six more days
    full_today = ContactPolicy(caps=ChannelCaps(sms=ChannelCap(per_day=3, per_week=2)))
    today_only = ctx(at(10), sent_today={"sms": 2}, sent_last_7_days={"sms": 2})
    assert evaluate(full_today, send(), today_only).blocked_by == "weekly_cap"
    assert next_allowed_at(full_today, send(), today_only) == at(8, 0, MONDAY + timedelta(days=7))


def test_a_borrower_initiated_alert_follows_the_tenants_exemptions():
    receipt = send("sms", "alert", initiated_by="borrower")
    assert evaluate(DEFAULT_POLICY, receipt, ctx(at(21))).blocked_by == "contact_window"
    exemptions = {"otp": LIMITS.borrower_initiated_exemptions["otp"], "alert": ("contact_window",)}
    relaxed = ContactPolicy(borrower_initiated_exemptions=exemptions)
    assert checked(relaxed) is relaxed
    assert evaluate(relaxed, receipt, ctx(at(21))).exempted == ("contact_window",)
    # exempt from the window but not from a hold: it may go at midnight after the hold
    held = ctx(at(21), holds=[{"kind": "other", "until": MONDAY}])
    assert next_allowed_at(relaxed, receipt, held) == at(0, 0, MONDAY + timedelta(days=1))


def test_a_stored_exemption_beyond_the_limits_is_not_honoured():
    # never accepted by a PUT; if it were stored anyway, a collections call at night is still blocked
    loose = ContactPolicy(borrower_initiated_exemptions={"collections": ("contact_window",)})
    assert tighten(LIMITS, loose)[0]["field"] == "body.borrower_initiated_exemptions.collections"
    call = send("voice", "collections", initiated_by="borrower")
    assert evaluate(loose, call, ctx(at(21))).blocked_by == "contact_window"


def _hm(quarter: int) -> str:
    return f"{quarter // 4:02d}:{quarter % 4 * 15:02d}"


def _next_quarter(moment: datetime) -> datetime:
    return moment.replace(minute=moment.minute // 15 * 15, second=0, microsecond=0) + timedelta(minutes=15)


_preferred = st.tuples(st.integers(0, 94), st.integers(1, 16)).map(
    lambda s: {"start": _hm(s[0]), "end": _hm(min(s[0] + s[1], 95))}
)


@settings(max_examples=150, deadline=None)
@given(
    minute=st.integers(0, 24 * 60 - 1),
    start=st.integers(8 * 4, 12 * 4),
    length=st.integers(1, 7 * 4),
    blackouts=st.sets(st.integers(0, 6), max_size=4),
    preferences=st.lists(_preferred, max_size=2),
    hold_days=st.none() | st.integers(-1, 3),
    sent_today=st.integers(0, 3),
)
def test_next_allowed_at_is_allowed_and_nothing_earlier_is(
    minute, start, length, blackouts, preferences, hold_days, sent_today
):
    window_start = time(start // 4, start % 4 * 15)
    end = min(start + length, 19 * 4)
    policy = ContactPolicy(
        window_start=window_start,
        window_end=time(end // 4, end % 4 * 15),
        blackout_dates=[{"date": MONDAY + timedelta(days=d), "reason": "x"} for d in blackouts],
    )
    holds = [] if hold_days is None else [{"kind": "disaster", "until": MONDAY + timedelta(days=hold_days)}]
    now = at(minute // 60, minute % 60)
    context = {"holds": holds, "preferred_windows": preferences}
    counts = {"sent_today": {"sms": sent_today}, "sent_last_7_days": {"sms": sent_today}}
    first = ctx(now, **context, **counts)
    answer = next_allowed_at(policy, send(), first)
    if answer is None:  # only when the borrower's times and the window never meet
        assert preferences
        assert all(w["end"] <= _hm(start) or w["start"] >= _hm(end) for w in preferences)
        return
    assert answer >= now and answer.tzinfo is IST

    def allowed(moment: datetime) -> bool:
        same_day = moment.date() == now.date()
        return evaluate(policy, send(), ctx(moment, **context, **(counts if same_day else {}))).allowed

    assert allowed(answer)
    moment = now
    while moment < answer:  # now and every quarter hour after it (where any rule can change) are blocked
        assert not allowed(moment), moment
        moment = _next_quarter(moment)


# -- what a tenant may change ------------------------------------------------------------------------------


def test_tighten_refuses_a_window_of_0700_to_2100_naming_both_fields():
    proposed = ContactPolicy(window_start=time(7), window_end=time(21))
    errors = tighten(LIMITS, proposed)
    assert [e["field"] for e in errors] == ["body.window_start", "body.window_end"]
    assert all(e["type"] == "value_error" for e in errors)
    assert errors[0]["message"].startswith("may not be earlier than 08:00")
    assert errors[1]["message"].startswith("may not be later than 19:00")

    with pytest.raises(ValidationFailed) as refused:
        checked(proposed)
    assert refused.value.status == 422
    assert refused.value.extra == {"fields": errors}
    assert refused.value.message.startswith("body.window_start: may not be earlier than 08:00")


def test_a_tenant_may_tighten_anything_and_loosen_nothing():
    assert tighten(LIMITS, DEFAULT_POLICY) == [] and tighten(LIMITS, LIMITS) == []
    strict = ContactPolicy(
        window_start=time(9),
        window_end=time(18),
        caps=ChannelCaps(voice=ChannelCap(per_day=1, per_week=3), whatsapp=ChannelCap(per_day=0, per_week=0)),
        borrower_initiated_exemptions={},
        blackout_dates=[{"date": MONDAY, "reason": "Company holiday"}],
    )
    assert checked(strict) is strict

    loud = ContactPolicy(caps=ChannelCaps(voice=ChannelCap(per_day=6, per_week=21)))
    assert tighten(LIMITS, loud) == [
        {"field": "body.caps.voice.per_day", "message": "may not exceed 5 a day", "type": "value_error"},
        {"field": "body.caps.voice.per_week", "message": "may not exceed 20 a week", "type": "value_error"},
    ]
    exempt_otp_opt_out_for_alerts = ContactPolicy(borrower_initiated_exemptions={"alert": ("opted_out",)})
    [error] = tighten(LIMITS, exempt_otp_opt_out_for_alerts)
    assert error["field"] == "body.borrower_initiated_exemptions.alert"
    assert error["message"].startswith("a alert the borrower asked for may not be exempt from opted_out")

    # against the current policy instead of the limits, turning WhatsApp collections on is loosening too
    enabled = DEFAULT_POLICY.model_copy(update={"whatsapp_collections_enabled": True})
    assert tighten(LIMITS, enabled) == []
    assert [e["field"] for e in tighten(DEFAULT_POLICY, enabled)] == ["body.whatsapp_collections_enabled"]


def test_the_policy_shape_refuses_nonsense_before_tighten_sees_it():
    with pytest.raises(ValidationError, match="window_end must be after window_start"):
        ContactPolicy(window_start=time(12), window_end=time(9))
    with pytest.raises(ValidationError, match="whole minutes, without a zone"):
        ContactPolicy.model_validate({"window_start": "08:00:30"})
    with pytest.raises(ValidationError, match="whole minutes, without a zone"):
        ContactPolicy.model_validate({"window_start": "08:00+05:30"})
    with pytest.raises(ValidationError):
        ContactPolicy.model_validate({"voice_per_day": 3})  # unknown fields are refused, not ignored


def test_the_policy_reads_back_as_it_was_written():
    body = {
        "window_start": "09:00",
        "window_end": "18:30",
        "borrower_initiated_exemptions": {"otp": ["weekly_cap", "contact_window", "weekly_cap"]},
        "blackout_dates": [{"date": "2025-10-20", "reason": "State holiday", "region": "IN-MH"}],
    }
    policy = ContactPolicy.model_validate(body)
    dumped = policy.model_dump(mode="json")
    assert dumped["window_start"] == "09:00" and dumped["window_end"] == "18:30"
    assert dumped["borrower_initiated_exemptions"] == {"otp": ["contact_window", "weekly_cap"]}
    assert dumped["blackout_dates"] == [{"date": "2025-10-20", "reason": "State holiday", "region": "MH"}]
    assert ContactPolicy.model_validate(dumped) == policy
