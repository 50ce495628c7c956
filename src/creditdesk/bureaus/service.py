"""The credential store, connection tests, merge rules, breaker listing and pulls for scoring.

Security invariants:
- A secret is encrypted (SecretBox, AES-GCM with a key id) before it reaches the session, bound to
  ``<tenant_id>/<bureau>/<field>``; it is decrypted only to make a bureau call and lives in memory,
  inside ``BureauConfig`` as a ``SecretStr``, for that call only.
- A secret leaves this module only redacted (``kit.crypto.redact``: at most its last 4 characters);
  audit events name the fields that changed, never their values; nothing here logs a secret.
- Outside demo/dev mode an endpoint must reach a public address (see :mod:`.ssrf`), checked when
  saved and again before every call.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.audit.service import Actor
from creditdesk.bureaus.connectors import BureauConfig, ConnectionCheck, make_connector
from creditdesk.bureaus.connectors.base import BUREAU_LABELS
from creditdesk.bureaus.errors import BureauConfigError, BureauError
from creditdesk.bureaus.merge import MergeRule, parse_rule
from creditdesk.bureaus.models import BureauConfigRecord, BureauMergeRuleRecord
from creditdesk.bureaus.pull import PullResult, invalidate_reports, merged_bureau_block, pull_reports
from creditdesk.bureaus.runtime import BureauRuntime, get_runtime
from creditdesk.bureaus.schemas import BUREAU_SECRET_FIELDS, BUREAUS
from creditdesk.bureaus.schemas_api import (
    BreakerList,
    BreakerRead,
    BureauConfigList,
    BureauConfigRead,
    BureauConfigUpdate,
    ConnectionTestRead,
    MergeRuleRead,
    MergeRuleUpdate,
)
from creditdesk.config import Settings, get_settings
from creditdesk.db import utcnow
from creditdesk.errors import Conflict, NotFound, ValidationFailed
from creditdesk.kit.crypto import DecryptionError, SecretBox, redact
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


# -- helpers -----------------------------------------------------------------------------------------


def secret_box(settings: Settings | None = None) -> SecretBox:
    """Return a SecretBox over the configured key ring (the first key encrypts)."""
    return SecretBox((settings or get_settings()).encryption_keyring())


def associated_data(tenant_id: str, bureau: str, field_name: str) -> str:
    """Return what a stored secret is bound to: its tenant, bureau and field."""
    return f"{tenant_id}/{bureau}/{field_name}"


def actor_label(actor: Actor) -> str:
    """Name an actor for ``updated_by``: the e-mail of a user, the name of an API key, else its type."""
    return actor.email or getattr(actor, "name", None) or actor.actor_type


def checked_endpoint(url: str, settings: Settings) -> str:
    """Return the endpoint URL if this deployment may call it; raise UnsafeEndpoint otherwise."""
    if settings.is_dev_like:  # the built-in simulators live on this very host
        return check_url_shape(url)
    return check_endpoint(url, allow_private=settings.allow_private_endpoints)


def _label(bureau: str) -> str:
    return BUREAU_LABELS[bureau]


def find_config(session: Session, *, tenant_id: str, bureau: str) -> BureauConfigRecord | None:
    """Return the tenant's stored configuration of ``bureau``, if any."""
    stmt = select_owned(BureauConfigRecord, tenant_id).where(BureauConfigRecord.bureau == bureau)
    return session.execute(stmt).scalar_one_or_none()


def _decrypt(box: SecretBox, record: BureauConfigRecord, field_name: str) -> str | None:
    token = (record.secrets or {}).get(field_name)
    if not token:
        return None
    return box.decrypt(token, associated_data(record.tenant_id, record.bureau, field_name))


def _redacted(box: SecretBox, record: BureauConfigRecord, field_name: str) -> str | None:
    try:
        return redact(_decrypt(box, record, field_name))
    except DecryptionError:  # its key left the ring: show that a value exists, nothing more
        return "••••••"


def _read(bureau: str, record: BureauConfigRecord | None, box: SecretBox, settings: Settings) -> BureauConfigRead:
    fields = BUREAU_SECRET_FIELDS[bureau]
    if record is None:
        return BureauConfigRead(
            bureau=bureau,  # type: ignore[arg-type]
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
        bureau=bureau,  # type: ignore[arg-type]
        configured=True,
        enabled=record.enabled,
        endpoint_url=record.endpoint_url,
        member_id=record.member_id,
        credentials={name: _redacted(box, record, name) for name in fields},
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


def runtime_config(
    record: BureauConfigRecord, *, box: SecretBox, settings: Settings, even_if_disabled: bool = False
) -> BureauConfig:
    """Build the connector configuration of a stored record, secrets decrypted (in memory only).

    A disabled record gives a disabled configuration without secrets, unless ``even_if_disabled``
    (the connection test checks the stored values before the bureau is switched on).

    Raises BureauConfigError with a readable reason when a secret cannot be decrypted or the endpoint
    is no longer acceptable (e.g. its host now resolves to a private address).
    """
    label = _label(record.bureau)
    if not record.enabled and not even_if_disabled:
        return BureauConfig(
            bureau=record.bureau,  # type: ignore[arg-type]
            enabled=False,
            endpoint_url=record.endpoint_url,
            member_id=record.member_id,
            timeout_ms=record.timeout_ms,
        )
    try:
        endpoint = checked_endpoint(record.endpoint_url, settings)
    except UnsafeEndpoint as exc:
        raise BureauConfigError(record.bureau, f"{label} endpoint refused: {exc}") from None
    credentials: dict[str, str] = {}
    for name in BUREAU_SECRET_FIELDS[record.bureau]:
        try:
            value = _decrypt(box, record, name)
        except DecryptionError:
            raise BureauConfigError(
                record.bureau,
                f"the stored {label} {name} cannot be decrypted (its encryption key is no longer configured); "
                "enter it again",
            ) from None
        if value:
            credentials[name] = value
    return BureauConfig.model_validate(
        {
            "bureau": record.bureau,
            "enabled": True,
            "endpoint_url": endpoint,
            "member_id": record.member_id,
            "credentials": credentials,
            "timeout_ms": record.timeout_ms,
        }
    )


# -- the credential store ------------------------------------------------------------------------------


def list_configs(session: Session, *, tenant: Tenant) -> BureauConfigList:
    """Return one entry per bureau (unconfigured ones disabled), secrets redacted."""
    settings = get_settings()
    box = secret_box(settings)
    records = {r.bureau: r for r in session.execute(select_owned(BureauConfigRecord, tenant.id)).scalars()}
    return BureauConfigList(items=[_read(b, records.get(b), box, settings) for b in BUREAUS])


def update_config(
    session: Session, *, tenant: Tenant, bureau: str, data: BureauConfigUpdate, actor: Actor
) -> BureauConfigRead:
    """Create or change a tenant's configuration of one bureau; an omitted (or null) secret keeps its value.

    Refuses (422, naming the field) credential fields the bureau does not have, an endpoint this
    deployment may not call, and an enabled configuration without every secret. On any change the
    bureau's cached reports are dropped and its circuit breaker closed.
    """
    settings = get_settings()
    label = _label(bureau)
    allowed = BUREAU_SECRET_FIELDS[bureau]
    given = data.credentials or {}
    for name in given:
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

    record = find_config(session, tenant_id=tenant.id, bureau=bureau)
    created = record is None
    if record is None:
        for required in ("endpoint_url", "member_id"):
            if required not in changes:
                raise InvalidField(f"body.{required}", f"required to configure {label}", "missing")
        record = BureauConfigRecord(
            tenant_id=tenant.id,
            bureau=bureau,
            enabled=True,
            endpoint_url=changes["endpoint_url"],
            member_id=changes["member_id"],
            secrets={},
            timeout_ms=settings.bureau_timeout_ms,
        )
        session.add(record)
    changed = [name for name, value in changes.items() if created or getattr(record, name) != value]
    for name, value in changes.items():
        setattr(record, name, value)

    box = secret_box(settings)
    secrets = dict(record.secrets or {})
    secrets_changed = []
    for name, value in given.items():
        if value is None:
            continue
        plain = value.get_secret_value()  # type: ignore[attr-defined]  # SecretValue holds a SecretStr
        try:
            unchanged = _decrypt(box, record, name) == plain
        except DecryptionError:
            unchanged = False
        if not unchanged:
            secrets[name] = box.encrypt(plain, associated_data(tenant.id, bureau, name))
            secrets_changed.append(name)
    record.secrets = secrets
    if record.enabled:
        missing = [name for name in allowed if not secrets.get(name)]
        if missing:
            raise InvalidField(
                f"body.credentials.{missing[0]}", f"required to enable {label} (no value is stored yet)", "missing"
            )
    if not (created or changed or secrets_changed):
        return _read(bureau, record, box, settings)
    record.updated_at = utcnow()
    record.updated_by = actor_label(actor)
    try:
        session.flush()
    except IntegrityError:  # two first configurations of the same bureau at once
        raise Conflict(f"{label} was configured by another request at the same time; try again") from None
    audit.record(
        session,
        actor=actor,
        action="bureau.configured" if created else "bureau.updated",
        tenant_id=tenant.id,
        resource_type="bureau_config",
        resource_id=record.id,
        details={"bureau": bureau, "changed": changed, "secrets_changed": secrets_changed},
    )
    forget_runtime_state(tenant_id=tenant.id, bureau=bureau)
    return _read(bureau, record, box, settings)


def check_connection(session: Session, *, tenant: Tenant, bureau: str, actor: Actor) -> ConnectionTestRead:
    """Call the bureau with the stored credentials and say whether it answered, how fast, or why not.

    The test bypasses the circuit breaker (an operator's diagnostic must see the bureau as it is now)
    and works on a disabled configuration too (test before enabling). 404 when never configured.
    """
    record = find_config(session, tenant_id=tenant.id, bureau=bureau)
    if record is None:
        raise NotFound(f"{_label(bureau)} is not configured for this tenant")
    runtime = get_runtime()
    try:
        config = runtime_config(
            record, box=secret_box(runtime.settings), settings=runtime.settings, even_if_disabled=True
        )
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


# -- merge rule ----------------------------------------------------------------------------------------


def _merge_record(session: Session, *, tenant_id: str) -> BureauMergeRuleRecord | None:
    return session.execute(select_owned(BureauMergeRuleRecord, tenant_id)).scalar_one_or_none()


def merge_rule_for(session: Session, *, tenant_id: str) -> MergeRule:
    """Return the tenant's merge rule (conservative by default)."""
    record = _merge_record(session, tenant_id=tenant_id)
    if record is None:
        return MergeRule()
    return parse_rule({"strategy": record.strategy, "priority": record.priority or None})


def get_merge_rule(session: Session, *, tenant: Tenant) -> MergeRuleRead:
    """Return the tenant's merge rule as the API shows it."""
    record = _merge_record(session, tenant_id=tenant.id)
    rule = merge_rule_for(session, tenant_id=tenant.id)
    return MergeRuleRead(
        strategy=rule.strategy,
        priority=list(rule.priority),  # type: ignore[arg-type]
        updated_at=record.updated_at if record else None,
        updated_by=record.updated_by if record else None,
    )


def update_merge_rule(session: Session, *, tenant: Tenant, data: MergeRuleUpdate, actor: Actor) -> MergeRuleRead:
    """Set how the tenant merges several bureaus' reports."""
    priority: list[str] = list(dict.fromkeys([*(data.priority or []), *BUREAUS]))
    record = _merge_record(session, tenant_id=tenant.id)
    if record is None:
        record = BureauMergeRuleRecord(tenant_id=tenant.id)
        session.add(record)
    record.strategy = data.strategy
    record.priority = priority
    record.updated_at = utcnow()
    record.updated_by = actor_label(actor)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="bureau.merge_rule_updated",
        tenant_id=tenant.id,
        resource_type="bureau_merge_rule",
        resource_id=record.id,
        details={"strategy": data.strategy, "priority": priority},
    )
    return get_merge_rule(session, tenant=tenant)


# -- operations ----------------------------------------------------------------------------------------


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


@dataclass
class RotationReport:
    """What ``creditdesk keys rotate`` did."""

    active_key: str
    rotated: int = 0
    already_current: int = 0
    failed: list[str] = field(default_factory=list)


def _rotate_webhooks(session: Session, box: SecretBox, report: RotationReport) -> None:
    from creditdesk.webhooks.models import WebhookEndpoint

    for hook in session.execute(select(WebhookEndpoint)).scalars():
        aad = f"{hook.tenant_id}/webhook/{hook.id}"
        if not box.needs_rotation(hook.secret_ciphertext):
            report.already_current += 1
            continue
        try:
            hook.secret_ciphertext = box.rotate(hook.secret_ciphertext, aad)
            report.rotated += 1
        except DecryptionError:
            report.failed.append(aad)


def _rotate_dashboards(session: Session, box: SecretBox, report: RotationReport) -> None:
    from creditdesk.monitoring.models import DashboardEmbed

    for row in session.execute(select(DashboardEmbed)).scalars():
        secrets = dict(row.secrets or {})
        for name, token in secrets.items():
            aad = f"{row.tenant_id}/dashboards/{name}"
            if not box.needs_rotation(token):
                report.already_current += 1
                continue
            try:
                secrets[name] = box.rotate(token, aad)
                report.rotated += 1
            except DecryptionError:
                report.failed.append(aad)
        row.secrets = secrets


#: Every other table that keeps SecretBox ciphertexts (their associated data must match their writers).
def _other_secret_stores() -> tuple[Any, ...]:
    """Every other store sealed with the key ring (imported late: those domains import this one)."""
    from creditdesk.portfolio.service import rotate_personal_data as rotate_borrowers
    from creditdesk.scoring.service import rotate_personal_data as rotate_applicants

    return (_rotate_webhooks, _rotate_dashboards, rotate_applicants, rotate_borrowers)


def rotate_secrets(session: Session, *, box: SecretBox | None = None) -> RotationReport:
    """Re-encrypt every stored secret (bureaus, webhooks, dashboards) under the active key; report counts.

    A secret whose key is no longer in the ring cannot be rotated; it is listed in ``failed`` (as
    ``tenant/bureau/field``) and left as it is.
    """
    box = box or secret_box()
    report = RotationReport(active_key=box.active_kid)
    for record in session.execute(select(BureauConfigRecord).order_by(BureauConfigRecord.id)).scalars():
        secrets = dict(record.secrets or {})
        for name, token in secrets.items():
            if not box.needs_rotation(token):
                report.already_current += 1
                continue
            aad = associated_data(record.tenant_id, record.bureau, name)
            try:
                secrets[name] = box.rotate(token, aad)
                report.rotated += 1
            except DecryptionError:
                report.failed.append(aad)
        record.secrets = secrets
    for rotate_more in _other_secret_stores():
        rotate_more(session, box, report)
    session.flush()
    audit.record(
        session,
        actor=audit.SYSTEM,
        action="keys.rotated",
        tenant_id=None,
        details={
            "active_key": report.active_key,
            "rotated": report.rotated,
            "already_current": report.already_current,
            "failed": len(report.failed),
        },
    )
    return report


# -- pulls for scoring ---------------------------------------------------------------------------------


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
    on = {b for b in session.execute(stmt.with_only_columns(BureauConfigRecord.bureau)).scalars()}
    found = [b for b in BUREAUS if b in on]
    _enabled[tenant_id] = (time.monotonic(), found)
    return found


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
    runtime = get_runtime()
    if not pan:
        results = [
            PullResult(bureau=n, status="error", latency_ms=0, error="no PAN given; bureau reports are pulled by PAN")
            for n in names
        ]
    else:
        box = secret_box(runtime.settings)
        stmt = select_owned(BureauConfigRecord, tenant_id).where(BureauConfigRecord.bureau.in_(names))
        configs: dict[str, BureauConfig] = {}
        problems: dict[str, str] = {}
        for record in session.execute(stmt).scalars():
            try:
                configs[record.bureau] = runtime_config(record, box=box, settings=runtime.settings)
            except BureauError as exc:
                problems[record.bureau] = str(exc)
        to_pull = [n for n in names if n not in problems]
        pulled = {
            r.bureau: r
            for r in pull_reports(
                tenant_id=tenant_id,
                requested=to_pull,
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
        results = [
            pulled[n] if n in pulled else PullResult(bureau=n, status="error", latency_ms=0, error=problems[n])
            for n in names
        ]
    return BureauPullOutcome(
        results=[r.summary() for r in results],
        merged=merged_bureau_block(results, rule),
        all_failed=not any(r.succeeded for r in results),
        reports=[r.report.model_dump(mode="json") for r in results if r.report is not None],
        merge_rule=rule_json,
    )
