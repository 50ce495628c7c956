"""What every bureau connector shares: its configuration, the resilient send, error mapping.

Connectors are synchronous (``httpx.Client``); :func:`creditdesk.bureaus.pull.pull_reports` runs them
in a thread pool to pull several bureaus in parallel. ``endpoint_url`` is the bureau's API *base*
URL; each connector appends its own paths. Redirects are never followed (a redirect to an internal
address would defeat the SSRF check on the configured URL).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from creditdesk.bureaus.connectors._wire import Malformed
from creditdesk.bureaus.errors import (
    BureauAuthError,
    BureauBadResponse,
    BureauCircuitOpen,
    BureauConfigError,
    BureauError,
    BureauRequestRejected,
    BureauUnavailable,
)
from creditdesk.bureaus.schemas import BUREAU_SECRET_FIELDS, BureauName, BureauReport
from creditdesk.kit.resilience import (
    CircuitOpenError,
    ResilientCaller,
    ResponseTooLarge,
    UpstreamServerError,
)

BUREAU_LABELS: dict[str, str] = {"cibil": "CIBIL", "experian": "Experian", "crif": "CRIF High Mark"}
USER_AGENT = "CreditDesk bureau connector"


class BureauConfig(BaseModel):
    """A tenant's configuration for one bureau, secrets decrypted (held as ``SecretStr``).

    Built by the service layer from the stored config — the same shape as the §5 PUT body plus the
    bureau's name. ``repr``/``model_dump`` never show the secrets.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    bureau: BureauName
    enabled: bool = True
    endpoint_url: str
    member_id: str = Field(min_length=1)
    credentials: dict[str, SecretStr] = Field(default_factory=dict)
    timeout_ms: int = Field(default=5000, ge=1, le=120_000)
    rate_limit: str | None = Field(default=None, description='Per (tenant, bureau), e.g. "60/minute"')

    @field_validator("endpoint_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        if not value.lower().startswith(("http://", "https://")):
            raise ValueError("endpoint_url must be an http(s) URL")
        return value.rstrip("/")

    def secret(self, name: str) -> str:
        """Return the plain value of credential ``name`` ('' when absent)."""
        value = self.credentials.get(name)
        return value.get_secret_value() if value is not None else ""


class ConnectionCheck(BaseModel):
    """The answer of a bureau connection test (§5 ``POST …/bureaus/{bureau}/test``)."""

    ok: bool
    latency_ms: int
    error: str | None = None


class BureauConnector(ABC):
    """One bureau's client: builds its wire requests, sends them resiliently, parses the answers."""

    bureau: ClassVar[BureauName]

    def __init__(
        self,
        config: BureauConfig,
        *,
        tenant_id: str = "-",
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        caller: ResilientCaller | None = None,
    ) -> None:
        if config.bureau != self.bureau:
            raise BureauConfigError(self.bureau, f"a {config.bureau} configuration was given to {self.label}")
        missing = [name for name in BUREAU_SECRET_FIELDS[self.bureau] if not config.secret(name)]
        if missing:
            raise BureauConfigError(self.bureau, f"{self.label} credentials are missing: {', '.join(missing)}")
        self.config = config
        self.tenant_id = tenant_id
        self._owns_client = client is None
        self._client = client or httpx.Client(transport=transport, follow_redirects=False)
        self._caller = caller or ResilientCaller()
        self._timeout = httpx.Timeout(config.timeout_ms / 1000)

    @property
    def label(self) -> str:
        """The bureau's display name."""
        return BUREAU_LABELS[self.bureau]

    @abstractmethod
    def fetch_report(self, pan: str, applicant: Mapping[str, Any] | None = None) -> BureauReport:
        """Pull and normalise the report on ``pan``; raise a BureauError subclass on any failure."""

    @abstractmethod
    def _ping(self) -> None:
        """Make the cheapest authenticated call the bureau offers; raise BureauError on failure."""

    def test_connection(self) -> ConnectionCheck:
        """Check endpoint and credentials with a real call; never raises.

        The test bypasses the circuit breaker: it is an operator's diagnostic, so an open breaker must
        not hide whether the bureau answers now, and a failing test must not trip production calls.
        """
        started = time.perf_counter()
        error: str | None = None
        try:
            self._ping()
        except BureauError as exc:
            error = str(exc)
        except Exception as exc:  # a connector bug must still give the operator an answer
            error = f"{self.label} connection test failed unexpectedly ({exc.__class__.__name__})"
        return ConnectionCheck(ok=error is None, latency_ms=_ms_since(started), error=error)

    def close(self) -> None:
        """Close the HTTP client if this connector created it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> BureauConnector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- helpers for subclasses -------------------------------------------------------------------

    def _send(self, method: str, path: str, *, breaker: bool = True, **kwargs: Any) -> httpx.Response:
        """Send one request through the resilient caller, mapping failures to BureauErrors."""
        headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
        request = self._client.build_request(
            method, self.config.endpoint_url + path, headers=headers, timeout=self._timeout, **kwargs
        )
        key = (self.tenant_id, self.bureau) if breaker else None
        attempts = self._caller.retry.attempts
        try:
            return self._caller.send(self._client, request, key=key)
        except CircuitOpenError as exc:
            raise BureauCircuitOpen(
                self.bureau,
                f"{self.label} calls are suspended after repeated failures (circuit open; "
                f"retry in {exc.retry_in_s:.0f} s)",
            ) from exc
        except UpstreamServerError as exc:
            raise BureauUnavailable(
                self.bureau, f"{self.label} answered HTTP {exc.status_code} ({attempts} attempt(s))"
            ) from exc
        except httpx.TimeoutException as exc:
            raise BureauUnavailable(
                self.bureau,
                f"{self.label} did not answer within {self.config.timeout_ms} ms ({attempts} attempt(s))",
            ) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise BureauUnavailable(
                self.bureau, f"could not reach {self.label} ({exc.__class__.__name__}: {exc})"[:300]
            ) from exc
        except ResponseTooLarge as exc:
            raise BureauBadResponse(self.bureau, f"{self.label} sent an oversized response ({exc})") from exc
        except httpx.HTTPError as exc:
            raise BureauConfigError(
                self.bureau, f"cannot call {self.label} at the configured endpoint ({exc.__class__.__name__})"
            ) from exc

    def _check_status(self, response: httpx.Response, describe: Callable[[httpx.Response], str | None]) -> None:
        """Raise the BureauError for a non-2xx answer; ``describe`` extracts the bureau's own message."""
        status = response.status_code
        if 200 <= status < 300:
            return
        try:
            detail = describe(response)
        except Exception:  # the error body itself may be garbage
            detail = None
        suffix = f": {detail[:200]}" if detail else ""
        if status in (401, 403):
            raise BureauAuthError(self.bureau, f"{self.label} rejected the credentials (HTTP {status}{suffix})")
        if 300 <= status < 400:
            raise BureauBadResponse(self.bureau, f"{self.label} answered with an unexpected redirect ({status})")
        raise BureauRequestRejected(self.bureau, f"{self.label} refused the request (HTTP {status}{suffix})")

    @contextmanager
    def _parsing(self, what: str = "report") -> Iterator[None]:
        """Turn any parsing or validation failure inside the block into BureauBadResponse."""
        try:
            yield
        except BureauError:
            raise
        except Malformed as exc:
            raise BureauBadResponse(self.bureau, f"{self.label} sent a malformed {what}: {exc}") from exc
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "report"
            raise BureauBadResponse(
                self.bureau, f"{self.label} sent an invalid {what}: {where}: {first['msg']}"
            ) from exc
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            raise BureauBadResponse(
                self.bureau, f"{self.label} sent an unexpected {what} ({exc.__class__.__name__})"
            ) from exc


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def applicant_name(applicant: Mapping[str, Any] | None) -> tuple[str, str]:
    """Split the applicant's name into (first, last) for formats that want both."""
    name = str((applicant or {}).get("name") or "").strip()
    first, _, last = name.partition(" ")
    return first, last.strip()
