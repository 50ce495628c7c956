"""Record, list and verify audit events.

Invariant: each chain (per tenant, plus one for the platform) is a hash chain — an event's ``hash``
covers the previous event's hash and the event's own canonical content — so editing, deleting or
reordering any stored event is detected by :func:`verify`. High-volume events (decisions) pass a
``shard_key`` and go to one of ``DECISION_SHARDS`` sub-chains of their tenant (``<tenant>/07``), so
concurrent decisions do not queue behind one chain lock; verification covers every sub-chain.
Appends to one chain are serialised (PostgreSQL: a transaction-scoped advisory lock; SQLite: the
database write lock), and the table rejects UPDATE and DELETE with a trigger. The lock is held only
for the appending transaction: decisions are appended in bulk by :func:`append_many` inside the
decision writer's short group-commit transaction (``scoring/writer.py``), never across a request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Select, func, insert, select, text
from sqlalchemy.orm import Session

from creditdesk.audit.models import AuditEvent
from creditdesk.db import new_id, utcnow
from creditdesk.kit.pagination import Page, paginate
from creditdesk.tenancy.scope import select_owned

GENESIS = "0" * 64
DECISION_SHARDS = 16
PLATFORM_CHAIN = "platform"


class Actor(Protocol):
    """Who did it: an authenticated principal or a system actor (read-only attributes)."""

    @property
    def actor_type(self) -> str: ...

    @property
    def id(self) -> str | None: ...

    @property
    def email(self) -> str | None: ...

    @property
    def request_id(self) -> str | None: ...

    @property
    def ip(self) -> str | None: ...


@dataclass(frozen=True)
class SystemActor:
    """A recorded actor that is not the request's principal: the system, or a user a job acts for."""

    actor_type: str = "system"
    id: str | None = None
    email: str | None = None
    request_id: str | None = None
    ip: str | None = None


SYSTEM = SystemActor()


_HASHED = (
    "chain",
    "seq",
    "tenant_id",
    "actor_type",
    "actor_id",
    "actor_email",
    "action",
    "resource_type",
    "resource_id",
    "outcome",
    "request_id",
    "ip",
    "details",
    "prev_hash",
    "id",
)


def _canonical_values(values: Mapping[str, Any]) -> bytes:
    body = {k: values[k] for k in _HASHED}
    body["created_at"] = values["created_at"].isoformat(timespec="microseconds")
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _hash(event: AuditEvent) -> str:
    return _hash_values({k: getattr(event, k) for k in (*_HASHED, "created_at")})


def _hash_values(values: Mapping[str, Any]) -> str:
    return hashlib.sha256(_canonical_values(values)).hexdigest()


def chain_of(tenant_id: str | None, shard_key: str | None = None) -> str:
    """The chain an event goes to: the tenant's (or the platform's), or one of its decision sub-chains."""
    chain = tenant_id or PLATFORM_CHAIN
    if shard_key is not None:
        chain = f"{chain}/{int(hashlib.sha256(shard_key.encode()).hexdigest()[:8], 16) % DECISION_SHARDS:02d}"
    return chain


def _lock_key(chain: str) -> int:
    """A signed 64-bit advisory-lock key per chain (computed here so bulk appends can lock in key order)."""
    return int.from_bytes(hashlib.sha256(b"audit:" + chain.encode()).digest()[:8], "big", signed=True)


def lock_chains(session: Session, chains: Iterable[str]) -> None:
    """Serialise appends to ``chains`` until this transaction ends (PostgreSQL; SQLite's write lock does it).

    Locks are taken in key order, so two transactions locking overlapping sets cannot deadlock.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({_lock_key(c) for c in chains})
    # one round trip: unnest yields the keys in array order, so they are locked in that order
    session.execute(text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k"), {"keys": keys})


def _head_of(chain: str) -> Select[str, int, str]:
    """The newest event of one chain: a backward scan of the (chain, seq) index, O(log n)."""
    return (
        select(AuditEvent.chain, AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.chain == chain)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )


def _heads(session: Session, chains: Sequence[str]) -> dict[str, tuple[int, str]]:
    """The last (seq, hash) of each chain, each found through the index (never a scan of the chain).

    PostgreSQL: one statement (a LATERAL lookup per chain); SQLite (in process): one lookup per chain.
    A ``max(seq) … GROUP BY chain`` would read every event of the chains, and grow with them.
    """
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            text(
                "SELECT e.chain, e.seq, e.hash FROM unnest(CAST(:chains AS text[])) AS c(chain) "
                "CROSS JOIN LATERAL (SELECT chain, seq, hash FROM audit_event WHERE chain = c.chain "
                "ORDER BY seq DESC LIMIT 1) AS e"
            ),
            {"chains": list(chains)},
        ).all()
    else:
        rows = [r for c in chains for r in session.execute(_head_of(c)).all()]
    return {r.chain: (r.seq, r.hash) for r in rows}


@dataclass(frozen=True)
class PendingEvent:
    """An event to append in bulk (see :func:`append_many`)."""

    actor: Any
    action: str
    tenant_id: str | None
    resource_type: str | None = None
    resource_id: str | None = None
    details: dict[str, Any] | None = None
    shard_key: str | None = None
    outcome: str = "success"


def append_many(session: Session, events: Sequence[PendingEvent]) -> int:
    """Append events to their chains in one locked, bulk insert; return how many were written.

    The chains are locked (in key order) for the rest of the caller's transaction, their heads read
    in one query, the links computed here and every row written with one executemany statement.
    """
    if not events:
        return 0
    chained = [(chain_of(e.tenant_id, e.shard_key), e) for e in events]
    chains = sorted({c for c, _ in chained})
    lock_chains(session, chains)
    heads = _heads(session, chains)
    rows: list[dict[str, Any]] = []
    for chain, e in chained:
        seq, prev = heads.get(chain, (0, GENESIS))
        values = {
            "id": new_id(),
            "chain": chain,
            "seq": seq + 1,
            "tenant_id": e.tenant_id,
            "actor_type": e.actor.actor_type,
            "actor_id": e.actor.id,
            "actor_email": e.actor.email,
            "action": e.action,
            "resource_type": e.resource_type,
            "resource_id": e.resource_id,
            "outcome": e.outcome,
            "request_id": e.actor.request_id,
            "ip": e.actor.ip,
            "details": _jsonable(e.details),
            "created_at": utcnow(),
            "prev_hash": prev,
        }
        values["hash"] = _hash_values(values)
        heads[chain] = (seq + 1, values["hash"])
        rows.append(values)
    session.connection().execute(insert(AuditEvent), rows)
    session.info["audited"] = True
    return len(rows)


def _jsonable(details: dict[str, Any] | None) -> dict[str, Any]:
    plain: dict[str, Any] = json.loads(json.dumps(details or {}, default=str))
    return plain


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    tenant_id: str | None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
    shard_key: str | None = None,
) -> AuditEvent:
    """Append an event to the tenant's chain (or the platform chain). Never pass a secret in details."""
    chain = chain_of(tenant_id, shard_key)
    lock_chains(session, [chain])
    last = session.execute(_head_of(chain)).first()
    created = utcnow()
    event = AuditEvent(
        id=new_id(),
        chain=chain,
        seq=(last.seq + 1) if last else 1,
        tenant_id=tenant_id,
        actor_type=actor.actor_type,
        actor_id=actor.id,
        actor_email=actor.email,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        outcome=outcome,
        request_id=actor.request_id,
        ip=actor.ip,
        details=_jsonable(details),
        created_at=created,
        prev_hash=last.hash if last else GENESIS,
        hash="",
    )
    event.hash = _hash(event)
    session.add(event)
    session.flush()
    session.info["audited"] = True
    return event


@dataclass
class AuditFilters:
    action: str | None = None
    actor: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    outcome: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


def _events_of(tenant_id: str | None) -> Any:
    if tenant_id is None:
        return select(AuditEvent).where(AuditEvent.chain == PLATFORM_CHAIN)
    return select_owned(AuditEvent, tenant_id)


def list_events(
    session: Session, *, tenant_id: str | None, filters: AuditFilters, limit: int, offset: int
) -> Page[AuditEvent]:
    """Return one page of a tenant's (or the platform's, for None) events, newest first."""
    stmt = _events_of(tenant_id)
    if filters.action:
        stmt = stmt.where(AuditEvent.action.startswith(filters.action))
    if filters.actor:
        stmt = stmt.where(func.lower(AuditEvent.actor_email) == filters.actor.lower())
    if filters.resource_type:
        stmt = stmt.where(AuditEvent.resource_type == filters.resource_type)
    if filters.resource_id:
        stmt = stmt.where(AuditEvent.resource_id == filters.resource_id)
    if filters.outcome:
        stmt = stmt.where(AuditEvent.outcome == filters.outcome)
    if filters.created_from:
        stmt = stmt.where(AuditEvent.created_at >= filters.created_from)
    if filters.created_to:
        stmt = stmt.where(AuditEvent.created_at < filters.created_to)
    return paginate(
        session, stmt.order_by(AuditEvent.created_at.desc(), AuditEvent.seq.desc()), limit=limit, offset=offset
    )


def _verify_chain(session: Session, chain: str) -> dict[str, Any]:
    prev = GENESIS
    expected_seq = 1
    count = 0
    rows = session.execute(select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)).scalars()
    for event in rows.yield_per(1000):
        count += 1
        reason = None
        if event.seq != expected_seq:
            reason = f"sequence gap: expected {expected_seq}, found {event.seq} (an event was deleted)"
        elif event.prev_hash != prev:
            reason = "previous-hash link does not match the preceding event"
        elif _hash(event) != event.hash:
            reason = "event content does not match its hash (the event was modified)"
        if reason:
            return {
                "ok": False,
                "events": count - 1,
                "broken_event_id": event.id,
                "broken_seq": event.seq,
                "broken_action": event.action,
                "broken_chain": chain,
                "reason": reason,
            }
        prev = event.hash
        expected_seq += 1
    return {"ok": True, "events": count}


def verify(session: Session, *, tenant_id: str | None) -> dict[str, Any]:
    """Recompute every chain of a tenant (or the platform's, for None); ``{"ok": True, "events": N}`` or
    the first broken link."""
    if tenant_id is None:
        chains = [PLATFORM_CHAIN]
    else:
        found = session.execute(_events_of(tenant_id).with_only_columns(AuditEvent.chain).distinct()).scalars()
        chains = sorted(set(found) | {tenant_id})
    total = 0
    for chain in chains:
        result = _verify_chain(session, chain)
        total += result["events"]
        if not result["ok"]:
            return {**result, "events": total, "chains": len(chains)}
    return {"ok": True, "events": total, "chains": len(chains)}


MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def record_unaudited_request(session: Session, request: Any) -> None:
    """Catch-all: a state-changing request that recorded no explicit event still leaves one."""
    if request.method not in MUTATING_METHODS or session.info.get("audited"):
        return
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return
    route = request.scope.get("route")
    record(
        session,
        actor=principal,
        action=f"http.{request.method.lower()}",
        tenant_id=session.info.get("tenant_id") or principal.tenant_id,
        details={"route": getattr(route, "path", request.url.path), "path": request.url.path},
    )
