"""structlog JSON logs for every logger (structlog and stdlib alike).

One format: every line the server writes — its own events, uvicorn's start-up, error and shutdown
lines, Dramatiq's, httpx's, the CLI's start-up notices — is one JSON object on stderr. Lines logged
while a request is served carry its ``request_id`` and, on a tenant route (``…/tenants/{tenant}/…``),
the tenant the request addresses, whoever the caller is (a platform user has no tenant of its own).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from contextvars import ContextVar, Token
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor

from creditdesk.kit.observability import scrub_processor, trace_processor

_request_scope: ContextVar[MutableMapping[str, Any] | None] = ContextVar("creditdesk_request_scope", default=None)


def bind_request_scope(scope: MutableMapping[str, Any]) -> Token[MutableMapping[str, Any] | None]:
    """Let this request's log lines read its route parameters (filled in once the router matched)."""
    return _request_scope.set(scope)


def unbind_request_scope(token: Token[MutableMapping[str, Any] | None]) -> None:
    """Forget the request bound by :func:`bind_request_scope`."""
    _request_scope.reset(token)


def route_tenant_processor(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: name the tenant of a tenant route's path when the line has none (platform callers)."""
    if event_dict.get("tenant") is None and (scope := _request_scope.get()) is not None:
        slug = (scope.get("path_params") or {}).get("tenant")
        if slug:
            event_dict["tenant"] = slug
    return event_dict


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send JSON lines to stderr (or ``stream``) with timestamp, level, logger and the bound request context."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        route_tenant_processor,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        trace_processor,
        scrub_processor,
    ]
    structlog.configure(
        # filter first: a line below the level costs one check, not the whole chain (masking, timestamps)
        processors=[structlog.stdlib.filter_by_level, *shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's loggers reach the root handler (serve passes log_config=None); requests are logged by
    # RequestContextMiddleware as "request" lines, so uvicorn's own access lines stay off
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers[:] = []
        uvicorn_logger.propagate = True
        uvicorn_logger.setLevel(logging.WARNING if name == "uvicorn.access" else logging.NOTSET)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # "setup plugin …" at every start
