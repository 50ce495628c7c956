"""Pull bureau reports for one applicant: cached, rate-limited, circuit-broken, in parallel.

:func:`pull_reports` never raises because a bureau failed: every requested bureau gets a
:class:`PullResult` whose ``status`` says what happened. Bureaus are pulled concurrently on a thread
pool (the connectors are synchronous), so the total time is about the slowest bureau, not the sum.

For each requested bureau, in order:

1. no config → ``not_configured``; config disabled → ``disabled``;
2. a cached report for (tenant, bureau, PAN) → ``ok``/``no_hit`` with ``cached=True``, no call made;
3. the (tenant, bureau) circuit breaker open → ``circuit_open``, no call made;
4. the (tenant, bureau) rate limit reached → ``rate_limited``, no call made;
5. the call: ``ok`` (hit) / ``no_hit`` — both cached for ``cache_ttl_s`` — or ``error`` with a
   readable reason (timeouts, 5xx, bad credentials, malformed answers…).

A cache or rate-limit backend that is down (e.g. Redis) degrades to "no cache" / "no limit" with a
warning rather than failing the pull.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Literal

import httpx
from prometheus_client import Histogram
from pydantic import BaseModel, ValidationError

from creditdesk.bureaus.connectors import BureauConfig, make_connector
from creditdesk.bureaus.errors import BureauCircuitOpen, BureauError
from creditdesk.bureaus.merge import MergeRule, merge_reports
from creditdesk.bureaus.schemas import BUREAUS, BureauReport, normalise_pan
from creditdesk.kit.cache import Cache
from creditdesk.kit.ratelimit import RateLimiter
from creditdesk.kit.resilience import BreakerRegistry, ResilientCaller, RetryPolicy

log = logging.getLogger(__name__)

PullStatus = Literal["ok", "no_hit", "error", "disabled", "not_configured", "rate_limited", "circuit_open"]
DEFAULT_CACHE_TTL_S = 24 * 3600
CACHE_PREFIX = "bureau-report"

_shared_client: httpx.Client | None = None


BUREAU_CALLS = Histogram(
    "creditdesk_bureau_pull_seconds",
    "Bureau pull latency by bureau, outcome and cache use",
    ["bureau", "status", "cached"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5),
)


class PullResult(BaseModel):
    """What happened when one bureau was asked for one applicant's report."""

    bureau: str
    status: PullStatus
    latency_ms: int
    cached: bool = False
    report: BureauReport | None = None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        """Tell whether the bureau answered (a hit or a no-hit)."""
        return self.status in ("ok", "no_hit")

    def summary(self) -> dict[str, Any]:
        """Return the record kept on the application: bureau, status, score, latency, cached, error."""
        return {
            "bureau": self.bureau,
            "status": self.status,
            "score": self.report.score if self.report else None,
            "latency_ms": self.latency_ms,
            "cached": self.cached,
            "error": self.error,
        }


def _pan_digest(pan: str) -> str:
    # Cache keys show up in monitoring tools; keep the PAN itself out of them.
    return hashlib.sha256(pan.encode()).hexdigest()[:32]


def report_cache_key(tenant_id: str, bureau: str, pan: str) -> str:
    """Return the cache key of (tenant, bureau, PAN)'s report."""
    return f"{CACHE_PREFIX}:{tenant_id}:{bureau}:{_pan_digest(normalise_pan(pan))}"


def invalidate_reports(cache: Cache, *, tenant_id: str, bureau: str | None = None, pan: str | None = None) -> int:
    """Drop cached reports of a tenant — all, one bureau's, one PAN's, or one (bureau, PAN); return count.

    Call with ``bureau`` when a tenant's configuration for that bureau changes, with ``pan`` when an
    applicant disputes or a fresh pull is required.
    """
    if pan is not None:
        bureaus = [bureau] if bureau else list(BUREAUS)
        return sum(cache.delete(report_cache_key(tenant_id, b, pan)) for b in bureaus)
    prefix = f"{CACHE_PREFIX}:{tenant_id}:" + (f"{bureau}:" if bureau else "")
    return cache.delete_prefix(prefix)


def default_http_client() -> httpx.Client:
    """Return the process-wide HTTP client for bureau calls (connection pooling across pulls)."""
    global _shared_client
    if _shared_client is None or _shared_client.is_closed:
        _shared_client = httpx.Client(follow_redirects=False, limits=httpx.Limits(max_connections=100))
    return _shared_client


def close_default_http_client() -> None:
    """Close the process-wide HTTP client (call at shutdown)."""
    global _shared_client
    if _shared_client is not None:
        _shared_client.close()
        _shared_client = None


def _since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _cached_report(cache: Cache, key: str) -> BureauReport | None:
    try:
        data = cache.get(key)
    except Exception:
        log.warning("bureau report cache unavailable on read", exc_info=True)
        return None
    if data is None:
        return None
    try:
        return BureauReport.model_validate(data)
    except ValidationError:  # written by an older schema: treat as a miss and drop it
        cache.delete(key)
        return None


def _pull_one(
    *,
    tenant_id: str,
    bureau: str,
    pan: str,
    applicant: Mapping[str, Any] | None,
    config: BureauConfig | None,
    cache: Cache | None,
    cache_ttl_s: float,
    breakers: BreakerRegistry | None,
    limiter: RateLimiter | None,
    caller: ResilientCaller,
    client: httpx.Client,
) -> PullResult:
    started = time.perf_counter()

    def result(status: PullStatus, **kwargs: Any) -> PullResult:
        out = PullResult(bureau=bureau, status=status, latency_ms=_since(started), **kwargs)
        BUREAU_CALLS.labels(bureau, status, "yes" if out.cached else "no").observe(out.latency_ms / 1000)
        return out

    if config is None:
        return result("not_configured", error=f"{bureau} is not configured for this tenant")
    if not config.enabled:
        return result("disabled", error=f"{bureau} is disabled for this tenant")
    key = report_cache_key(tenant_id, bureau, pan)
    if cache is not None:
        cached = _cached_report(cache, key)
        if cached is not None:
            return result("ok" if cached.hit else "no_hit", cached=True, report=cached)
    if breakers is not None and breakers.is_open(tenant_id, bureau):
        retry_in = breakers.retry_in_s(tenant_id, bureau)
        return result(
            "circuit_open",
            error=f"{bureau} calls suspended after repeated failures; retry in {retry_in:.0f} s",
        )
    if limiter is not None:
        try:
            allowed = limiter.hit(f"bureau:{tenant_id}:{bureau}", limit=config.rate_limit)
        except Exception:
            log.warning("bureau rate limiter unavailable; allowing the call", exc_info=True)
            allowed = True
        if not allowed:
            return result("rate_limited", error=f"{bureau} rate limit reached for this tenant")
    try:
        connector = make_connector(config, tenant_id=tenant_id, client=client, caller=caller)
        report = connector.fetch_report(pan, applicant)
    except BureauCircuitOpen as exc:
        return result("circuit_open", error=str(exc))
    except BureauError as exc:
        log.info("bureau pull failed", extra={"bureau": bureau, "tenant_id": tenant_id, "code": exc.code})
        return result("error", error=str(exc))
    except Exception as exc:  # a connector bug must not fail the application
        log.exception("bureau pull crashed", extra={"bureau": bureau, "tenant_id": tenant_id})
        return result("error", error=f"{bureau} pull failed unexpectedly ({exc.__class__.__name__})")
    if cache is not None:
        try:
            cache.set(key, report.model_dump(mode="json"), cache_ttl_s)
        except Exception:
            log.warning("bureau report cache unavailable on write", exc_info=True)
    return result("ok" if report.hit else "no_hit", report=report)


def pull_reports(
    *,
    tenant_id: str,
    requested: Iterable[str],
    pan: str,
    applicant: Mapping[str, Any] | None = None,
    configs: Mapping[str, BureauConfig],
    cache: Cache | None = None,
    breakers: BreakerRegistry | None = None,
    limiter: RateLimiter | None = None,
    transport: httpx.BaseTransport | None = None,
    http_client: httpx.Client | None = None,
    retry: RetryPolicy | None = None,
    cache_ttl_s: float = DEFAULT_CACHE_TTL_S,
) -> list[PullResult]:
    """Pull the requested bureaus' reports on ``pan`` in parallel; one result per bureau, in order.

    Raises ValueError only for a bureau name that does not exist (a caller bug); every bureau
    failure — and an invalid PAN — comes back as results with status ``error``.
    """
    names = list(dict.fromkeys(requested))
    unknown = [n for n in names if n not in BUREAUS]
    if unknown:
        raise ValueError(f"unknown bureau(s): {', '.join(unknown)}")
    if not names:
        return []
    try:
        pan = normalise_pan(pan)
    except ValueError as exc:
        return [PullResult(bureau=n, status="error", latency_ms=0, error=str(exc)) for n in names]

    caller = ResilientCaller(breakers=breakers, retry=retry)
    own_client = http_client is None and transport is not None
    client = http_client or (httpx.Client(transport=transport) if transport is not None else default_http_client())
    try:
        pull_one = partial(
            _pull_one,
            tenant_id=tenant_id,
            pan=pan,
            applicant=applicant,
            cache=cache,
            cache_ttl_s=cache_ttl_s,
            breakers=breakers,
            limiter=limiter,
            caller=caller,
            client=client,
        )
        if len(names) == 1:
            return [pull_one(bureau=names[0], config=configs.get(names[0]))]
        with ThreadPoolExecutor(max_workers=len(names), thread_name_prefix="bureau-pull") as pool:
            futures = [pool.submit(pull_one, bureau=name, config=configs.get(name)) for name in names]
            return [f.result() for f in futures]
    finally:
        if own_client:
            client.close()


def merged_bureau_block(
    results: Sequence[PullResult], rule: MergeRule | str | Mapping[str, Any] | None = None
) -> dict[str, Any] | None:
    """Merge the successful pulls into the §5 ``bureau`` block; None when no bureau answered.

    None means "Bureau data unavailable" — the caller decides the application ``Review``.
    """
    reports = [r.report for r in results if r.succeeded and r.report is not None]
    return merge_reports(reports, rule)
