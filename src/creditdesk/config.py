"""The one settings class. Every knob is an environment variable prefixed ``CREDITDESK_``.

Security invariant: in ``production`` mode the process refuses to start unless the JWT key and the
encryption keys are given explicitly and are not the documented placeholders. In ``demo`` and
``dev`` modes missing keys are generated once into ``<data_dir>/secrets.json`` (mode 0600) so that
restarts keep sessions and encrypted data readable.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev", "test"}
#: a data region's name (docs/data-residency.md)
REGION_PATTERN = r"^[a-z][a-z0-9-]{0,31}$"
#: the region one database serves when CREDITDESK_REGION_DATABASES is not set
DEFAULT_REGION = "default"
MAX_REGIONS = 32


class ConfigError(RuntimeError):
    """Raised when the configuration is unsafe or incomplete."""


class Settings(BaseSettings):
    """Runtime configuration; see docs/operations.md for every variable."""

    model_config = SettingsConfigDict(env_prefix="CREDITDESK_", extra="ignore")

    mode: Literal["production", "dev", "demo"] = "production"
    data_dir: Path = Path("var")
    database_url: str | None = None
    # data residency (docs/data-residency.md): JSON {"region": "postgresql+psycopg://…"}; when set, database_url
    # is the catalogue (tenants, users, the region map) and each tenant's data lives in its region's database.
    # Unset: one database serves every region.
    region_databases: dict[str, str] = Field(default_factory=dict)
    broker_url: str | None = None
    redis_url: str | None = None

    jwt_secret: SecretStr | None = None
    # "kid1:base64key,kid2:base64key" — the first key encrypts, all keys decrypt (rotation).
    encryption_keys: SecretStr | None = None

    access_token_minutes: int = Field(default=15, gt=0)
    refresh_token_days: int = Field(default=7, gt=0)
    login_max_failures: int = Field(default=5, gt=0)
    lockout_minutes: int = Field(default=15, gt=0)
    # Argon2id cost; the defaults follow OWASP guidance. Tests lower them for speed.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536

    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1_048_576, gt=0)
    max_upload_bytes: int = Field(default=25 * 1_048_576, gt=0)
    # how deep a JSON request body or uploaded JSON file may nest (parsers recurse once per level)
    max_json_depth: int = Field(default=64, ge=8, le=200)
    max_batch_rows: int = Field(default=50_000, gt=0)
    page_limit_max: int = Field(default=500, gt=0)

    # load protection and observability
    rate_limit_per_tenant: str = "6000/minute"
    rate_limit_per_api_key: str = "3000/minute"
    max_in_flight: int = Field(default=256, gt=0)
    # requests beyond max_in_flight wait (without a thread) in a FIFO queue of this size, for at most
    # queue_timeout_seconds; only beyond it are they refused with 503 + Retry-After
    max_queue: int = Field(default=2048, ge=0)
    queue_timeout_seconds: float = Field(default=10.0, ge=0)
    # threads running sync routes and dependencies per process. Keep it above the requests that can wait
    # on each other's row locks: a request holding locks needs a free thread to commit.
    threadpool_size: int = Field(default=40, gt=0)
    # a second listener for /healthz and /readyz on its own thread (answered while the event loop is busy);
    # off unless set — point liveness/readiness probes at it in production
    health_port: int | None = None
    health_host: str = "127.0.0.1"
    # /metrics names tenants: in production the main port serves it only to `Authorization: Bearer
    # <metrics_token>`; the health port (above) serves it too. Open in demo/dev mode.
    metrics_token: SecretStr | None = None
    # how often (ms) the interpreter hands the GIL to a waiting thread (Python's default is 5 ms)
    gil_switch_interval_ms: float = 0.5
    # how long an idle keep-alive connection stays open (s): longer than a load balancer's idle timeout
    # (often 60 s), so the balancer never sends a request on a connection the server is closing
    keep_alive_seconds: int = Field(default=75, gt=0)
    tracing_enabled: bool = True
    trace_sql: bool = False  # a span per SQL statement: useful when debugging, costly on the hot path

    # monitoring: how often alerts are evaluated for every tenant (seconds)
    monitoring_interval_seconds: float = Field(default=3600.0, gt=0)

    # background jobs
    worker_threads: int = Field(default=2, gt=0)
    job_lease_seconds: int = Field(default=60, gt=0)
    job_min_backoff_ms: int = Field(default=1000, ge=0)
    job_max_backoff_ms: int = Field(default=60_000, gt=0)
    outbox_poll_seconds: float = Field(default=1.0, gt=0)

    demo_password: SecretStr = SecretStr("creditdesk-demo-2026")
    demo_tenant_slug: str = "demo-nbfc"
    default_timezone: str = "Asia/Kolkata"
    log_level: str = "INFO"
    allow_private_endpoints: bool = False

    # bureau integrations: the URL this server is reached at (demo bureau configs point at its
    # simulators; `serve` sets it from --host/--port) and the resilient client's knobs
    public_base_url: str | None = None
    bureau_timeout_ms: int = Field(default=5000, gt=0)
    bureau_retry_attempts: int = Field(default=3, gt=0)
    bureau_retry_wait_ms: int = Field(default=200, ge=0)
    bureau_breaker_fail_max: int = Field(default=5, gt=0)
    bureau_breaker_reset_seconds: float = Field(default=30.0, gt=0)
    bureau_rate_limit: str = "600/minute"
    bureau_cache_ttl_seconds: int = Field(default=86400, gt=0)

    # sign-in throttling (issue 12): attempts per client address on POST /auth/token and /auth/refresh;
    # after the second failed sign-in for one (account, address) the next attempt from that address waits
    # login_backoff_seconds × 2^(failures − 2), at most login_backoff_max_seconds (429 + Retry-After);
    # login_max_failures failures lock the account for lockout_minutes *from that address only*.
    # The client address is the TCP peer; X-Forwarded-For counts only from the proxies uvicorn trusts
    # (FORWARDED_ALLOW_IPS, default 127.0.0.1).
    login_rate_limit_per_ip: str = "30/minute"
    refresh_rate_limit_per_ip: str = "120/minute"
    login_backoff_seconds: float = Field(default=1.0, ge=0)
    login_backoff_max_seconds: float = Field(default=60.0, ge=0)
    # failed sign-ins for this many distinct accounts from one address within lockout_minutes = spraying
    login_spraying_accounts: int = Field(default=5, gt=0)

    # borrower sign-in by one-time code (docs/borrowers.md): codes asked for per phone number (all tenants
    # together: nobody can flood one phone) and per client address (429 + Retry-After beyond them), code checks
    # per client address, and the least time a code request takes — the same for a phone number, or a lender,
    # that is not known, so the answer's timing does not tell either (0 turns it off)
    borrower_otp_rate_limit_per_phone: str = "3/10 minutes"
    borrower_otp_rate_limit_per_ip: str = "20/hour"
    borrower_verify_rate_limit_per_ip: str = "100/hour"
    borrower_otp_min_response_ms: int = Field(default=250, ge=0, le=5000)

    # knock-out rule cost bounds (issue 12): checked when a policy is saved — one rule / all rules on the sample
    # applications, in CPU milliseconds (a whole decision costs about 1.2 ms of server CPU;
    # benchmarks/noisy_neighbour.py measures what these bounds let one tenant do to another) — and, on every
    # decision, a CPU budget for its rules: rules left when it is spent send the application to Review. The
    # run-time budget is wider than the save-time one: it stops what samples cannot show (data-dependent work,
    # rules stored before the bounds), not ordinary policies.
    policy_max_rules: int = Field(default=50, gt=0)
    policy_rule_max_chars: int = Field(default=500, gt=0)
    policy_rule_max_depth: int = Field(default=8, gt=0)
    policy_rule_max_elements: int = Field(default=1000, gt=0)
    policy_rule_trial_ms: float = Field(default=0.5, ge=0)
    policy_rules_trial_ms: float = Field(default=1.0, ge=0)
    policy_decision_budget_ms: float = Field(default=5.0, ge=0)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    @property
    def is_dev_like(self) -> bool:
        """True in demo and dev modes, where simulators and generated secrets are allowed."""
        return self.mode in ("demo", "dev")

    @property
    def data_regions(self) -> tuple[str, ...]:
        """The regions a tenant may be placed in: the configured ones, or ``default`` alone."""
        return tuple(self.region_databases) or (DEFAULT_REGION,)

    def _region_problems(self) -> list[str]:
        if not self.region_databases:
            return []
        problems = []
        if len(self.region_databases) > MAX_REGIONS:
            problems.append(f"at most {MAX_REGIONS} regions")
        for name, url in self.region_databases.items():
            if not re.fullmatch(REGION_PATTERN, name):
                problems.append(f"region name {name[:40]!r}: lowercase letters, digits and hyphens, at most 32")
            if not isinstance(url, str) or not url.startswith("postgresql"):
                problems.append(f"region {name[:40]!r}: a PostgreSQL URL")
        if not (self.database_url or "").startswith("postgresql"):
            problems.append("CREDITDESK_DATABASE_URL (the catalogue) must be PostgreSQL too")
        return problems

    @property
    def own_base_url(self) -> str:
        """This server's base URL as its simulators and callbacks reach it: ``public_base_url`` or the default port."""
        return (self.public_base_url or "http://127.0.0.1:8000").rstrip("/")

    @property
    def sqlalchemy_url(self) -> str:
        """Return the database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'creditdesk.db').resolve()}"

    def jwt_key(self) -> str:
        """Return the JWT signing key (never logged)."""
        assert self.jwt_secret is not None, "settings not finalised"
        return self.jwt_secret.get_secret_value()

    def encryption_keyring(self) -> list[tuple[str, bytes]]:
        """Return [(key_id, 32-byte key), ...]; the first entry is the active key."""
        assert self.encryption_keys is not None, "settings not finalised"
        ring: list[tuple[str, bytes]] = []
        for part in self.encryption_keys.get_secret_value().split(","):
            kid, _, b64 = part.strip().partition(":")
            key = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
            if not kid or len(key) != 32:
                raise ConfigError("CREDITDESK_ENCRYPTION_KEYS must be 'kid:base64(32 bytes)' entries")
            ring.append((kid, key))
        return ring

    def finalise(self) -> Settings:
        """Fill generated secrets in dev/demo mode, refuse unsafe configuration in production."""
        if self.is_dev_like:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            stored = _load_or_create_local_secrets(self.data_dir / "secrets.json")
            if self.jwt_secret is None:
                self.jwt_secret = SecretStr(stored["jwt_secret"])
            if self.encryption_keys is None:
                self.encryption_keys = SecretStr(stored["encryption_keys"])
        else:
            problems = []
            if self.jwt_secret is None or self.jwt_secret.get_secret_value() in PLACEHOLDER_SECRETS:
                problems.append("CREDITDESK_JWT_SECRET")
            elif len(self.jwt_secret.get_secret_value()) < 32:
                problems.append("CREDITDESK_JWT_SECRET (must be at least 32 characters)")
            if self.encryption_keys is None or self.encryption_keys.get_secret_value() in PLACEHOLDER_SECRETS:
                problems.append("CREDITDESK_ENCRYPTION_KEYS")
            if problems:
                raise ConfigError(
                    "Refusing to start in production mode without explicit secrets: "
                    + ", ".join(problems)
                    + ". Generate them with `creditdesk keys generate`, or use --demo for a local demo."
                )
        self.encryption_keyring()  # validates the format
        if problems := self._region_problems():
            raise ConfigError("CREDITDESK_REGION_DATABASES: " + "; ".join(problems))
        return self


def generate_encryption_key(kid: str | None = None) -> str:
    """Return a fresh 'kid:base64key' entry for CREDITDESK_ENCRYPTION_KEYS."""
    kid = kid or "k" + secrets.token_hex(3)
    return f"{kid}:{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip('=')}"


def _load_or_create_local_secrets(path: Path) -> dict[str, str]:
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        return stored
    data = {"jwt_secret": secrets.token_urlsafe(48), "encryption_keys": generate_encryption_key("k1")}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
    return data


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, finalised once."""
    return Settings().finalise()


T = TypeVar("T")


def per_settings(build: Callable[[Settings], T]) -> Callable[[], T]:
    """A process-wide object built from the settings (a throttle, a runtime), built again when the settings
    object changes (tests swap settings); the usual call takes no lock."""
    current: list[tuple[Settings, T]] = []
    lock = threading.Lock()

    def get() -> T:
        settings = get_settings()
        held = current[0] if current else None
        if held is not None and held[0] is settings:
            return held[1]
        with lock:
            if not current or current[0][0] is not settings:
                current[:] = [(settings, build(settings))]
            return current[0][1]

    return get
