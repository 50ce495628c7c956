"""The application factory: settings, database, middleware, the one error handler, routers."""

from __future__ import annotations

import hmac
import os
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import anyio
import redis
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from creditdesk import __version__
from creditdesk.api import api_router
from creditdesk.audit.service import record_unaudited_request
from creditdesk.auth.principal import forget_api_keys
from creditdesk.bureaus.router import mount_simulators
from creditdesk.bureaus.runtime import get_runtime
from creditdesk.channels.simulator import mount_simulators as mount_channel_simulators
from creditdesk.config import Settings, get_settings
from creditdesk.db import before_commit_hooks, get_database, init_database
from creditdesk.errors import AppError, NotFound, Unauthorized
from creditdesk.fraud.kyc_simulator import mount_kyc_simulator
from creditdesk.kit import groupcommit, openapi
from creditdesk.kit.health import HealthServer
from creditdesk.kit.load import AdmissionMiddleware
from creditdesk.kit.logging import configure_logging
from creditdesk.kit.middleware import JsonDepthMiddleware, RequestContextMiddleware
from creditdesk.kit.observability import current_trace_id, otlp_endpoint, setup_tracing
from creditdesk.lending.esign_simulator import mount_esign_simulator
from creditdesk.monitoring import app as monitoring_app
from creditdesk.payments.simulator import mount_simulator as mount_payment_simulator
from creditdesk.tasks import TASK_REGISTRY
from creditdesk.tenancy.deps import forget_tenants
from creditdesk.worker.broker import is_embedded, start_worker, stop_worker
from creditdesk.worker.models import Job

log = structlog.get_logger("creditdesk")

_HTTP_NAMES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    429: "RateLimited",
}


def error_body(request: Request, error: str, detail: str, **extra: Any) -> dict[str, Any]:
    """Return the one error shape (with the trace id, to match the log lines of this request)."""
    body = {"error": error, "detail": detail, "request_id": getattr(request.state, "request_id", None), **extra}
    if trace_id := current_trace_id():
        body["trace_id"] = trace_id
    return body


def allowed_methods(request: Request) -> list[str]:
    """The methods the API documents on this request's path (FastAPI makes one route per method)."""
    return openapi.allowed_methods(request.app, request.url.path)


def _format_loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def install_error_handlers(app: FastAPI) -> None:
    """Render every failure as ``{"error","detail","request_id"}``; never a stack trace."""

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(
            error_body(request, exc.name, exc.message, **exc.extra), status_code=exc.status, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse(error_body(request, "MalformedJSON", "Request body is not valid JSON"), status_code=400)
        fields = [{"field": _format_loc(e["loc"]), "message": e["msg"], "type": e["type"]} for e in errors]
        detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:5])
        return JSONResponse(error_body(request, "ValidationError", detail, fields=fields), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        name = _HTTP_NAMES.get(exc.status_code, "HTTPError")
        detail = str(exc.detail) if exc.detail else name
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No route for {request.method} {request.url.path}"
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:  # every method this path answers, not only the first route's
            allowed = allowed_methods(request)
            headers["Allow"] = ", ".join(allowed)
            detail = f"{request.method} is not allowed on {request.url.path}; allowed: {', '.join(allowed)}"
        return JSONResponse(error_body(request, name, detail), status_code=exc.status_code, headers=headers)

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        if groupcommit.is_unavailable(exc):  # e.g. PostgreSQL restarting: the pool reconnects by itself
            log.warning("database unavailable", path=request.url.path, error=type(exc.orig).__name__)
            return JSONResponse(
                error_body(request, "ServiceUnavailable", "The database is unavailable; retry shortly"),
                status_code=503,
                headers={"Retry-After": "1"},
            )
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc, path=request.url.path)
        return JSONResponse(
            error_body(request, "InternalError", "An unexpected error occurred; quote the request id to support"),
            status_code=500,
        )


def readiness_checks(settings: Settings) -> dict[str, str]:
    """Check every backing service the configuration names; 'ok' or a short error per service."""
    checks: dict[str, str] = {}
    try:
        with get_database().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["database"] = f"error: {type(exc).__name__}"
    if settings.broker_url:
        url = urlsplit(settings.broker_url)
        default_port = 5672 if url.scheme.startswith("amqp") else 6379
        try:
            socket.create_connection((url.hostname or "127.0.0.1", url.port or default_port), timeout=1).close()
            checks["broker"] = "ok"
        except OSError as exc:
            checks["broker"] = f"error: {type(exc).__name__}"
    if settings.redis_url:
        try:
            redis.Redis.from_url(settings.redis_url, socket_timeout=1, socket_connect_timeout=1).ping()
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["redis"] = f"error: {type(exc).__name__}"
    return checks


def readiness(settings: Settings) -> tuple[int, dict[str, Any]]:
    """The readiness answer (status code and body), for ``/readyz`` on either port."""
    checks = readiness_checks(settings)
    ok = all(v == "ok" for v in checks.values())
    return (200 if ok else 503), {"status": "ok" if ok else "unavailable", "checks": checks}


class _StateCollector:
    """Scrape-time gauges: circuit-breaker states (this process) and the job queue (the database)."""

    def describe(self) -> list[Metric]:
        return []  # registration must not query the database

    def collect(self) -> Iterator[Metric]:
        open_ = GaugeMetricFamily(
            "creditdesk_bureau_breaker_open",
            "1 when the (tenant, bureau) breaker is open or half-open",
            labels=["tenant", "bureau", "state"],
        )
        try:
            for b in get_runtime().breakers.list_states():
                open_.add_metric(
                    [str(b.get("tenant")), str(b.get("bureau")), str(b.get("state"))],
                    0.0 if b.get("state") == "closed" else 1.0,
                )
        except Exception as exc:  # noqa: BLE001 - metrics must never fail a scrape
            log.warning("breaker metrics unavailable", error=type(exc).__name__)
        yield open_
        jobs = GaugeMetricFamily("creditdesk_job_queue", "Jobs by status (queue depth = queued)", labels=["status"])
        try:
            with get_database().session(read_only=True) as session:
                for status, n in session.execute(
                    select(Job.status, func.count())
                    .where(Job.status.in_(("queued", "running", "dead")))
                    .group_by(Job.status)
                ):
                    jobs.add_metric([status], float(n))
        except Exception as exc:  # noqa: BLE001
            log.warning("job metrics unavailable", error=type(exc).__name__)
        yield jobs


_collector_registered = False


def metrics_payload() -> tuple[bytes, str]:
    """The Prometheus text and its content type (aggregated across processes under --workers N)."""
    registry = None
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client leaves it untyped
        registry.register(_StateCollector())  # scrape-time gauges are not in the per-process files
    return (generate_latest(registry) if registry else generate_latest()), CONTENT_TYPE_LATEST


def require_metrics_access(settings: Settings, authorization: str | None) -> None:
    """Let a scrape of the main port through: always in demo/dev, in production only with the metrics token.

    Metrics name tenants and routes, so production keeps them off the open port: present
    ``Authorization: Bearer <CREDITDESK_METRICS_TOKEN>``, or scrape the health port instead.
    """
    if settings.is_dev_like:
        return
    if settings.metrics_token is None:
        raise NotFound(
            "Metrics are not served on this port in production: "
            "set CREDITDESK_METRICS_TOKEN or scrape CREDITDESK_HEALTH_PORT"
        )
    expected = f"Bearer {settings.metrics_token.get_secret_value()}".encode()
    if not hmac.compare_digest((authorization or "").encode(), expected):
        raise Unauthorized("Metrics need Authorization: Bearer <CREDITDESK_METRICS_TOKEN>")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the ASGI application."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    db = init_database(settings.sqlalchemy_url, settings.region_databases)
    forget_tenants()  # a new app starts with empty per-process caches (tests rebuild databases under one slug)
    forget_api_keys()
    global _collector_registered
    if not _collector_registered:
        REGISTRY.register(_StateCollector())
        _collector_registered = True
    if record_unaudited_request not in before_commit_hooks:
        before_commit_hooks.append(record_unaudited_request)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        # The group-commit writer and the DB threads wake from I/O and need the GIL back promptly: with
        # the default 5 ms switch interval every round trip of theirs could wait 5 ms behind the loop.
        sys.setswitchinterval(settings.gil_switch_interval_ms / 1000)
        log.info("started", mode=settings.mode, database=db.engine.dialect.name, version=__version__)
        health = None
        if settings.health_port is not None:  # probes answered off the event loop (see kit/health.py)
            ready = partial(readiness, settings)
            health = HealthServer(settings.health_host, settings.health_port, ready, metrics_payload).start()
        embedded = is_embedded(settings)
        if embedded:  # in production `creditdesk worker` processes run the jobs
            start_worker(settings, TASK_REGISTRY, recover=True)
        monitoring_app.start(settings)  # periodic alert evaluation (claimed per tenant in the database)
        yield
        monitoring_app.stop()
        log.info("stopping")
        groupcommit.stop_all()  # flush decisions still queued for their commit
        if health is not None:
            health.stop()
        if embedded:
            stop_worker()

    app = FastAPI(
        # FastAPI's native OpenTelemetry would look up the global providers on every request; spans come
        # from our own instrumentation (setup_tracing), and only when a collector is configured
        telemetry={"tracing": False, "metrics": False, "logs": False},
        title="CreditDesk API",
        version=__version__,
        lifespan=lifespan,
        description="Explainable credit decisions, bureau pulls, model studio and portfolio monitoring.",
    )
    app.state.settings = settings
    install_error_handlers(app)
    openapi.install(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "X-API-Key",
                "Idempotency-Key",
                "X-CreditDesk-Client",
                "X-Request-ID",
            ],
        )
    if settings.tracing_enabled and otlp_endpoint():  # spans cost CPU only when someone collects them
        setup_tracing(app, db.engine, trace_sql=settings.trace_sql)
    # SQLite: a request that writes through its own session keeps the database lock across its thread
    # hops, so the thread pool must stay larger than the requests admitted at once (else lock waiters
    # could hold every thread while the lock holder waits for one). Decisions do not hold it (the
    # group-commit writer does their writes), and the rest wait in the admission queue, not in threads.
    if db.is_postgres:
        threads, in_flight = settings.threadpool_size, settings.max_in_flight
    else:
        threads, in_flight = max(settings.threadpool_size, 40), min(settings.max_in_flight, 32)
    app.add_middleware(JsonDepthMiddleware, max_depth=settings.max_json_depth)  # before any parser recurses
    app.add_middleware(
        AdmissionMiddleware,
        max_in_flight=in_flight,
        max_queue=settings.max_queue,
        queue_timeout=settings.queue_timeout_seconds,
    )
    app.add_middleware(
        RequestContextMiddleware, max_body_bytes=settings.max_body_bytes, max_upload_bytes=settings.max_upload_bytes
    )

    @app.get("/healthz", tags=["service"], operation_id="healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["service"], operation_id="readyz")
    def readyz() -> JSONResponse:
        """Readiness: the database (and broker/Redis when configured) answer."""
        status, body = readiness(settings)
        return JSONResponse(body, status_code=status)

    @app.get("/metrics", tags=["service"], include_in_schema=False)
    def metrics(request: Request) -> PlainTextResponse:
        """Prometheus metrics (aggregated across worker processes when serving with --workers N)."""
        require_metrics_access(settings, request.headers.get("authorization"))
        data, content_type = metrics_payload()
        return PlainTextResponse(data, media_type=content_type)

    app.include_router(api_router)
    monitoring_app.mount(app, settings)  # /embed/dashboards/{name}; the Power BI simulator in demo/dev mode
    mount_simulators(app, settings)  # the simulated bureaus under /simulators, in demo/dev mode only
    mount_esign_simulator(app, settings)  # the simulated e-sign service under /simulators/esign, dev/demo
    mount_payment_simulator(app, settings)  # the simulated payment gateway under /simulators/payments, dev/demo
    mount_channel_simulators(app, settings)  # the simulated SMS, WhatsApp and voice providers, dev/demo
    mount_kyc_simulator(app, settings)  # the simulated KYC provider (PAN verification, Aadhaar e-KYC), dev/demo
    __import__("creditdesk.web").web.mount_web(app)  # the web portal: built bundle at / with SPA fallback
    return app
