"""Bureau pulls for scoring: one application's bureaus pulled with the tenant's stored configurations
and merged by its rule; and the breaker listing operators see.

The pull engine (cache, breakers, rate limits, the parallel calls) is :mod:`creditdesk.bureaus.pull`;
this module feeds it what the tenant stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditdesk.bureaus.config import runtime_config
from creditdesk.bureaus.connectors import BureauConfig
from creditdesk.bureaus.errors import BureauError
from creditdesk.bureaus.merge_rule import merge_rule_for
from creditdesk.bureaus.models import BureauConfigRecord
from creditdesk.bureaus.pull import PullResult, merged_bureau_block, pull_reports
from creditdesk.bureaus.runtime import BureauRuntime, get_runtime
from creditdesk.bureaus.schemas import BUREAUS
from creditdesk.bureaus.schemas_api import BreakerList, BreakerRead
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import select_owned


@dataclass
class BureauPullOutcome:
    """The bureau part of one application's decision.

    ``results``: one summary per requested bureau, in the requested order —
    ``{"bureau","status","score","latency_ms","cached","error"}`` with ``status`` one of ok, no_hit,
    error, disabled, not_configured, rate_limited, circuit_open. ``merged``: the §5 ``bureau`` block
    merged by the tenant's rule, None when no bureau answered. ``all_failed``: bureaus were requested
    and none answered — decide ``Review`` with the reason "Bureau data unavailable". ``reports``: the
    full normalised reports (JSON) of the bureaus that answered.
    """

    results: list[dict[str, Any]]
    merged: dict[str, Any] | None
    all_failed: bool
    reports: list[dict[str, Any]] = field(default_factory=list)
    merge_rule: dict[str, Any] = field(default_factory=dict)


def _pull_configured(
    session: Session,
    runtime: BureauRuntime,
    *,
    tenant_id: str,
    names: list[str],
    pan: str,
    applicant: Mapping[str, Any] | None,
) -> list[PullResult]:
    """Pull ``names`` with the tenant's stored configurations; a configuration that cannot be used is an error."""
    stmt = select_owned(BureauConfigRecord, tenant_id).where(BureauConfigRecord.bureau.in_(names))
    configs: dict[str, BureauConfig] = {}
    problems: dict[str, str] = {}
    for record in session.execute(stmt).scalars():
        try:
            configs[record.bureau] = runtime_config(record, settings=runtime.settings)
        except BureauError as exc:
            problems[record.bureau] = str(exc)
    pulled = {
        r.bureau: r
        for r in pull_reports(
            tenant_id=tenant_id,
            requested=[n for n in names if n not in problems],
            pan=pan,
            applicant=applicant,
            configs=configs,
            cache=runtime.cache,
            breakers=runtime.breakers,
            limiter=runtime.limiter,
            http_client=runtime.http_client,
            retry=runtime.retry,
            cache_ttl_s=runtime.settings.bureau_cache_ttl_seconds,
        )
    }
    return [
        pulled[n] if n in pulled else PullResult(bureau=n, status="error", latency_ms=0, error=problems[n])
        for n in names
    ]


def pull_for_application(
    session: Session,
    *,
    tenant_id: str,
    requested: Sequence[str],
    pan: str | None,
    applicant: Mapping[str, Any] | None = None,
) -> BureauPullOutcome:
    """Pull the requested bureaus for one applicant in parallel with the tenant's stored configurations.

    Never raises because a bureau failed (each failure is a result); raises ValueError only for a
    bureau name that does not exist. Calls are real HTTP to each configured ``endpoint_url``, through
    the process-wide breakers, rate limiter and report cache.
    """
    names = list(dict.fromkeys(requested))
    unknown = [n for n in names if n not in BUREAUS]
    if unknown:
        raise ValueError(f"unknown bureau(s): {', '.join(unknown)}")
    rule = merge_rule_for(session, tenant_id=tenant_id)
    rule_json = {"strategy": rule.strategy, "priority": list(rule.priority)}
    if not names:
        return BureauPullOutcome(results=[], merged=None, all_failed=False, merge_rule=rule_json)
    if not pan:
        no_pan = "no PAN given; bureau reports are pulled by PAN"
        results = [PullResult(bureau=n, status="error", latency_ms=0, error=no_pan) for n in names]
    else:
        runtime = get_runtime()
        results = _pull_configured(session, runtime, tenant_id=tenant_id, names=names, pan=pan, applicant=applicant)
    return BureauPullOutcome(
        results=[r.summary() for r in results],
        merged=merged_bureau_block(results, rule),
        all_failed=not any(r.succeeded for r in results),
        reports=[r.report.model_dump(mode="json") for r in results if r.report is not None],
        merge_rule=rule_json,
    )


def list_breakers(session: Session) -> BreakerList:
    """Describe the circuit breaker of every configured (tenant, bureau) and every one this process used."""
    runtime = get_runtime()
    keys = {(t, b) for t, b in session.execute(select(BureauConfigRecord.tenant_id, BureauConfigRecord.bureau))}
    slugs = dict(session.execute(select(Tenant.id, Tenant.slug)).tuples().all())
    items = []
    for state in runtime.breakers.list_states(keys):
        if state["tenant"] not in slugs:  # a breaker of a connector test or a deleted tenant
            continue
        items.append(
            BreakerRead(
                tenant=slugs.get(state["tenant"]),
                tenant_id=state["tenant"],
                bureau=state["bureau"],
                state=state["state"],
                fail_counter=state["fail_counter"],
                opened_at=state["opened_at"],
                retry_in_s=round(runtime.breakers.retry_in_s(state["tenant"], state["bureau"]), 3),
            )
        )
    return BreakerList(items=items)
