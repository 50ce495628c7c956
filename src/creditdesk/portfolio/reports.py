"""The book's reports (summary, NPA, trends, forecast), cached per tenant and ledger version.

Freshness invariant: a report is stored under the tenant's *ledger version* (see
``service.ledger_version``: the count and latest change of its loans and payments, read on every
call) together with the day it is "as of" and its parameters. A new loan, payment or loss mark
changes the version, so the next read of any report recomputes it from the ledger — a repayment
shows up on the very next request; nothing stale is served. The TTL only bounds what the cache
holds. The cache is ``creditdesk.kit.cache`` (Redis when configured, so every API process shares
one computation; in-process otherwise), holding JSON: money leaves as decimal strings and dates as
ISO strings, exactly as the API renders them.

``warm`` computes what the Monitoring and Portfolio pages ask for on a first visit, so the first
visitor after start-up (or after a new payment, when a task calls it) does not wait for the build.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from creditdesk.config import get_settings
from creditdesk.db import set_tenant_scope
from creditdesk.kit.cache import Cache, make_cache
from creditdesk.monitoring.repository import APPROVAL_WINDOW_MONTHS, approval_stats, window_start
from creditdesk.portfolio import analytics
from creditdesk.portfolio.book import Book
from creditdesk.portfolio.service import ledger_version, load_book, tenant_today
from creditdesk.tenancy import clock
from creditdesk.tenancy.models import Tenant

log = structlog.get_logger("creditdesk.portfolio")
REPORT_TTL_S = 6 * 3600.0
_cache: Cache | None = None
_cache_lock = threading.Lock()


def report_cache() -> Cache:
    """Return the process's report cache (Redis when configured, else in-process)."""
    global _cache
    if _cache is None:
        with _cache_lock:
            if _cache is None:
                _cache = make_cache(get_settings().redis_url, max_entries=2000)
    return _cache


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _key(tenant_id: str, version: tuple[Any, ...], report: str, params: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps([str(v) for v in version]).encode()).hexdigest()[:20]
    return f"portfolio-report:{tenant_id}:{digest}:{report}:{json.dumps(params, sort_keys=True, default=str)}"


def cached(
    session: Session,
    *,
    tenant: Tenant,
    report: str,
    as_of: date | None,
    params: dict[str, Any],
    compute: Callable[[Book, date], dict[str, Any]],
) -> dict[str, Any]:
    """Return a report of the tenant's book as of a day, computed once per ledger version."""
    as_of = as_of or tenant_today(tenant)
    version = ledger_version(session, tenant_id=tenant.id)
    key = _key(tenant.id, version, report, {"as_of": as_of.isoformat(), **params})
    cache = report_cache()
    hit = cache.get(key)
    if hit is not None:
        return hit
    value = json.loads(
        json.dumps(compute(load_book(session, tenant_id=tenant.id, version=version), as_of), default=_plain)
    )
    cache.set(key, value, REPORT_TTL_S)
    return value


# --------------------------------------------------------------------------------------------------
# the reports (defaults are what the portal asks for)


def summary(
    session: Session, *, tenant: Tenant, as_of: date | None, approval_months: int = APPROVAL_WINDOW_MONTHS
) -> dict[str, Any]:
    """Return the book's headline figures and the approval rate over the approval window (as Monitoring)."""
    figures = cached(session, tenant=tenant, report="summary", as_of=as_of, params={}, compute=analytics.summary)
    since = window_start(today=tenant_today(tenant), zone=clock.zone(tenant), months=approval_months)
    approvals = approval_stats(session, tenant_id=tenant.id, since=since)
    return {
        **figures,
        "applications": approvals["applications"],
        "approval_rate": approvals["approval_rate"],
        "approval_window_months": approval_months,
        "approval_window_from": since,
    }


def npa(session: Session, *, tenant: Tenant, as_of: date | None) -> dict[str, Any]:
    """Return the RBI asset-classification breakdown."""
    return cached(session, tenant=tenant, report="npa", as_of=as_of, params={}, compute=analytics.npa_breakdown)


def delinquency(session: Session, *, tenant: Tenant, as_of: date | None, months: int = 24) -> dict[str, Any]:
    """Return the month-end 30+/60+/90+ delinquency trend."""
    return cached(
        session,
        tenant=tenant,
        report="delinquency",
        as_of=as_of,
        params={"months": months},
        compute=lambda book, day: analytics.delinquency(book, day, months),
    )


def npa_forecast(session: Session, *, tenant: Tenant, as_of: date | None, horizon_days: int = 90) -> dict[str, Any]:
    """Return the NPA forecast over the horizon."""
    return cached(
        session,
        tenant=tenant,
        report="npa-forecast",
        as_of=as_of,
        params={"horizon": horizon_days},
        compute=lambda book, day: analytics.npa_forecast(book, day, horizon=horizon_days),
    )


def performance(session: Session, *, tenant: Tenant, as_of: date | None, horizon_months: int = 12) -> dict[str, Any]:
    """Return model performance against realised defaults."""
    return cached(
        session,
        tenant=tenant,
        report="performance",
        as_of=as_of,
        params={"horizon": horizon_months},
        compute=lambda book, day: analytics.performance(book, day, horizon_months),
    )


def vintage(session: Session, *, tenant: Tenant, as_of: date | None, max_mob: int = 24) -> dict[str, Any]:
    """Return vintage curves."""
    return cached(
        session,
        tenant=tenant,
        report="vintage",
        as_of=as_of,
        params={"max_mob": max_mob},
        compute=lambda book, day: analytics.vintage(book, day, max_mob),
    )


def repayments(session: Session, *, tenant: Tenant, as_of: date | None, months: int = 12) -> dict[str, Any]:
    """Return repayment statistics."""
    return cached(
        session,
        tenant=tenant,
        report="repayments",
        as_of=as_of,
        params={"months": months},
        compute=lambda book, day: analytics.repayments(book, day, months),
    )


def roll_rates(session: Session, *, tenant: Tenant, as_of: date | None, months: int = 6) -> dict[str, Any]:
    """Return roll rates between DPD buckets."""
    return cached(
        session,
        tenant=tenant,
        report="roll-rates",
        as_of=as_of,
        params={"months": months},
        compute=lambda book, day: analytics.roll_rates(book, day, months),
    )


def warm(session: Session, *, tenant: Tenant) -> None:
    """Compute the reports a first visit to Monitoring and Portfolio asks for (no-op when already cached)."""
    for report in (summary, npa, delinquency, npa_forecast, vintage):
        report(session, tenant=tenant, as_of=None)


_refreshing: dict[str, bool] = {}  # tenant → another refresh wanted while one runs
_refresh_lock = threading.Lock()


def refresh_after_commit(session: Session, *, tenant_id: str) -> None:
    """Rebuild the tenant's reports in the background once this transaction commits (ledger writes).

    Readers never wait for this (nor depend on it): they rebuild themselves when they see a newer
    ledger version. It only starts the work at once, so the next page view finds it done or under
    way. Bursts coalesce: one refresh runs per tenant and at most one more follows it.
    """
    db = session.info.get("db")
    if db is None or session.info.get("reports_refresh") == tenant_id:
        return
    session.info["reports_refresh"] = tenant_id

    def start(_session: Session) -> None:
        session.info.pop("reports_refresh", None)
        with _refresh_lock:
            if tenant_id in _refreshing:
                _refreshing[tenant_id] = True
                return
            _refreshing[tenant_id] = False
        threading.Thread(target=_refresh, args=(db, tenant_id), name="portfolio-reports-refresh", daemon=True).start()

    event.listen(session, "after_commit", start, once=True)
    event.listen(session, "after_rollback", lambda _s: session.info.pop("reports_refresh", None), once=True)


def _refresh(db: Any, tenant_id: str) -> None:
    while True:
        try:
            with db.session(read_only=True) as session:
                tenant = session.get(Tenant, tenant_id)
                if tenant is not None:
                    set_tenant_scope(session, tenant_id)
                    warm(session, tenant=tenant)
                session.rollback()
        except Exception as exc:  # noqa: BLE001 - a reader will rebuild; the error is logged
            log.warning("portfolio report refresh failed", tenant=tenant_id, error=f"{type(exc).__name__}: {exc}")
        with _refresh_lock:
            if not _refreshing.get(tenant_id):
                _refreshing.pop(tenant_id, None)
                return
            _refreshing[tenant_id] = False


def warm_all(db: Any) -> int:
    """Warm every active tenant's reports (each in its own read-only session); return how many tenants."""
    started = time.perf_counter()
    with db.session(read_only=True) as session:
        tenants = list(session.execute(select(Tenant).where(Tenant.status == "active")).scalars())
        for tenant in tenants:
            session.expunge(tenant)
    for tenant in tenants:
        with db.session(read_only=True) as session:
            set_tenant_scope(session, tenant.id)
            warm(session, tenant=tenant)
            session.rollback()
    log.info("portfolio reports warmed", tenants=len(tenants), seconds=round(time.perf_counter() - started, 2))
    return len(tenants)
