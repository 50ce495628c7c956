"""The contact policy: the one gate every send passes, human or automatic (RISK-OPS.md, Channels).

``evaluate(policy, request, context)`` answers whether one message (or call) may go to one person now,
and if not, which rule stopped it. It is pure — no clock, no database, no I/O: the caller gathers the
context (the recipient's local time, what was already sent to them, their opt-outs, consents,
preferences and holds) and records the decision, blocked sends included, in the message log.
``next_allowed_at`` tells a scheduler when a send held back by time alone may be tried again.

Invariants (docs/contact-policy.md is the guide for compliance officers):

- **Rules run in a fixed order** (``RULES``) and the first that fails names the block, so the same
  send is always blocked by the same rule: who may be contacted at all (``opted_out``, ``not_a_party``),
  what may be said on which channel (``whatsapp_collections``, ``consent_missing``), then when
  (``hold``, ``blackout``, ``contact_window``, ``borrower_preference``), then how often (``daily_cap``,
  ``weekly_cap``).
- **RBI's window is a floor no data can loosen.** RBI's circular on recovery agents
  (DOR.ORG.REC.65/21.04.158/2022-23, 12 August 2022) bars calls for recovery before 08:00 or after
  19:00; we apply that window to every channel and purpose. A tenant may only tighten it and the caps
  (``tighten`` at ``PUT …/contact-policy``), and ``evaluate`` clamps a stored policy to ``LIMITS`` as
  well, so a policy saved before a limit changed cannot send outside it.
- **Only the borrower can waive a rule, and only for what they asked for.** Exemptions apply to sends
  with ``initiated_by="borrower"`` (the OTP they requested); a system or an agent never exempts itself.
  ``not_a_party``, ``whatsapp_collections`` and ``consent_missing`` are never waived.
- **What counts toward the caps**: every send that passed this policy — from the moment it is queued,
  whatever happens to it afterwards — except sends exempt from both caps
  (``PolicyDecision.counts_toward_caps``) and messages the provider refused outright (they never
  reached a handset). Blocked sends never count. A call counts when it is dialled, answered or not.
  Counting queued sends keeps two sends evaluated back to back from both taking the last slot; the
  caller still evaluates one recipient's sends one at a time.
- **Days are the recipient's local calendar days.** ``sent_today`` is the day of ``context.now``;
  ``sent_last_7_days`` is that day and the six before it (so it includes ``sent_today``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal, get_args

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PlainSerializer,
    ValidationInfo,
    field_validator,
    model_validator,
)

from creditdesk.errors import FieldError, field_error, invalid

Channel = Literal["sms", "whatsapp", "email", "voice"]
Purpose = Literal["collections", "reminder", "otp", "alert", "offer"]
RecipientRole = Literal["borrower", "guarantor", "co_borrower", "relative", "colleague", "reference", "other"]
Initiator = Literal["system", "agent", "borrower"]
HoldKind = Literal["bereavement", "disaster", "other"]
Rule = Literal[
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
]
ExemptibleRule = Literal[
    "opted_out", "hold", "blackout", "contact_window", "borrower_preference", "daily_cap", "weekly_cap"
]

CHANNELS: tuple[Channel, ...] = get_args(Channel)
PURPOSES: tuple[Purpose, ...] = get_args(Purpose)
#: every rule, in the order ``evaluate`` applies them (stable: the message log stores these names)
RULES: tuple[Rule, ...] = get_args(Rule)
EXEMPTIBLE_RULES: tuple[ExemptibleRule, ...] = get_args(ExemptibleRule)
#: rules that time alone lifts: a send they block has a ``next_allowed_at``
TIME_RULES: frozenset[Rule] = frozenset(
    {"hold", "blackout", "contact_window", "borrower_preference", "daily_cap", "weekly_cap"}
)
PARTIES: frozenset[RecipientRole] = frozenset({"borrower", "co_borrower"})

#: RBI: no calls for recovery before 08:00 or after 19:00, borrower-local
RBI_WINDOW_START = time(8, 0)
RBI_WINDOW_END = time(19, 0)
#: our hard ceilings on the caps (RBI forbids "persistent" calling but sets no number)
CAP_CEILING_PER_DAY = 5
CAP_CEILING_PER_WEEK = 20

_DAY_US = 86_400_000_000


def _in_rule_order(rules: tuple[ExemptibleRule, ...]) -> tuple[ExemptibleRule, ...]:
    """Deduplicated and in ``RULES`` order, so a policy reads (and compares) the same however it was sent."""
    present = set(rules)
    return tuple(rule for rule in EXEMPTIBLE_RULES if rule in present)


Exemptions = Annotated[tuple[ExemptibleRule, ...], AfterValidator(_in_rule_order)]


def _wall_clock(value: time) -> time:
    if value.tzinfo is not None or value.second or value.microsecond:
        raise ValueError("a borrower-local time of day in whole minutes, without a zone (e.g. 08:00)")
    return value


WallClock = Annotated[time, AfterValidator(_wall_clock), PlainSerializer(lambda t: f"{t:%H:%M}", return_type=str)]
"""A local time of day, ``HH:MM``."""


# -- the tenant's policy -----------------------------------------------------------------------------


class ChannelCap(BaseModel):
    """How many sends one recipient may get on one channel per local day and per seven local days."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    per_day: NonNegativeInt = Field(le=1000, description="0 turns the channel off for contact")
    per_week: NonNegativeInt = Field(le=7000, description="the local day and the six before it")


class ChannelCaps(BaseModel):
    """The caps of each channel (our conservative defaults; RBI sets none)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sms: ChannelCap = ChannelCap(per_day=3, per_week=10)
    whatsapp: ChannelCap = ChannelCap(per_day=2, per_week=7)
    email: ChannelCap = ChannelCap(per_day=3, per_week=10)
    voice: ChannelCap = ChannelCap(per_day=3, per_week=10)

    def of(self, channel: Channel) -> ChannelCap:
        """The cap of one channel."""
        cap: ChannelCap = getattr(self, channel)
        return cap


def _region_code(value: str) -> str:
    """A state/UT code, upper case, ``IN-`` dropped: ``in-mh`` and ``MH`` are the same region."""
    code = value.strip().upper().removeprefix("IN-")
    if len(code) != 2 or not code.isalpha():
        raise ValueError("a two-letter state or union territory code, e.g. MH or IN-MH")
    return code


RegionCode = Annotated[str, AfterValidator(_region_code)]


class BlackoutDate(BaseModel):
    """A local date on which nobody (or nobody in one state) is contacted: a festival, a local calamity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: date
    reason: str = Field(min_length=1, max_length=200)
    region: RegionCode | None = Field(default=None, description="a state/UT code; none: every region")


def _default_exemptions() -> dict[Purpose, tuple[ExemptibleRule, ...]]:
    return {"otp": EXEMPTIBLE_RULES}  # the OTP the borrower just asked for: every exemptible rule


class ContactPolicy(BaseModel):
    """A tenant's contact policy (``GET/PUT …/contact-policy``); the defaults are ``DEFAULT_POLICY``.

    A tenant may only tighten what RBI requires (see ``tighten`` and ``LIMITS``); everything else —
    blackout dates, whether WhatsApp carries collections content, fewer exemptions — is the tenant's.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_start: WallClock = Field(default=RBI_WINDOW_START, description="borrower-local; not before 08:00")
    window_end: WallClock = Field(
        default=RBI_WINDOW_END, description="borrower-local, exclusive: a send must leave before it; not after 19:00"
    )
    caps: ChannelCaps = ChannelCaps()
    blackout_dates: tuple[BlackoutDate, ...] = Field(default=(), max_length=500)
    whatsapp_collections_enabled: bool = Field(
        default=False, description="WhatsApp's policy prohibits debt collection: off means utility reminders only"
    )
    borrower_initiated_exemptions: dict[Purpose, Exemptions] = Field(
        default_factory=_default_exemptions,
        description="per purpose, the rules a send the borrower asked for is exempt from",
    )

    @field_validator("window_end")
    @classmethod
    def _after_start(cls, value: time, info: ValidationInfo) -> time:
        start = info.data.get("window_start")
        if start is not None and value <= start:
            raise ValueError(f"window_end must be after window_start ({start:%H:%M})")
        return value


DEFAULT_POLICY = ContactPolicy()
#: the loosest policy a tenant may save: RBI's window, our cap ceilings, the exemptions we allow
LIMITS = ContactPolicy(
    caps=ChannelCaps(
        **{channel: ChannelCap(per_day=CAP_CEILING_PER_DAY, per_week=CAP_CEILING_PER_WEEK) for channel in CHANNELS}
    ),
    whatsapp_collections_enabled=True,
    borrower_initiated_exemptions={
        "otp": EXEMPTIBLE_RULES,
        # a receipt or statement the borrower asked for; an opt-out still stops it
        "alert": tuple(rule for rule in EXEMPTIBLE_RULES if rule != "opted_out"),
    },
)


def _field_error(field: str, message: str) -> FieldError:
    return field_error(f"body.{field}", message)


def tighten(reference: ContactPolicy, proposed: ContactPolicy) -> list[FieldError]:
    """What in ``proposed`` is looser than ``reference`` (``LIMITS`` for a tenant's PUT); empty when none.

    Looser means: a window starting earlier or ending later, a higher cap, an exemption the reference
    does not have, WhatsApp collections enabled where the reference has them off. Blackout dates are
    the tenant's alone and never compared.
    """
    errors: list[FieldError] = []
    if proposed.window_start < reference.window_start:
        errors.append(
            _field_error(
                "window_start",
                f"may not be earlier than {reference.window_start:%H:%M}: recovery contact is allowed only "
                f"between {reference.window_start:%H:%M} and {reference.window_end:%H:%M} borrower-local time",
            )
        )
    if proposed.window_end > reference.window_end:
        errors.append(
            _field_error(
                "window_end",
                f"may not be later than {reference.window_end:%H:%M}: recovery contact is allowed only "
                f"between {reference.window_start:%H:%M} and {reference.window_end:%H:%M} borrower-local time",
            )
        )
    for channel in CHANNELS:
        ceiling, cap = reference.caps.of(channel), proposed.caps.of(channel)
        if cap.per_day > ceiling.per_day:
            errors.append(_field_error(f"caps.{channel}.per_day", f"may not exceed {ceiling.per_day} a day"))
        if cap.per_week > ceiling.per_week:
            errors.append(_field_error(f"caps.{channel}.per_week", f"may not exceed {ceiling.per_week} a week"))
    if proposed.whatsapp_collections_enabled and not reference.whatsapp_collections_enabled:
        errors.append(_field_error("whatsapp_collections_enabled", "may not be turned on here"))
    for purpose, rules in proposed.borrower_initiated_exemptions.items():
        extra = [rule for rule in rules if rule not in reference.borrower_initiated_exemptions.get(purpose, ())]
        if extra:
            allowed = ", ".join(reference.borrower_initiated_exemptions.get(purpose, ())) or "none"
            errors.append(
                _field_error(
                    f"borrower_initiated_exemptions.{purpose}",
                    f"a {purpose} the borrower asked for may not be exempt from {', '.join(extra)}; allowed: {allowed}",
                )
            )
    return errors


def checked(proposed: ContactPolicy, reference: ContactPolicy = LIMITS) -> ContactPolicy:
    """``proposed`` if it loosens nothing of ``reference``; else 422 ``ValidationFailed`` naming every field."""
    errors = tighten(reference, proposed)
    if errors:
        raise invalid(errors)
    return proposed


# -- one send and what the caller knows about its recipient -----------------------------------------


class SendRequest(BaseModel):
    """One message or call about to go out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: Channel
    purpose: Purpose
    recipient_role: RecipientRole = Field(description="the recipient's relation to this loan")
    loan_has_guarantor: bool = Field(
        default=False, description="the recipient is a guarantor whose guarantee on this loan is in force"
    )
    initiated_by: Initiator = Field(description="borrower: sent because the recipient just asked for it (an OTP)")


class PreferredWindow(BaseModel):
    """A time of day the borrower asked to be contacted in (on one channel, or on all)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: WallClock
    end: WallClock
    channel: Channel | None = None

    @field_validator("end")
    @classmethod
    def _after_start(cls, value: time, info: ValidationInfo) -> time:
        start = info.data.get("start")
        if start is not None and value <= start:
            raise ValueError("end must be after start")
        return value


class Hold(BaseModel):
    """No contact while it lasts: a bereavement in the family, a disaster where the borrower lives."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: HoldKind
    until: date | None = Field(description="the last local day of the hold; none: until someone lifts it")


class ContactContext(BaseModel):
    """What the caller knows about the recipient at the moment of the send.

    The recipient is the person contacted (the borrower, or a co-borrower or guarantor): the counts,
    opt-outs and consents are theirs; holds are those on them or on the loan.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    now: AwareDatetime = Field(description="the recipient's local time (their zone, e.g. Asia/Kolkata)")
    region: RegionCode | None = Field(default=None, description="the recipient's state/UT, for regional blackouts")
    sent_today: dict[Channel, NonNegativeInt] = Field(
        default_factory=dict, description="counted sends on the local day of `now`"
    )
    sent_last_7_days: dict[Channel, NonNegativeInt] = Field(
        default_factory=dict, description="counted sends on the local day of `now` and the six before"
    )
    opted_out: frozenset[Channel | Literal["all"]] = frozenset()
    consents: dict[Channel, frozenset[Purpose]] = Field(
        default_factory=dict, description="per channel, the purposes the recipient agreed to receive"
    )
    preferred_windows: tuple[PreferredWindow, ...] = ()
    holds: tuple[Hold, ...] = ()

    @model_validator(mode="after")
    def _week_includes_today(self) -> ContactContext:
        for channel, today in self.sent_today.items():
            if self.sent_last_7_days.get(channel, 0) < today:
                raise ValueError(f"sent_last_7_days.{channel} must include the {today} sent today")
        return self


@dataclass(frozen=True, slots=True)
class PolicyDecision:
    """The answer for one send; ``blocked_by`` is one of ``RULES`` (stored with a blocked send)."""

    allowed: bool
    blocked_by: Rule | None
    detail: str
    #: rules that would have blocked this send but were waived for a send the borrower asked for
    exempted: tuple[ExemptibleRule, ...] = ()
    #: whether the caller counts this send in ``sent_today`` / ``sent_last_7_days`` from now on
    counts_toward_caps: bool = False


# -- the rules --------------------------------------------------------------------------------------


def _exemptions(policy: ContactPolicy, request: SendRequest) -> frozenset[ExemptibleRule]:
    if request.initiated_by != "borrower":
        return frozenset()
    allowed = LIMITS.borrower_initiated_exemptions.get(request.purpose, ())
    return frozenset(r for r in policy.borrower_initiated_exemptions.get(request.purpose, ()) if r in allowed)


def _window(policy: ContactPolicy) -> tuple[time, time]:
    """The tenant's window, clamped to RBI's whatever was stored."""
    return max(policy.window_start, RBI_WINDOW_START), min(policy.window_end, RBI_WINDOW_END)


def _cap(policy: ContactPolicy, channel: Channel) -> tuple[int, int]:
    cap = policy.caps.of(channel)
    return min(cap.per_day, CAP_CEILING_PER_DAY), min(cap.per_week, CAP_CEILING_PER_WEEK)


def _preferences(context: ContactContext, channel: Channel) -> list[PreferredWindow]:
    return [w for w in context.preferred_windows if w.channel is None or w.channel == channel]


def _active_holds(context: ContactContext, day: date) -> list[Hold]:
    return [h for h in context.holds if h.until is None or day <= h.until]


def _blackout(policy: ContactPolicy, region: str | None, day: date) -> BlackoutDate | None:
    """The blackout on ``day`` for a recipient in ``region`` (an unknown region is in every region)."""
    for blackout in policy.blackout_dates:
        if blackout.date == day and (blackout.region is None or region is None or blackout.region == region):
            return blackout
    return None


def _hhmm(value: time) -> str:
    return f"{value:%H:%M}"


def _opted_out(policy: ContactPolicy, request: SendRequest, context: ContactContext) -> str | None:
    if "all" in context.opted_out:
        return "the recipient has opted out of all contact"
    if request.channel in context.opted_out:
        return f"the recipient has opted out of {request.channel}"
    return None


def _not_a_party(policy: ContactPolicy, request: SendRequest, context: ContactContext) -> str | None:
    role = request.recipient_role
    if role in PARTIES or (role == "guarantor" and request.loan_has_guarantor):
        return None
    if role == "guarantor":
        return "the loan has no guarantee by this person in force: a guarantor is contacted only on their own loan"
    return f"the recipient ({role}) is not a party to the loan and is never contacted about it"


def _whatsapp_collections(policy: ContactPolicy, request: SendRequest, context: ContactContext) -> str | None:
    if request.channel == "whatsapp" and request.purpose == "collections" and not policy.whatsapp_collections_enabled:
        return "collections content is not sent on WhatsApp (WhatsApp prohibits debt collection); send a reminder"
    return None


def _consent_missing(policy: ContactPolicy, request: SendRequest, context: ContactContext) -> str | None:
    agreed = context.consents.get(request.channel, frozenset())
    if request.purpose == "offer" and "offer" not in agreed:
        return f"no consent to receive offers on {request.channel}"
    if request.channel == "whatsapp" and request.initiated_by != "borrower" and request.purpose not in agreed:
        return f"no WhatsApp opt-in for {request.purpose} messages"
    return None


def _hold(policy: ContactPolicy, request: SendRequest, context: ContactContext) -> str | None:
    holds = _active_holds(context, context.now.date())
    if not holds:
        return None
    hold = holds[0]
    return f"{hold.kind} hold " + (f"until {hold.until.isoformat()}" if hold.until else "until lifted")


def _blackout_rule(policy: ContactPolicy, request: SendRequest, context: ContactContext) -> str | None:
    blackout = _blackout(policy, context.region, context.now.date())
    if blackout is None:
        return None
    where = f" in {blackout.region}" if blackout.region else ""
    return f"{blackout.date.isoformat()} is a blackout date{where}: {blackout.reason}"


def _contact_window(policy: ContactPolicy, request: SendRequest, context: ContactContext) -> str | None:
    start, end = _window(policy)
    at = context.now.time()
    if start <= at < end:
        return None
    return f"{_hhmm(at)} is outside the contact window {_hhmm(start)}–{_hhmm(end)} (recipient-local)"


def _borrower_preference(policy: ContactPolicy, request: SendRequest, context: ContactContext) -> str | None:
    windows = _preferences(context, request.channel)
    at = context.now.time()
    if not windows or any(w.start <= at < w.end for w in windows):
        return None
    asked = ", ".join(f"{_hhmm(w.start)}–{_hhmm(w.end)}" for w in windows)
    return f"{_hhmm(at)} is outside the times the recipient asked to be contacted in ({asked})"


def _daily_cap(policy: ContactPolicy, request: SendRequest, context: ContactContext) -> str | None:
    per_day, _ = _cap(policy, request.channel)
    sent = context.sent_today.get(request.channel, 0)
    return f"{sent} {request.channel} sent today; the cap is {per_day} a day" if sent >= per_day else None


def _weekly_cap(policy: ContactPolicy, request: SendRequest, context: ContactContext) -> str | None:
    _, per_week = _cap(policy, request.channel)
    sent = context.sent_last_7_days.get(request.channel, 0)
    return f"{sent} {request.channel} sent in 7 days; the cap is {per_week} a week" if sent >= per_week else None


_Check = Callable[[ContactPolicy, SendRequest, ContactContext], "str | None"]
_CHECKS: tuple[tuple[Rule, _Check], ...] = (
    ("opted_out", _opted_out),
    ("not_a_party", _not_a_party),
    ("whatsapp_collections", _whatsapp_collections),
    ("consent_missing", _consent_missing),
    ("hold", _hold),
    ("blackout", _blackout_rule),
    ("contact_window", _contact_window),
    ("borrower_preference", _borrower_preference),
    ("daily_cap", _daily_cap),
    ("weekly_cap", _weekly_cap),
)


def evaluate(policy: ContactPolicy, request: SendRequest, context: ContactContext) -> PolicyDecision:
    """May this send go now? The first rule (in ``RULES`` order) that refuses it names the block."""
    exempt = _exemptions(policy, request)
    waived: list[ExemptibleRule] = []
    for rule, check in _CHECKS:
        detail = check(policy, request, context)
        if detail is None:
            continue
        if rule in exempt:
            waived.append(rule)
            continue
        return PolicyDecision(allowed=False, blocked_by=rule, detail=detail)
    counts = not {"daily_cap", "weekly_cap"} <= exempt
    detail = "allowed" + (f"; asked for by the borrower, exempt from {', '.join(waived)}" if waived else "")
    return PolicyDecision(
        allowed=True, blocked_by=None, detail=detail, exempted=tuple(waived), counts_toward_caps=counts
    )


# -- when a send held back by time may go -----------------------------------------------------------


def _us(value: time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond


def _clock(us: int) -> time:
    seconds, micro = divmod(us, 1_000_000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return time(hour, minute, second, micro)


def _intersect(a: Iterable[tuple[int, int]], b: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    spans = [(max(s1, s2), min(e1, e2)) for s1, e1 in a for s2, e2 in b]
    return sorted(span for span in spans if span[0] < span[1])


def _day_spans(
    policy: ContactPolicy, request: SendRequest, context: ContactContext, exempt: frozenset[ExemptibleRule]
) -> list[tuple[int, int]]:
    """The times of day (µs from midnight, half-open) a send may go on any day that is otherwise free."""
    spans = [(0, _DAY_US)]
    if "contact_window" not in exempt:
        start, end = _window(policy)
        spans = _intersect(spans, [(_us(start), _us(end))])
    preferred = _preferences(context, request.channel)
    if preferred and "borrower_preference" not in exempt:
        spans = _intersect(spans, [(_us(w.start), _us(w.end)) for w in preferred])
    return spans


def next_allowed_at(policy: ContactPolicy, request: SendRequest, context: ContactContext) -> datetime | None:
    """The earliest recipient-local moment this send may go, for the scheduler; ``context.now`` if now.

    None when time is not what blocks it (an opt-out, no consent, …), or when no time would do: a hold
    with no end, a cap of zero, preferred times wholly outside the contact window. The answer assumes
    nothing else is sent meanwhile. For ``weekly_cap`` it is the first moment the cap *could* free (the
    counts do not say on which days the week's sends fell): evaluate again then.
    """
    decision = evaluate(policy, request, context)
    if decision.allowed:
        return context.now
    if decision.blocked_by not in TIME_RULES:
        return None
    exempt = _exemptions(policy, request)
    spans = _day_spans(policy, request, context, exempt)
    per_day, per_week = _cap(policy, request.channel)
    sent_today = context.sent_today.get(request.channel, 0)
    capped_daily = "daily_cap" not in exempt
    capped_weekly = "weekly_cap" not in exempt
    if not spans or (capped_daily and per_day == 0) or (capped_weekly and per_week == 0):
        return None
    today = context.now.date()
    first_day = today
    if capped_daily and sent_today >= per_day:
        first_day = today + timedelta(days=1)
    if capped_weekly and context.sent_last_7_days.get(request.channel, 0) >= per_week:
        # today's sends stay in the week for six more days; earlier ones may drop off from tomorrow
        first_day = max(first_day, today + timedelta(days=7 if sent_today >= per_week else 1))
    now_us = _us(context.now.time())
    day = first_day
    # each pass either answers or moves past a hold, a blackout date, or the rest of today
    for _ in range(len(policy.blackout_dates) + len(context.holds) + 2):
        holds = _active_holds(context, day) if "hold" not in exempt else []
        if holds:
            if any(h.until is None for h in holds):
                return None
            day = max(h.until for h in holds if h.until is not None) + timedelta(days=1)
            continue
        if "blackout" not in exempt and _blackout(policy, context.region, day) is not None:
            day += timedelta(days=1)
            continue
        earliest = now_us if day == today else 0
        for start, end in spans:
            if end > earliest:
                return datetime.combine(day, _clock(max(start, earliest)), tzinfo=context.now.tzinfo)
        day += timedelta(days=1)
    return None  # unreachable: every pass above consumes a hold, a blackout date or today
