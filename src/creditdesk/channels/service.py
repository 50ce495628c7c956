"""Channels services: a tenant's contact policy; the borrowers' consent ledger.

Invariants:
- A stored policy never loosens RBI's rules: ``policy.checked`` refuses it on the way in (422 naming each
  field), and ``policy.evaluate`` clamps it to ``policy.LIMITS`` again when a send is judged.
- WhatsApp carries collections content only after a tenant admin turned it on *and* acknowledged the
  warning (WhatsApp's Business Messaging Policy prohibits debt collection).
- Changes are serialised per tenant (the row is created once with an insert-or-nothing, then locked)
  and versioned: an editor that sends the version it read gets 409 when someone saved in between.
  Every change is audited with the fields it changed.
- The consent ledger is append-only: nothing is updated or deleted; the latest entry per key decides
  (:func:`contact_state` is what the contact policy reads). Opting out takes one call with no
  evidence; opting back in needs what shows the borrower asked for it (DPDP Act: withdrawing consent
  is as easy as giving it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.audit.service import Actor
from creditdesk.channels.models import ConsentEvent, ContactPolicyRecord
from creditdesk.channels.policy import DEFAULT_POLICY, LIMITS, ContactPolicy, checked
from creditdesk.channels.schemas import (
    WHATSAPP_COLLECTIONS_WARNING,
    ConsentCreate,
    ConsentEventRead,
    ConsentsRead,
    ContactPolicyRead,
    ContactPolicyUpdate,
    OptIn,
    OptOut,
)
from creditdesk.db import insert_into, new_id, utcnow
from creditdesk.errors import Conflict, invalid_field
from creditdesk.portfolio.models import Customer
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import get_owned, select_owned


def _stored(session: Session, tenant_id: str, *, lock: bool = False) -> ContactPolicyRecord | None:
    stmt = select_owned(ContactPolicyRecord, tenant_id)
    return session.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()


def effective_policy(session: Session, *, tenant_id: str) -> ContactPolicy:
    """The policy every send of the tenant is judged by: the stored one, else the defaults (RBI's)."""
    row = _stored(session, tenant_id)
    return ContactPolicy.model_validate(row.policy) if row is not None else DEFAULT_POLICY


def _read(row: ContactPolicyRecord | None) -> ContactPolicyRead:
    policy = ContactPolicy.model_validate(row.policy) if row is not None else DEFAULT_POLICY
    return ContactPolicyRead.model_validate(
        {
            **policy.model_dump(),
            "version": row.version if row is not None else 0,
            "is_default": row is None or row.version == 0,
            "limits": LIMITS,
            "updated_at": row.updated_at if row is not None and row.version else None,
            "updated_by": row.updated_by if row is not None else None,
        }
    )


def get_policy(session: Session, *, tenant: Tenant) -> ContactPolicyRead:
    """The tenant's contact policy (the defaults until it saves one)."""
    return _read(_stored(session, tenant.id))


def update_policy(session: Session, *, tenant: Tenant, data: ContactPolicyUpdate, actor: Actor) -> ContactPolicyRead:
    """Replace the tenant's contact policy; 422 for anything looser than RBI's rules or our ceilings, 409 for
    a stale ``version``."""
    proposed = checked(
        ContactPolicy.model_validate(data.model_dump(exclude={"version", "acknowledge_whatsapp_collections_warning"}))
    )
    _claim_row(session, tenant.id)
    row = _stored(session, tenant.id, lock=True)
    assert row is not None
    if data.version is not None and data.version != row.version:
        raise Conflict(
            f"the contact policy changed since you read it (version {data.version}, now {row.version}); "
            "read it again and repeat your change"
        )
    current = ContactPolicy.model_validate(row.policy)
    turned_on = proposed.whatsapp_collections_enabled and not current.whatsapp_collections_enabled
    if turned_on and not data.acknowledge_whatsapp_collections_warning:
        raise invalid_field(
            "body.acknowledge_whatsapp_collections_warning",
            f"read the warning and acknowledge it to turn this on: {WHATSAPP_COLLECTIONS_WARNING}",
        )
    changed = _changed(current, proposed)
    if changed or row.version == 0:
        row.policy = proposed.model_dump(mode="json")
        row.version += 1
        row.updated_at = utcnow()
        row.updated_by = actor.email or getattr(actor, "name", None) or actor.actor_type
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="channels.contact_policy_updated",
            tenant_id=tenant.id,
            resource_type="contact_policy",
            resource_id=row.id,
            details={"changed": changed, "version": row.version},
        )
    return _read(row)


#: the fields of the update body that are not the policy
_NOT_POLICY = {"version", "acknowledge_whatsapp_collections_warning"}


def _claim_row(session: Session, tenant_id: str) -> None:
    """Create the tenant's row (the defaults, version 0) unless it exists — concurrent first saves make one."""
    now = utcnow()
    values: dict[str, Any] = {
        "id": new_id(),
        "created_at": now,
        "tenant_id": tenant_id,
        "policy": DEFAULT_POLICY.model_dump(mode="json"),
        "version": 0,
        "updated_at": now,
    }
    session.execute(insert_into(session, ContactPolicyRecord).values(**values).on_conflict_do_nothing())


def _changed(before: ContactPolicy, after: ContactPolicy) -> list[str]:
    """The top-level fields that differ."""
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return sorted(name for name in new if old.get(name) != new[name])


# -- the consent ledger ------------------------------------------------------------------------------

#: the most ledger entries a read returns (a borrower's ledger is short; this bounds a pathological one)
HISTORY_LIMIT = 500


def _ledger(session: Session, tenant_id: str, customer_id: str) -> list[ConsentEvent]:
    """The borrower's ledger, oldest first."""
    stmt = (
        select_owned(ConsentEvent, tenant_id)
        .where(ConsentEvent.customer_id == customer_id)
        .order_by(ConsentEvent.created_at, ConsentEvent.id)
    )
    return list(session.execute(stmt).scalars())


#: a borrower's ledger as the contact policy reads it: the channels opted out of, the consents per channel
LedgerState = tuple[frozenset[str], dict[str, frozenset[str]]]


def _state(events: list[ConsentEvent]) -> LedgerState:
    """Opted-out channels (``all`` included) and consents per channel, from the ledger (the latest entry wins)."""
    opted: dict[str, bool] = {}
    granted: dict[tuple[str, str], bool] = {}
    for e in events:
        if e.purpose is None:
            opted[e.channel] = e.action == "opted_out"
        else:
            granted[(e.channel, e.purpose)] = e.action == "granted"
    consents: dict[str, set[str]] = {}
    for (channel, purpose), yes in granted.items():
        if yes:
            consents.setdefault(channel, set()).add(purpose)
    return frozenset(c for c, out in opted.items() if out), {c: frozenset(p) for c, p in consents.items()}


def contact_state(
    session: Session, *, tenant_id: str, customer_id: str
) -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    """What the contact policy needs of a borrower's ledger: the channels opted out of, the consents per channel."""
    return _state(_ledger(session, tenant_id, customer_id))


def _consents_read(customer_id: str, events: list[ConsentEvent]) -> ConsentsRead:
    opted_out, consents = _state(events)
    history = [ConsentEventRead.model_validate(e, from_attributes=True) for e in reversed(events[-HISTORY_LIMIT:])]
    return ConsentsRead(
        customer_id=customer_id,
        opted_out=sorted(opted_out),
        consents={c: sorted(p) for c, p in sorted(consents.items())},
        history=history,
    )


def get_consents(session: Session, *, tenant: Tenant, customer_id: str) -> ConsentsRead:
    """A borrower's consents and ledger (404 for another tenant's borrower)."""
    get_owned(session, Customer, customer_id, tenant.id, what="Borrower")
    return _consents_read(customer_id, _ledger(session, tenant.id, customer_id))


#: what each kind of ledger request records: its action (a consent says its own) and whether it names a purpose
LedgerEntry = ConsentCreate | OptOut | OptIn


def _action(entry: LedgerEntry) -> str:
    if isinstance(entry, ConsentCreate):
        return entry.action
    return "opted_out" if isinstance(entry, OptOut) else "opted_in"


def record(session: Session, *, tenant: Tenant, customer_id: str, entry: LedgerEntry, actor: Actor) -> ConsentsRead:
    """Append one entry to the borrower's ledger and answer the ledger as it now stands (404 for another
    tenant's borrower): a consent granted or withdrawn for one purpose on one channel (``ConsentCreate``),
    an opt-out of a channel or of all (``OptOut``; a STOP reply comes here too), or an opt-in the borrower
    asked for (``OptIn``, with its evidence)."""
    get_owned(session, Customer, customer_id, tenant.id, what="Borrower")
    event = ConsentEvent(
        tenant_id=tenant.id,
        customer_id=customer_id,
        channel=entry.channel,
        purpose=entry.purpose if isinstance(entry, ConsentCreate) else None,
        action=_action(entry),
        source=entry.source,
        evidence=entry.evidence,
        recorded_by=actor.email or getattr(actor, "name", None) or actor.actor_type,
    )
    session.add(event)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"channels.consent_{event.action}",
        tenant_id=tenant.id,
        resource_type="customer",
        resource_id=customer_id,
        details={"channel": event.channel, "purpose": event.purpose, "source": event.source},
        shard_key=customer_id,
    )
    return _consents_read(customer_id, _ledger(session, tenant.id, customer_id))
