"""A tenant's bureau configurations: the credential store, connection tests, which bureaus are on.

Security invariants:
- A secret is encrypted (:data:`~creditdesk.bureaus.models.BUREAU_CREDENTIALS`, a registered sealed
  field bound to ``<tenant_id>/<bureau>/<field>``) before it reaches the session; it is decrypted
  only to make a bureau call and lives in memory, inside ``BureauConfig`` as a ``SecretStr``, for
  that call only.
- A secret leaves this module only redacted (``kit.crypto.redact``: at most its last 4 characters);
  audit events name the fields that changed, never their values; nothing here logs a secret.
- Outside demo/dev mode an endpoint must reach a public address (see :mod:`creditdesk.kit.ssrf`),
  checked when saved and again before every call.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.audit.service import Actor
from creditdesk.bureaus.connectors import BureauConfig, ConnectionCheck, make_connector
from creditdesk.bureaus.connectors.base import BUREAU_LABELS
from creditdesk.bureaus.errors import BureauConfigError, BureauError
from creditdesk.bureaus.models import BUREAU_CREDENTIALS, BureauConfigRecord
from creditdesk.bureaus.pull import invalidate_reports
from creditdesk.bureaus.runtime import BureauRuntime, get_runtime
from creditdesk.bureaus.schemas import BUREAU_SECRET_FIELDS, BUREAUS, BureauName
from creditdesk.bureaus.schemas_api import BureauConfigList, BureauConfigRead, BureauConfigUpdate, ConnectionTestRead
from creditdesk.config import Settings, get_settings
from creditdesk.db import utcnow
from creditdesk.errors import Conflict, NotFound, ValidationFailed
from creditdesk.kit.crypto import DecryptionError
from creditdesk.kit.resilience import ResilientCaller
from creditdesk.kit.ssrf import UnsafeEndpoint, check_endpoint, check_url_shape
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import select_owned


class InvalidField(ValidationFailed):
    """A field failed a check the schema cannot express; rendered exactly like a schema 422."""

    def __init__(self, field_path: str, message: str, kind: str = "value_error") -> None:
        super().__init__(
            f"{field_path}: {message}", extra={"fields": [{"field": field_path, "message": message, "type": kind}]}
        )

    @property
    def name(self) -> str:
        return "ValidationError"


def actor_label(actor: Actor) -> str:
    """Name an actor for ``updated_by``: the e-mail of a user, the name of an API key, else its type."""
    return actor.email or getattr(actor, "name", None) or actor.actor_type


def checked_endpoint(url: str, settings: Settings) -> str:
    """Return the endpoint URL if this deployment may call it; raise UnsafeEndpoint otherwise."""
    if settings.is_dev_like:  # the built-in simulators live on this very host
        return check_url_shape(url)
    return check_endpoint(url, allow_private=settings.allow_private_endpoints)


def find_config(session: Session, *, tenant_id: str, bureau: str) -> BureauConfigRecord | None:
    """Return the tenant's stored configuration of ``bureau``, if any."""
    stmt = select_owned(BureauConfigRecord, tenant_id).where(BureauConfigRecord.bureau == bureau)
    return session.execute(stmt).scalar_one_or_none()


def _read(bureau: BureauName, record: BureauConfigRecord | None, settings: Settings) -> BureauConfigRead:
    fields = BUREAU_SECRET_FIELDS[bureau]
    if record is None:
        return BureauConfigRead(
            bureau=bureau,
            configured=False,
            enabled=False,
            endpoint_url=None,
            member_id=None,
            credentials=dict.fromkeys(fields),
            timeout_ms=settings.bureau_timeout_ms,
            updated_at=None,
            updated_by=None,
        )
    return BureauConfigRead(
        bureau=bureau,
        configured=True,
        enabled=record.enabled,
        endpoint_url=record.endpoint_url,
        member_id=record.member_id,
        credentials={name: BUREAU_CREDENTIALS.redacted(record, name) for name in fields},
        timeout_ms=record.timeout_ms,
        updated_at=record.updated_at,
        updated_by=record.updated_by,
    )


def forget_runtime_state(*, tenant_id: str, bureau: str, runtime: BureauRuntime | None = None) -> None:
    """Drop the cached reports and close the breaker of (tenant, bureau): its configuration changed."""
    runtime = runtime or get_runtime()
    invalidate_reports(runtime.cache, tenant_id=tenant_id, bureau=bureau)
    runtime.breakers.reset(tenant_id, bureau)
    _enabled.pop(tenant_id, None)


def _decrypted_credentials(record: BureauConfigRecord) -> dict[str, str]:
    """The stored secrets of ``record`` in clear; BureauConfigError when one cannot be decrypted."""
    credentials: dict[str, str] = {}
    for name in BUREAU_SECRET_FIELDS[record.bureau]:
        try:
            value = BUREAU_CREDENTIALS.open(record, name)
        except DecryptionError:
            raise BureauConfigError(
                record.bureau,
                f"the stored {BUREAU_LABELS[record.bureau]} {name} cannot be decrypted (its encryption key is "
                "no longer configured); enter it again",
            ) from None
        if value:
            credentials[name] = value
    return credentials


def runtime_config(record: BureauConfigRecord, *, settings: Settings, even_if_disabled: bool = False) -> BureauConfig:
    """Build the connector configuration of a stored record, secrets decrypted (in memory only).

    A disabled record gives a disabled configuration without secrets, unless ``even_if_disabled``
    (the connection test checks the stored values before the bureau is switched on).

    Raises BureauConfigError with a readable reason when a secret cannot be decrypted or the endpoint
    is no longer acceptable (e.g. its host now resolves to a private address).
    """
    config: dict[str, Any] = {
        "bureau": record.bureau,
        "enabled": False,
        "endpoint_url": record.endpoint_url,
        "member_id": record.member_id,
        "timeout_ms": record.timeout_ms,
    }
    if record.enabled or even_if_disabled:
        try:
            endpoint = checked_endpoint(record.endpoint_url, settings)
        except UnsafeEndpoint as exc:
            raise BureauConfigError(record.bureau, f"{BUREAU_LABELS[record.bureau]} endpoint refused: {exc}") from None
        config |= {"enabled": True, "endpoint_url": endpoint, "credentials": _decrypted_credentials(record)}
    return BureauConfig.model_validate(config)


# -- the credential store ------------------------------------------------------------------------------


def list_configs(session: Session, *, tenant: Tenant) -> BureauConfigList:
    """Return one entry per bureau (unconfigured ones disabled), secrets redacted."""
    settings = get_settings()
    records = {r.bureau: r for r in session.execute(select_owned(BureauConfigRecord, tenant.id)).scalars()}
    return BureauConfigList(items=[_read(b, records.get(b), settings) for b in BUREAUS])


def _plain(value: object) -> str:
    """A credential as sent (``SecretValue`` holds a SecretStr) in clear."""
    return value.get_secret_value() if isinstance(value, SecretStr) else str(value)


def _checked_update(bureau: str, data: BureauConfigUpdate, settings: Settings) -> tuple[dict[str, str], dict[str, Any]]:
    """Phase 1 — check the request: (the secrets given, in clear; the other fields to change)."""
    label, allowed = BUREAU_LABELS[bureau], BUREAU_SECRET_FIELDS[bureau]
    given = {name: value for name, value in (data.credentials or {}).items() if value is not None}
    for name in data.credentials or {}:
        if name not in allowed:
            raise InvalidField(
                f"body.credentials.{name}",
                f"{label} has no credential '{name}'; its credentials are {', '.join(allowed)}",
                "extra_forbidden",
            )
    changes = {k: v for k, v in data.model_dump(exclude_unset=True, exclude={"credentials"}).items() if v is not None}
    if "endpoint_url" in changes:
        try:
            changes["endpoint_url"] = checked_endpoint(changes["endpoint_url"], settings)
        except UnsafeEndpoint as exc:
            raise InvalidField("body.endpoint_url", f"endpoint_url {exc}") from None
    return {name: _plain(value) for name, value in given.items()}, changes


def _new_record(tenant: Tenant, bureau: str, changes: Mapping[str, Any], settings: Settings) -> BureauConfigRecord:
    """Phase 2 (first configuration) — a record needs an endpoint and a member id to exist."""
    for required in ("endpoint_url", "member_id"):
        if required not in changes:
            raise InvalidField(f"body.{required}", f"required to configure {BUREAU_LABELS[bureau]}", "missing")
    return BureauConfigRecord(
        tenant_id=tenant.id,
        bureau=bureau,
        enabled=True,
        endpoint_url=changes["endpoint_url"],
        member_id=changes["member_id"],
        secrets={},
        timeout_ms=settings.bureau_timeout_ms,
    )


def _apply_fields(record: BureauConfigRecord, changes: Mapping[str, Any], *, created: bool) -> list[str]:
    """Phase 3 — set the plain fields; return the names of those that changed."""
    changed = [name for name, value in changes.items() if created or getattr(record, name) != value]
    for name, value in changes.items():
        setattr(record, name, value)
    return changed


def _apply_secrets(record: BureauConfigRecord, given: Mapping[str, str]) -> list[str]:
    """Phase 4 — seal the secrets that differ from the stored ones; return their names."""
    changed = BUREAU_CREDENTIALS.update_map(record, given)
    missing = [name for name in BUREAU_SECRET_FIELDS[record.bureau] if not (record.secrets or {}).get(name)]
    if record.enabled and missing:
        raise InvalidField(
            f"body.credentials.{missing[0]}",
            f"required to enable {BUREAU_LABELS[record.bureau]} (no value is stored yet)",
            "missing",
        )
    return changed


def _save_change(
    session: Session, record: BureauConfigRecord, *, actor: Actor, created: bool, changed: list[str], secrets: list[str]
) -> None:
    """Phase 5 — stamp, flush (a concurrent first configuration is a 409), audit, forget runtime state."""
    record.updated_at = utcnow()
    record.updated_by = actor_label(actor)
    try:
        session.flush()
    except IntegrityError:  # two first configurations of the same bureau at once
        label = BUREAU_LABELS[record.bureau]
        raise Conflict(f"{label} was configured by another request at the same time; try again") from None
    audit.record(
        session,
        actor=actor,
        action="bureau.configured" if created else "bureau.updated",
        tenant_id=record.tenant_id,
        resource_type="bureau_config",
        resource_id=record.id,
        details={"bureau": record.bureau, "changed": changed, "secrets_changed": secrets},
    )
    forget_runtime_state(tenant_id=record.tenant_id, bureau=record.bureau)


def update_config(
    session: Session, *, tenant: Tenant, bureau: BureauName, data: BureauConfigUpdate, actor: Actor
) -> BureauConfigRead:
    """Create or change a tenant's configuration of one bureau; an omitted (or null) secret keeps its value.

    Refuses (422, naming the field) credential fields the bureau does not have, an endpoint this
    deployment may not call, and an enabled configuration without every secret. On any change the
    bureau's cached reports are dropped and its circuit breaker closed.
    """
    settings = get_settings()
    given, changes = _checked_update(bureau, data, settings)
    record = find_config(session, tenant_id=tenant.id, bureau=bureau)
    created = record is None
    if record is None:
        record = _new_record(tenant, bureau, changes, settings)
        session.add(record)
    changed = _apply_fields(record, changes, created=created)
    secrets_changed = _apply_secrets(record, given)
    if created or changed or secrets_changed:
        _save_change(session, record, actor=actor, created=created, changed=changed, secrets=secrets_changed)
    return _read(bureau, record, settings)


def check_connection(session: Session, *, tenant: Tenant, bureau: str, actor: Actor) -> ConnectionTestRead:
    """Call the bureau with the stored credentials and say whether it answered, how fast, or why not.

    The test bypasses the circuit breaker (an operator's diagnostic must see the bureau as it is now)
    and works on a disabled configuration too (test before enabling). 404 when never configured.
    """
    record = find_config(session, tenant_id=tenant.id, bureau=bureau)
    if record is None:
        raise NotFound(f"{BUREAU_LABELS[bureau]} is not configured for this tenant")
    runtime = get_runtime()
    try:
        config = runtime_config(record, settings=runtime.settings, even_if_disabled=True)
        connector = make_connector(
            config, tenant_id=tenant.id, client=runtime.http_client, caller=ResilientCaller(retry=runtime.retry)
        )
        check = connector.test_connection()
    except BureauError as exc:
        check = ConnectionCheck(ok=False, latency_ms=0, error=str(exc))
    audit.record(
        session,
        actor=actor,
        action="bureau.tested",
        tenant_id=tenant.id,
        resource_type="bureau_config",
        resource_id=record.id,
        outcome="success" if check.ok else "failure",
        details={"bureau": bureau, "ok": check.ok, "latency_ms": check.latency_ms, "error": check.error},
    )
    return ConnectionTestRead(ok=check.ok, latency_ms=check.latency_ms, error=check.error)


# -- which bureaus are on --------------------------------------------------------------------------------

#: tenant id → (when read, enabled bureaus): the decision path reads no table while this is fresh
_enabled: dict[str, tuple[float, list[str]]] = {}
ENABLED_TTL_S = 2.0


def cached_enabled_bureaus(tenant_id: str) -> list[str] | None:
    """The tenant's enabled bureaus from this process's cache, or None when they must be re-read.

    A change made through this process applies at once, one made through another within ENABLED_TTL_S.
    """
    hit = _enabled.get(tenant_id)
    if hit is not None and time.monotonic() - hit[0] < ENABLED_TTL_S:
        return hit[1]
    return None


def enabled_bureaus(session: Session, *, tenant_id: str) -> list[str]:
    """The bureaus this tenant has switched on, in the canonical order (cibil, experian, crif)."""
    hit = cached_enabled_bureaus(tenant_id)
    if hit is not None:
        return hit
    stmt = select_owned(BureauConfigRecord, tenant_id).where(BureauConfigRecord.enabled.is_(True))
    on = set(session.execute(stmt.with_only_columns(BureauConfigRecord.bureau)).scalars())
    found: list[str] = [b for b in BUREAUS if b in on]
    _enabled[tenant_id] = (time.monotonic(), found)
    return found
