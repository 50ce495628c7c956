"""Credit policy: PD thresholds, ZEN knock-out rules, limits, expected loss — versioned per tenant.

Every PUT creates a new version (audited); decisions record the version they used. Knock-out rule
expressions are validated with zen-engine before they are stored, so an expression that does not
compile is refused with the parser's message and never reaches the decision path.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import zen
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.errors import ValidationFailed
from creditdesk.scoring.models import Policy
from creditdesk.scoring.schemas import PolicyIn
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


@dataclass(frozen=True)
class ActivePolicy:
    """A policy version ready to apply (knock-out expressions compiled once)."""

    version: int
    config: PolicyIn
    compiled: tuple[tuple[Any, Any], ...]  # (rule, compiled expression)


_cache: dict[str, ActivePolicy] = {}
_checked: dict[str, float] = {}
VERSION_TTL_S = 2.0
_cache_lock = threading.Lock()


def validate_rules(config: PolicyIn) -> None:
    """Refuse (422) any knock-out rule whose ZEN expression does not compile."""
    for i, rule in enumerate(config.knockout_rules):
        problem = zen.validate_expression(rule.when)
        if problem:
            raise ValidationFailed(
                f"knockout_rules.{i}.when: expression '{rule.when}' does not compile: "
                f"{problem.get('source', problem)}. Names you can use: {RULE_CONTEXT_HELP}",
                extra={"fields": [{"field": f"body.knockout_rules.{i}.when", "message": str(problem.get("source"))}]},
            )


def _compile(version: int, config: PolicyIn) -> ActivePolicy:
    return ActivePolicy(version, config, tuple((r, zen.compile_expression(r.when)) for r in config.knockout_rules))


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
    with _cache_lock:
        _cache[tenant_id] = active
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
    """Evaluate every rule; return the rules that fired. A rule that cannot be evaluated because its
    data is missing (e.g. no bureau score for a new-to-credit applicant) does not fire."""
    ctx = {k: _zen_value(v) for k, v in context.items()}
    fired = []
    for rule, expression in active.compiled:
        try:
            hit = expression.evaluate(ctx)
        except RuntimeError:
            continue
        if hit is True:
            fired.append({"name": rule.name, "outcome": rule.outcome, "reason": rule.reason})
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
