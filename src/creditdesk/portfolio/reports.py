"""The book's reports (summary, NPA, vintage curves, roll rates, repayments), cached per tenant and ledger version.

Freshness invariant: a report is stored under the tenant's *ledger version* (see
``ledger.ledger_version``: the count and latest change of its loans and payments, read on every
call) together with the day it is "as of" and its parameters. A new loan, payment or loss mark
changes the version, so the next read of any report recomputes it from the ledger — a repayment
shows up on the very next request; nothing stale is served. The TTL only bounds what the cache
holds. The cache is ``creditdesk.kit.cache`` (Redis when configured, so every API process shares
one computation; in-process otherwise), holding JSON: money leaves as decimal strings and dates as
ISO strings, exactly as the API renders them. Other domains' reports on the book (Monitoring's
trends) are cached the same way, through :func:`cached_report`.

``warm`` computes what the Monitoring and Portfolio pages ask for on a first visit, so the first
visitor after start-up (or after a new payment, when a task calls it) does not wait for the build;
Monitoring adds its own reports to it with :func:`warm_also`.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

import structlog
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from creditdesk.config import get_settings
from creditdesk.db import Database, set_tenant_scope
from creditdesk.kit.cache import Cache, make_cache
from creditdesk.portfolio import analytics
from creditdesk.portfolio.ledger import ledger_version, load_book
from creditdesk.scoring.approvals import APPROVAL_WINDOW_MONTHS, approval_stats, window_start
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


def cached_report(
    session: Session,
    *,
    tenant: Tenant,
    name: str,
    as_of: date | None,
    compute: Callable[..., dict[str, Any]],
    **params: Any,
) -> dict[str, Any]:
    """Return ``compute(book, as_of, **params)`` on the tenant's book, computed once per ledger version.

    ``as_of`` defaults to today in the tenant's time; the cache key holds the ledger version, the
    report's name, the day and the parameters.
    """
    as_of = as_of or clock.today(tenant)
    version = ledger_version(session, tenant_id=tenant.id)
    key = _key(tenant.id, version, name, {"as_of": as_of.isoformat(), **params})
    cache = report_cache()
    hit: dict[str, Any] | None = cache.get(key)
    if hit is not None:
        return hit
    book = load_book(session, tenant_id=tenant.id, version=version)
    value: dict[str, Any] = json.loads(json.dumps(compute(book, as_of, **params), default=_plain))
    cache.set(key, value, REPORT_TTL_S)
    return value


# --------------------------------------------------------------------------------------------------
# the reports (defaults are what the portal asks for)


def summary(
    session: Session, *, tenant: Tenant, as_of: date | None, approval_months: int = APPROVAL_WINDOW_MONTHS
) -> dict[str, Any]:
    """Return the book's headline figures and the approval rate over the approval window (as Monitoring)."""
    figures = cached_report(session, tenant=tenant, name="summary", as_of=as_of, compute=analytics.summary)
    since = window_start(today=clock.today(tenant), zone=clock.zone(tenant), months=approval_months)
    approvals = approval_stats(session, tenant_id=tenant.id, since=since)
    return {
        **figures,
        "applications": approvals.applications or None,
        "approval_rate": approvals.rate,
        "approval_window_months": approval_months,
        "approval_window_from": since,
    }


def npa(session: Session, *, tenant: Tenant, as_of: date | None) -> dict[str, Any]:
    """Return the RBI asset-classification breakdown."""
    return cached_report(session, tenant=tenant, name="npa", as_of=as_of, compute=analytics.npa_breakdown)


def vintage(session: Session, *, tenant: Tenant, as_of: date | None, max_mob: int = 24) -> dict[str, Any]:
    """Return vintage curves."""
    return cached_report(
        session, tenant=tenant, name="vintage", as_of=as_of, compute=analytics.vintage, max_mob=max_mob
    )


def repayments(session: Session, *, tenant: Tenant, as_of: date | None, months: int = 12) -> dict[str, Any]:
    """Return repayment statistics."""
    return cached_report(
        session, tenant=tenant, name="repayments", as_of=as_of, compute=analytics.repayments, months=months
    )


def roll_rates(session: Session, *, tenant: Tenant, as_of: date | None, months: int = 6) -> dict[str, Any]:
    """Return roll rates between DPD buckets."""
    return cached_report(
        session, tenant=tenant, name="roll-rates", as_of=as_of, compute=analytics.roll_rates, months=months
    )


# --------------------------------------------------------------------------------------------------
# warming


class Warmer(Protocol):
    def __call__(self, session: Session, *, tenant: Tenant) -> None: ...


#: other domains' reports on the book that a first visit asks for (Monitoring's trends), see :func:`warm_also`
_also_warm: list[Warmer] = []


def warm_also(warmer: Warmer) -> None:
    """Have :func:`warm` also compute another domain's reports on the book (once per warmer)."""
    if warmer not in _also_warm:
        _also_warm.append(warmer)


def warm(session: Session, *, tenant: Tenant) -> None:
    """Compute the reports a first visit to Monitoring and Portfolio asks for (no-op when already cached)."""
    for report in (summary, npa, vintage):
        report(session, tenant=tenant, as_of=None)
    for warmer in _also_warm:
        warmer(session, tenant=tenant)


_refreshing: dict[str, bool] = {}  # tenant → another refresh wanted while one runs
_refresh_lock = threading.Lock()
#: the least time from one background refresh of a tenant's reports to the next: a stream of ledger
#: writes (payment webhooks) would otherwise re-read the whole book back to back, most of their CPU
REFRESH_INTERVAL_S = 30.0


def refresh_after_commit(session: Session, *, tenant_id: str) -> None:
    """Rebuild the tenant's reports in the background once this transaction commits (ledger writes).

    Readers never wait for this (nor depend on it): they rebuild themselves when they see a newer
    ledger version. It only starts the work at once, so the next page view finds it done or under
    way. Bursts coalesce: one refresh runs per tenant and at most one more follows it, no sooner than
    :data:`REFRESH_INTERVAL_S` after the previous one started.
    """
    if session.info.get("db") is None:
        return
    session.info.setdefault("reports_refresh", set()).add(tenant_id)
    if not session.info.get("reports_listener"):  # one pair of listeners per session, however many writes
        session.info["reports_listener"] = True
        event.listen(session, "after_commit", _start_refreshes)
        event.listen(session, "after_rollback", _forget_refreshes)


def _start_refreshes(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released (SQLAlchemy says "after_commit" for it too): not committed yet
    db: Database = session.info["db"]
    for tenant_id in session.info.pop("reports_refresh", ()):
        with _refresh_lock:
            if tenant_id in _refreshing:
                _refreshing[tenant_id] = True
                continue
            _refreshing[tenant_id] = False
        threading.Thread(target=_refresh, args=(db, tenant_id), name="portfolio-reports-refresh", daemon=True).start()


def _forget_refreshes(session: Session) -> None:
    if not session.in_nested_transaction():  # the whole transaction rolled back, not a savepoint
        session.info.pop("reports_refresh", None)


def _refresh(db: Database, tenant_id: str) -> None:
    while True:
        started = time.monotonic()
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
        time.sleep(max(0.0, started + REFRESH_INTERVAL_S - time.monotonic()))


def warm_all(db: Database) -> int:
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
