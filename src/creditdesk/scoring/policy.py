"""Credit policy: PD thresholds, ZEN knock-out rules, limits, expected loss — versioned per tenant.

Every PUT creates a new version (audited); decisions record the version they used. Knock-out rule
expressions are validated with zen-engine before they are stored, so an expression that does not
compile is refused with the parser's message and never reaches the decision path.

Cost invariant (issue 12, noisy neighbours): zen-engine evaluates on the calling thread *holding the
GIL*, so one costly rule stalls every request of the process, whatever its tenant. A rule is therefore
bounded when it is saved — its length, bracket nesting, the number of rules, literal ranges (plain-number
ends, at most ``policy_rule_max_elements`` elements; a range right after ``in`` is a membership test and
may be wider), the elements it can iterate over (ranges and lists multiply, since they can nest), regular
expressions (quoted patterns), every function call priced alone (whatever branch guards it) times the
collections around it, and a trial on sample applications (``policy_rule_trial_ms`` per rule,
``policy_rules_trial_ms`` for all) — and again on every decision: rules are evaluated in order and, once
``policy_decision_budget_ms`` of the deciding thread's CPU time is spent (waiting behind other tenants
never counts), the rest are not evaluated. A rule that was not evaluated cannot clear an application, so
the decision is at least **Review**, with the reason ``RULES_NOT_EVALUATED_REASON`` (a Reject from a rule
that did fire still stands). Rules stored before these bounds existed that break the static bounds are
never evaluated (same outcome). No lock, thread or queue is shared across tenants.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

import structlog

# zen-engine's errors (e.g. a rule over a missing bureau score) capture a Rust backtrace when
# RUST_BACKTRACE is set — up to tens of milliseconds each on the decision path; a server never wants that
os.environ["RUST_BACKTRACE"] = "0"
import zen  # noqa: E402
from prometheus_client import Counter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.config import get_settings
from creditdesk.errors import ValidationFailed
from creditdesk.ml.features import feature_row
from creditdesk.ml.synthetic import PERSONAS, persona
from creditdesk.scoring.models import Policy
from creditdesk.scoring.schemas import KnockoutRule, PolicyIn
from creditdesk.tenancy.scope import scoped, select_owned

DEFAULT_POLICY = PolicyIn.model_validate(
    {
        "approve_below_pd": 0.30,
        "reject_at_or_above_pd": 0.60,
        "lgd": 0.6,
        "knockout_rules": [
            {"name": "minimum_age", "when": "age < 21", "outcome": "Reject", "reason": "Applicant younger than 21"},
            {
                "name": "written_off_account",
                "when": "bureau_written_off == 1",
                "outcome": "Reject",
                "reason": "Written-off or settled account in bureau history",
            },
            {
                "name": "foir_ceiling",
                "when": "foir > 0.65",
                "outcome": "Review",
                "reason": "EMI obligations above 65% of income",
            },
        ],
    }
)

#: Names a knock-out expression may use (the model features plus raw application fields).
RULE_CONTEXT_HELP = (
    "age, foir, emi, loan_to_income, new_to_credit, bureau_score, bureau_utilization, bureau_dpd_30_last_12m, "
    "bureau_max_dpd_last_24m, bureau_enquiries_last_6m, bureau_written_off, monthly_income, existing_emi, "
    "loan_amount, tenure_months, interest_rate, employment_type, purpose, city_tier, alt_* fields"
)


log = structlog.get_logger("creditdesk.policy")

RULES_NOT_EVALUATED = Counter(
    "creditdesk_policy_rules_not_evaluated_total",
    "Knock-out rules not evaluated because the decision's rule budget was spent (or the rule breaks the bounds)",
)
#: The knock-out entry a decision carries when some rules were not evaluated (its outcome is Review).
RULES_NOT_EVALUATED_NAME = "rules_not_evaluated"
RULES_NOT_EVALUATED_REASON = "Some policy rules could not be checked in time; refer for manual review"


@dataclass(frozen=True)
class ActivePolicy:
    """A policy version ready to apply (knock-out expressions compiled once; None = never evaluated)."""

    version: int
    config: PolicyIn
    compiled: tuple[tuple[Any, Any], ...]  # (rule, compiled expression or None)


_cache: dict[str, ActivePolicy] = {}
_checked: dict[str, float] = {}
VERSION_TTL_S = 2.0

#: zen functions that compile their regular expression again on every call
_REGEX_FUNCTIONS = frozenset({"matches", "extract"})
_NUMBER = re.compile(r"[+-]?\d[\d_]*(\.\d[\d_]*)?([eE][+-]?\d+)?")
_IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


@dataclass
class _Frame:
    opener: str
    start: int
    name: str | None  # the function called, for "(" frames
    after_in: bool  # a membership test's right-hand side (``x in [a..b]``): not iterated
    call_start: int = 0  # where the called function's name starts, for "(" frames
    elements_at_open: int = 1
    commas: list[int] = field(default_factory=list)
    dots: int | None = None  # where ".." is, for ranges


@dataclass
class RuleCost:
    """What the static scan of one expression found."""

    problem: str | None = None
    elements: int = 1  # upper bound on the elements it iterates over (nested collections multiply)
    names: set[str] = field(default_factory=set)  # every word outside quotes (the context names it may read)
    #: every function call as written ('#' read as 0) with the elements iterated inside it
    calls: list[tuple[str, int]] = field(default_factory=list)

    def repeats(self, inner: int) -> int:
        """How often a call that iterates ``inner`` elements itself may run (the collections around it)."""
        return max(1, self.elements // max(1, inner))


def _interval_size(left: str, right: str) -> int | None:
    if not (_NUMBER.fullmatch(left) and _NUMBER.fullmatch(right)):
        return None
    low, high = float(left.replace("_", "")), float(right.replace("_", ""))
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    return max(0, math.floor(high) - math.ceil(low) + 1)


def _close(expr: str, frame: _Frame, end: int, cost: RuleCost, max_elements: int) -> str | None:
    """Account for one closed bracket; return a problem in plain words, or None."""
    if frame.dots is not None:
        left, right = expr[frame.start : frame.dots].strip(), expr[frame.dots + 2 : end].strip()
        size = _interval_size(left, right)
        if size is None:
            return f"the range '{expr[frame.start - 1 : end + 1]}' must have plain numbers at both ends"
        if frame.after_in:
            return None  # membership test: constant work whatever its width
        if size > max_elements:
            return (
                f"the range '{expr[frame.start - 1 : end + 1]}' has {size:,} elements; at most {max_elements:,} "
                "are allowed (to test whether a value lies between two numbers, write "
                "'value >= low and value <= high' or 'value in [low..high]')"
            )
        cost.elements *= max(1, size)
    elif frame.opener == "[" and not frame.after_in:
        cost.elements *= max(1, len(frame.commas) + 1 if expr[frame.start : end].strip() else 0)
    elif frame.opener == "(" and frame.name in _REGEX_FUNCTIONS:
        bounds = [frame.start, *(c + 1 for c in frame.commas), end + 1]
        args = [expr[a : b - 1].strip() for a, b in zip(bounds, bounds[1:], strict=False)]
        pattern = args[1] if len(args) > 1 else ""
        if len(pattern) < 2 or pattern[0] not in "'\"" or pattern[-1] != pattern[0] or pattern[0] in pattern[1:-1]:
            return f"the pattern of {frame.name}() must be written in quotes, not taken from the application"
    if frame.opener == "(" and frame.name:
        call = expr[frame.call_start : end + 1].replace("#", "0")
        cost.calls.append((call, cost.elements // frame.elements_at_open))
    if cost.elements > max_elements:
        return (
            f"it can iterate over {cost.elements:,} elements (nested ranges and lists multiply); "
            f"at most {max_elements:,} are allowed"
        )
    return None


def scan_rule(expr: str) -> RuleCost:
    """Bound a compiled ZEN expression without running it: length, nesting, ranges, lists, regexes."""
    settings = get_settings()
    cost = RuleCost()
    if len(expr) > settings.policy_rule_max_chars:
        cost.problem = f"it is {len(expr)} characters long; at most {settings.policy_rule_max_chars} are allowed"
        return cost
    frames: list[_Frame] = []
    previous = ""  # the last word or symbol before the current position
    i = word_start = 0
    while i < len(expr) and cost.problem is None:
        ch = expr[i]
        if ch in "'\"`":  # skip a string literal (backslash escapes included)
            j = i + 1
            while j < len(expr) and expr[j] != ch:
                j += 2 if expr[j] == "\\" else 1
            i, previous = j + 1, "string"
            continue
        word = _IDENT.match(expr, i)
        if word:
            i, previous, word_start = word.end(), word.group(), i
            cost.names.add(previous)
            continue
        if ch in "([{":
            if len(frames) >= settings.policy_rule_max_depth:
                cost.problem = f"its brackets nest deeper than {settings.policy_rule_max_depth} levels"
                break
            name = previous if ch == "(" and _IDENT.fullmatch(previous) else None
            frames.append(_Frame(ch, i + 1, name, previous == "in", word_start, cost.elements))
        elif ch in ")]}" and frames:
            cost.problem = _close(expr, frames.pop(), i, cost, settings.policy_rule_max_elements)
        elif ch == "," and frames:
            frames[-1].commas.append(i)
        elif expr.startswith("..", i) and frames:
            frames[-1].dots = i
            i += 1
        if not ch.isspace():
            previous = ch
        i += 1
    return cost


@lru_cache(maxsize=1)
def _sample_contexts() -> tuple[dict[str, Any], ...]:
    """Representative rule contexts: the synthetic book's scenario applicants (with and without bureau data)."""
    return tuple({k: _zen_value(v) for k, v in feature_row(persona(name).application).items()} for name in PERSONAS)


_NOTHING = zen.compile_expression("true")


def _run_ms(rule: CompiledRule, ctx: dict[str, Any]) -> float:
    started = time.thread_time()
    with contextlib.suppress(RuntimeError):  # missing data: the rule just does not fire
        rule.evaluate(ctx)
    return (time.thread_time() - started) * 1000


def _trial_ms(
    rule: CompiledRule, contexts: tuple[dict[str, Any], ...], *, limit_ms: float, net: bool = False, repeat: int = 3
) -> float:
    """The slowest sample's evaluation time, as a decision spends it, best of ``repeat`` runs.

    This thread's CPU time, best-of, because a shared machine's noise is not the rule's cost. ``net``
    leaves out the fixed cost of a call (handing the context to zen): a call priced alone is multiplied by
    how often it can run inside a rule. The first sample over ``limit_ms`` decides, so pricing a costly
    expression costs at most ``repeat`` of its runs.
    """
    nothing = CompiledRule(_NOTHING, rule.names)
    worst = 0.0
    for ctx in contexts:
        fixed = min(_run_ms(nothing, ctx) for _ in range(3)) if net else 0.0
        best = math.inf
        for _ in range(repeat):
            best = min(best, max(0.0, _run_ms(rule, ctx) - fixed))
        worst = max(worst, best)
        if worst > limit_ms:
            break
    return worst


def _invalid(path: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{path}: {message}", extra={"fields": [{"field": f"body.{path}", "message": message}]})


def _refuse(i: int, rule: Any, problem: str) -> ValidationFailed:
    return _invalid(f"knockout_rules.{i}.when", f"rule '{rule.name}' is too costly to run on every decision: {problem}")


def validate_rules(config: PolicyIn) -> None:
    """Refuse (422) knock-out rules that do not compile or would cost too much on every decision."""
    settings = get_settings()
    if len(config.knockout_rules) > settings.policy_max_rules:
        count = len(config.knockout_rules)
        raise _invalid(
            "knockout_rules",
            f"at most {settings.policy_max_rules} knock-out rules are allowed; this policy has {count}",
        )
    contexts = _sample_contexts()
    total_ms = 0.0
    for i, rule in enumerate(config.knockout_rules):
        problem = zen.validate_expression(rule.when)
        if problem:
            raise ValidationFailed(
                f"knockout_rules.{i}.when: expression '{rule.when}' does not compile: "
                f"{problem.get('source', problem)}. Names you can use: {RULE_CONTEXT_HELP}",
                extra={"fields": [{"field": f"body.knockout_rules.{i}.when", "message": str(problem.get("source"))}]},
            )
        cost = scan_rule(rule.when)
        if cost.problem:
            raise _refuse(i, rule, cost.problem)
        # every call, priced on its own (whatever branch guards it) and times the collections around it
        names = _names(rule.when, cost)
        for call, inner in cost.calls:
            limit = settings.policy_rule_trial_ms / cost.repeats(inner)
            each = _trial_ms(CompiledRule(zen.compile_expression(call), names), contexts, limit_ms=limit, net=True)
            if each > limit:
                raise _refuse(
                    i,
                    rule,
                    f"'{call[:60]}' takes {each:.2f} ms on a sample application"
                    + (f" and may run {cost.repeats(inner):,} times" if cost.repeats(inner) > 1 else "")
                    + f"; at most {settings.policy_rule_trial_ms:g} ms are allowed",
                )
        compiled = CompiledRule(zen.compile_expression(rule.when), names)
        spent = _trial_ms(compiled, contexts, limit_ms=settings.policy_rule_trial_ms)
        if spent > settings.policy_rule_trial_ms:
            raise _refuse(
                i,
                rule,
                f"it took {spent:.1f} ms on a sample application; "
                f"at most {settings.policy_rule_trial_ms:g} ms are allowed",
            )
        total_ms += spent
        if total_ms > settings.policy_rules_trial_ms:  # checked as it grows: saving stays cheap too
            raise _invalid(
                "knockout_rules",
                f"the knock-out rules together took more than {settings.policy_rules_trial_ms:g} ms on a "
                f"sample application (at rule {i}, '{rule.name}'); at most that much is allowed per decision",
            )


@dataclass(frozen=True)
class CompiledRule:
    """A compiled expression that is handed only the context names it mentions.

    zen converts the whole context on every call (about 8 µs for the ~35 features, per rule): passing the
    few names a rule reads keeps fifty simple rules far inside the decision budget.
    """

    expression: Any
    names: frozenset[str] | None  # None: the rule reads the root ($), so it gets everything

    def evaluate(self, ctx: dict[str, Any]) -> Any:
        """Evaluate against the part of ``ctx`` the rule can read."""
        if self.names is None:
            return self.expression.evaluate(ctx)
        return self.expression.evaluate({k: ctx[k] for k in self.names if k in ctx})


def _names(when: str, cost: RuleCost) -> frozenset[str] | None:
    return None if "$" in when else frozenset(cost.names)


def _compile(version: int, config: PolicyIn) -> ActivePolicy:
    compiled: list[tuple[KnockoutRule, CompiledRule | None]] = []
    for rule in config.knockout_rules:
        cost = scan_rule(rule.when)
        if cost.problem:  # a rule stored before the bounds existed is never run
            log.warning("knock-out rule breaks the cost bounds; not evaluated", rule=rule.name, problem=cost.problem)
            compiled.append((rule, None))
            continue
        compiled.append((rule, CompiledRule(zen.compile_expression(rule.when), _names(rule.when, cost))))
    return ActivePolicy(version, config, tuple(compiled))


def cached(tenant_id: str) -> ActivePolicy | None:
    """The tenant's policy from this process's cache, or None when it must be re-checked."""
    hit = _cache.get(tenant_id)
    if hit is not None and time.monotonic() - _checked.get(tenant_id, 0.0) < VERSION_TTL_S:
        return hit
    return None


def current(session: Session, *, tenant_id: str) -> ActivePolicy:
    """Return the tenant's policy in force (version 0 = built-in default until the first PUT).

    The compiled policy is cached per process; its version is re-checked at most every
    ``VERSION_TTL_S`` seconds (a change made through this process applies at once, one made through
    another process within that time).
    """
    hit = cached(tenant_id)
    if hit is not None:
        return hit
    previous = _cache.get(tenant_id)
    version = session.execute(scoped(select(func.max(Policy.version)), Policy, tenant_id)).scalar_one_or_none() or 0
    _checked[tenant_id] = time.monotonic()
    if previous is not None and previous.version == version:
        return previous
    if version == 0:
        active = _compile(0, DEFAULT_POLICY)
    else:
        row = session.execute(select_owned(Policy, tenant_id).where(Policy.version == version)).scalar_one()
        active = _compile(version, PolicyIn.model_validate(row.config))
    _cache[tenant_id] = active  # one dict store: atomic, no lock shared across tenants
    return active


def get(session: Session, *, tenant_id: str) -> dict[str, Any]:
    """Return the policy in force as the API shows it."""
    version = current(session, tenant_id=tenant_id).version
    row = None
    if version:
        row = session.execute(select_owned(Policy, tenant_id).where(Policy.version == version)).scalar_one()
    config = PolicyIn.model_validate(row.config) if row else DEFAULT_POLICY
    return {
        **config.model_dump(mode="json"),
        "version": version,
        "created_at": row.created_at if row else None,
        "created_by": row.created_by if row else None,
    }


def put(session: Session, *, tenant_id: str, data: PolicyIn, actor: Any) -> dict[str, Any]:
    """Store a new policy version (after validating every rule) and audit the change."""
    validate_rules(data)
    version = current(session, tenant_id=tenant_id).version + 1
    row = Policy(tenant_id=tenant_id, version=version, config=data.model_dump(mode="json"), created_by=actor.id)
    session.add(row)
    session.flush()
    _checked.pop(tenant_id, None)  # re-read on the next decision in this process
    audit.record(
        session,
        actor=actor,
        action="policy.updated",
        tenant_id=tenant_id,
        resource_type="policy",
        resource_id=str(version),
        details={"version": version, "config": data.model_dump(mode="json")},
    )
    return {**data.model_dump(mode="json"), "version": version, "created_at": row.created_at, "created_by": actor.id}


def _zen_value(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, Decimal):
        return float(value)
    return value


def knockouts(active: ActivePolicy, context: dict[str, Any]) -> list[dict[str, Any]]:
    """Evaluate the rules in order within the decision's budget; return the rules that fired.

    A rule that cannot be evaluated because its data is missing (e.g. no bureau score for a
    new-to-credit applicant) does not fire. Rules left when the budget is spent (or that break the cost
    bounds) are not evaluated: they add one Review entry, ``RULES_NOT_EVALUATED_NAME``, naming them.
    """
    ctx = {k: _zen_value(v) for k, v in context.items()}
    budget_s = get_settings().policy_decision_budget_ms / 1000
    started = time.thread_time()  # this thread's CPU: waiting for the GIL behind other tenants is not spent
    fired = []
    skipped: list[str] = []
    for rule, expression in active.compiled:
        if expression is None or skipped or time.thread_time() - started > budget_s:
            skipped.append(rule.name)
            continue
        try:
            hit = expression.evaluate(ctx)
        except RuntimeError:
            continue
        if hit is True:
            fired.append({"name": rule.name, "outcome": rule.outcome, "reason": rule.reason})
    if skipped:
        RULES_NOT_EVALUATED.inc(len(skipped))
        log.warning(
            "knock-out rules not evaluated within the decision budget; the application goes to Review",
            rules=skipped,
            budget_ms=budget_s * 1000,
            policy_version=active.version,
        )
        fired.append(
            {
                "name": RULES_NOT_EVALUATED_NAME,
                "outcome": "Review",
                "reason": RULES_NOT_EVALUATED_REASON,
                "not_evaluated": skipped,
            }
        )
    return fired


def decide(pd: float, fired: list[dict[str, Any]], config: PolicyIn) -> str:
    """Knock-outs first (Reject beats Review), then the PD thresholds."""
    outcomes = {f["outcome"] for f in fired}
    if "Reject" in outcomes:
        return "Reject"
    if pd >= config.reject_at_or_above_pd:
        return "Reject"
    if "Review" in outcomes:
        return "Review"
    return "Approve" if pd < config.approve_below_pd else "Review"


PAISA = Decimal("0.01")


def expected_loss(pd: float, ead: Decimal, lgd: float) -> Decimal:
    """Expected loss = PD × EAD × LGD, in rupees to the paisa."""
    return (Decimal(str(pd)) * ead * Decimal(str(lgd))).quantize(PAISA, rounding=ROUND_HALF_UP)


def credit_limit(
    *,
    decision: str,
    monthly_income: Decimal,
    existing_emi: Decimal,
    annual_rate_pct: Decimal,
    tenure_months: int,
    config: PolicyIn,
) -> Decimal:
    """The largest loan whose EMI fits the FOIR headroom, capped by income multiple and absolute cap.

    headroom = max_foir × income − existing EMIs; limit = present value of ``headroom`` per month over
    the tenure at the loan's rate. A rejected application gets 0.
    """
    if decision == "Reject":
        return Decimal("0.00")
    rules = config.limit_rules
    headroom = Decimal(str(rules.max_foir)) * monthly_income - existing_emi
    if headroom <= 0:
        return Decimal("0.00")
    r = annual_rate_pct / Decimal(1200)
    pv = headroom * tenure_months if r == 0 else headroom * (1 - (1 + r) ** -tenure_months) / r
    cap = min(rules.max_limit, monthly_income * Decimal(str(rules.income_multiple)))
    return max(Decimal(0), min(pv, cap)).quantize(PAISA, rounding=ROUND_HALF_UP)
