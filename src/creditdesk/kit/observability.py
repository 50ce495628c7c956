"""Tracing (OpenTelemetry) and log hygiene (masking PANs, phone numbers and secrets).

Every request has a trace id (returned in error bodies and bound to log lines): the caller's W3C
``traceparent`` when it sends one, else a fresh one. OpenTelemetry spans are recorded and exported
over OTLP/HTTP only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``CREDITDESK_OTLP_ENDPOINT``) is set —
without a collector, tracing costs a contextvar per request and nothing more.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar
from typing import Any

from opentelemetry import trace
from structlog.typing import EventDict

from creditdesk.db import new_hex_id

_PAN = re.compile(r"\b([A-Z]{3})[ABCFGHLJPTK]([A-Z])(\d{4})([A-Z])\b")
_PHONE = re.compile(r"(?<![0-9A-Za-z])(\+?91[- ]?)?([6-9]\d{9})(?![0-9A-Za-z])")
_SECRET_KEYS = re.compile(r"pass(word)?|secret|token|api[_-]?key|authorization|credential", re.I)
_tracing_ready = False
_request_trace_id: ContextVar[str | None] = ContextVar("creditdesk_trace_id", default=None)
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")


def otlp_endpoint() -> str | None:
    """The OTLP collector spans go to, if one is configured."""
    return os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("CREDITDESK_OTLP_ENDPOINT")


def begin_request_trace(traceparent: bytes | None) -> str:
    """Bind this request's trace id (the caller's ``traceparent`` if valid, else a new one) and return it."""
    match = _TRACEPARENT.match(traceparent.decode("latin-1")) if traceparent else None
    trace_id = match.group(1) if match and match.group(1) != "0" * 32 else new_hex_id()
    _request_trace_id.set(trace_id)
    return trace_id


def mask_text(value: str) -> str:
    """Mask PANs (keep the last 2 characters) and Indian mobile numbers (keep the last 4 digits)."""
    value = _PAN.sub(lambda m: "XXXXXXX" + m.group(3)[-1] + m.group(4), value)
    return _PHONE.sub(lambda m: "XXXXXX" + m.group(2)[-4:], value)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: ("[redacted]" if _SECRET_KEYS.search(str(k)) else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def scrub_processor(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: redact secret-named keys, mask PANs and phone numbers everywhere."""
    return {k: ("[redacted]" if _SECRET_KEYS.search(k) and k != "event" else _scrub(v)) for k, v in event_dict.items()}


def trace_processor(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: add the current trace (and span, when OpenTelemetry records one) ids."""
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event_dict.setdefault("trace_id", format(ctx.trace_id, "032x"))
        event_dict.setdefault("span_id", format(ctx.span_id, "016x"))
    elif trace_id := _request_trace_id.get():
        event_dict.setdefault("trace_id", trace_id)
    return event_dict


def current_trace_id() -> str | None:
    """Return the current trace id as hex, if any."""
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else _request_trace_id.get()


def setup_tracing(app: Any, engine: Any, *, service_name: str = "creditdesk", trace_sql: bool = False) -> None:
    """Install the tracer provider once per process and instrument FastAPI, SQLAlchemy and httpx."""
    global _tracing_ready
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor  # noqa: PLC0415 - only when a collector is configured: instrumentation costs ~0.1 s at start-up
    from opentelemetry.sdk.resources import Resource  # noqa: PLC0415 - as above
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415 - as above

    if not _tracing_ready:
        provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        endpoint = otlp_endpoint()
        if endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: PLC0415 - as above
            from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: PLC0415 - as above

            provider.add_span_processor(
                BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces"))
            )
        trace.set_tracer_provider(provider)
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor  # noqa: PLC0415 - as above

        HTTPXClientInstrumentor().instrument()
        _tracing_ready = True
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor  # noqa: PLC0415 - as above

    if trace_sql:
        SQLAlchemyInstrumentor().instrument(engine=engine)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")
