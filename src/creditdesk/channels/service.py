"""Channels services: a tenant's contact policy; the borrowers' consent ledger; message templates.

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
- Templates are maker–checker: a version is approved only by a holder of ``templates:approve`` who did
  not write it (403 otherwise), and only a draft is approved (409 for a second approval of the same
  version: the row is locked). An approved text is never edited: a change makes the next version, a
  draft; approving it retires the version before. A template is checked (placeholders, variables,
  the channel's rules: DLT id for SMS, WhatsApp's category for its purpose) before it is stored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.audit.service import Actor
from creditdesk.channels.models import ConsentEvent, ContactPolicyRecord, ContactPreference, MessageTemplate
from creditdesk.channels.policy import DEFAULT_POLICY, LIMITS, ContactPolicy, Hold, PreferredWindow, checked
from creditdesk.channels.schemas import (
    WHATSAPP_COLLECTIONS_WARNING,
    ConsentCreate,
    ConsentEventRead,
    ConsentsRead,
    ContactPolicyRead,
    ContactPolicyUpdate,
    ContactPreferencesRead,
    ContactPreferencesUpdate,
    OptIn,
    OptOut,
    TemplateContent,
    TemplateCreate,
    TemplatePage,
    TemplatePreview,
    TemplatePreviewRead,
    TemplateRead,
)
from creditdesk.channels.starter import SAMPLE_VALUES
from creditdesk.channels.templates import check_template, render
from creditdesk.db import insert_into, new_id, utcnow
from creditdesk.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    ValidationFailed,
    field_error,
    invalid,
    invalid_field,
)
from creditdesk.kit.pagination import Page, paginate
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


# -- message templates -------------------------------------------------------------------------------

#: the WhatsApp category each purpose's template must be approved under (WhatsApp's template categories)
WHATSAPP_CATEGORY = {
    "otp": "authentication",
    "offer": "marketing",
    "reminder": "utility",
    "alert": "utility",
    "collections": "utility",
}


def _content_errors(channel: str, purpose: str, content: TemplateContent) -> list[FieldError]:
    """Everything wrong with a version's content on its channel, as field errors."""
    variables = {name: spec.model_dump() for name, spec in content.variables.items()}
    errors = check_template(content.body, variables, channel, subject=content.subject)
    if channel == "sms" and not content.dlt_template_id:
        errors.append(field_error("body.dlt_template_id", "required for SMS: the template's DLT registration id"))
    if channel != "sms" and content.dlt_template_id:
        errors.append(field_error("body.dlt_template_id", "only an SMS template has a DLT id"))
    if channel == "whatsapp":
        wanted = WHATSAPP_CATEGORY[purpose]
        if content.whatsapp_category != wanted:
            errors.append(
                field_error("body.whatsapp_category", f"a WhatsApp {purpose} template is a {wanted} template")
            )
    elif content.whatsapp_category:
        errors.append(field_error("body.whatsapp_category", "only a WhatsApp template has a category"))
    return errors


def _template_read(row: MessageTemplate) -> TemplateRead:
    return TemplateRead.model_validate(
        {
            **{c: getattr(row, c) for c in TemplateRead.model_fields if hasattr(row, c)},
            "collections_content": row.purpose == "collections",
        }
    )


def _author(actor: Actor) -> tuple[str | None, str]:
    return getattr(actor, "id", None), actor.email or getattr(actor, "name", None) or actor.actor_type


def _write(row: MessageTemplate, content: TemplateContent, actor: Actor) -> None:
    row.tone, row.body, row.subject = content.tone, content.body, content.subject
    row.variables = {name: spec.model_dump() for name, spec in content.variables.items()}
    row.dlt_template_id, row.whatsapp_category = content.dlt_template_id, content.whatsapp_category
    row.author_id, row.author = _author(actor)
    row.updated_at = utcnow()


def _audit_template(session: Session, row: MessageTemplate, actor: Actor, action: str) -> None:
    audit.record(
        session,
        actor=actor,
        action=f"channels.template_{action}",
        tenant_id=row.tenant_id,
        resource_type="message_template",
        resource_id=row.id,
        details={"name": row.name, "channel": row.channel, "language": row.language, "version": row.version},
    )


def create_template(session: Session, *, tenant: Tenant, data: TemplateCreate, actor: Actor) -> TemplateRead:
    """Store a new template's first version, a draft (422 naming each problem; 409 when the name is taken)."""
    errors = _content_errors(data.channel, data.purpose, data)
    if errors:
        raise invalid(errors)
    taken = select_owned(MessageTemplate, tenant.id).where(
        MessageTemplate.name == data.name,
        MessageTemplate.channel == data.channel,
        MessageTemplate.language == data.language,
    )
    exists = Conflict(f"a {data.channel} template '{data.name}' in '{data.language}' exists: change it instead")
    if session.execute(taken.limit(1)).first() is not None:
        raise exists
    row = MessageTemplate(
        tenant_id=tenant.id, name=data.name, channel=data.channel, purpose=data.purpose, language=data.language
    )
    _write(row, data, actor)
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # a concurrent request created it first
        raise exists from None
    _audit_template(session, row, actor, "created")
    return _template_read(row)


def update_template(
    session: Session, *, tenant: Tenant, template_id: str, data: TemplateContent, actor: Actor
) -> TemplateRead:
    """Change a draft in place, or make the next version (a draft) of an approved template; 409 for a
    retired version or when a newer draft exists."""
    row = _locked_template(session, tenant.id, template_id)
    errors = _content_errors(row.channel, row.purpose, data)
    if errors:
        raise invalid(errors)
    if row.status == "draft":
        _write(row, data, actor)
        session.flush()
        _audit_template(session, row, actor, "updated")
        return _template_read(row)
    newest = _versions(session, row).order_by(MessageTemplate.version.desc()).limit(1)
    latest = session.execute(newest).scalar_one()
    if row.status == "retired" or latest.id != row.id:
        raise Conflict(f"version {row.version} is not the newest: change version {latest.version} instead")
    draft = MessageTemplate(
        tenant_id=row.tenant_id,
        name=row.name,
        channel=row.channel,
        purpose=row.purpose,
        language=row.language,
        version=row.version + 1,
    )
    _write(draft, data, actor)
    session.add(draft)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # a concurrent change made the next version first
        raise Conflict(f"version {row.version + 1} was just made by another change: change it instead") from None
    _audit_template(session, draft, actor, "versioned")
    return _template_read(draft)


def approve_template(session: Session, *, tenant: Tenant, template_id: str, actor: Actor) -> TemplateRead:
    """Approve a draft (maker–checker: 403 for its author) and retire the version it replaces."""
    row = _locked_template(session, tenant.id, template_id)
    if row.status != "draft":
        raise Conflict(f"version {row.version} of '{row.name}' is {row.status}: only a draft is approved")
    approver_id, approver = _author(actor)
    if approver_id is None or approver_id == row.author_id:
        raise Forbidden("a template is approved by someone other than the person who wrote it")
    for earlier in session.execute(
        _versions(session, row).where(MessageTemplate.status == "approved").with_for_update()
    ).scalars():
        earlier.status, earlier.updated_at = "retired", utcnow()
    row.status, row.approved_by, row.approved_at, row.updated_at = "approved", approver, utcnow(), utcnow()
    session.flush()
    _audit_template(session, row, actor, "approved")
    return _template_read(row)


def _locked_template(session: Session, tenant_id: str, template_id: str) -> MessageTemplate:
    stmt = select_owned(MessageTemplate, tenant_id).where(MessageTemplate.id == template_id).with_for_update()
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound("Template not found")
    return row


def _versions(session: Session, row: MessageTemplate) -> Any:
    return select_owned(MessageTemplate, row.tenant_id).where(
        MessageTemplate.name == row.name,
        MessageTemplate.channel == row.channel,
        MessageTemplate.language == row.language,
    )


def get_template(session: Session, *, tenant: Tenant, template_id: str) -> TemplateRead:
    """One version of a template (404 for another tenant's)."""
    return _template_read(get_owned(session, MessageTemplate, template_id, tenant.id, what="Template"))


def list_templates(
    session: Session,
    *,
    tenant: Tenant,
    channel: str | None,
    purpose: str | None,
    language: str | None,
    status: str | None,
    limit: int,
    offset: int,
    name: str | None = None,
) -> TemplatePage:
    """The tenant's template versions, by name, channel, language and newest version first (``name``: a
    part of the name, any case)."""
    stmt = select_owned(MessageTemplate, tenant.id)
    if name:
        stmt = stmt.where(MessageTemplate.name.icontains(name, autoescape=True))
    for column, value in (
        (MessageTemplate.channel, channel),
        (MessageTemplate.purpose, purpose),
        (MessageTemplate.language, language),
        (MessageTemplate.status, status),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    order = (MessageTemplate.name, MessageTemplate.channel, MessageTemplate.language, MessageTemplate.version.desc())
    page: Page[MessageTemplate] = paginate(session, stmt.order_by(*order), limit=limit, offset=offset)
    return TemplatePage(items=[_template_read(r) for r in page.items], total=page.total, limit=limit, offset=offset)


# -- templates as sends use them -----------------------------------------------------------------------


def template_row(session: Session, *, tenant_id: str, template_id: str) -> MessageTemplate:
    """One version of a template (404 for another tenant's), whatever its status."""
    return get_owned(session, MessageTemplate, template_id, tenant_id, what="Template")


def approved_version(session: Session, *, tenant_id: str, template_id: str) -> MessageTemplate:
    """The version named, if approved: only approved text is ever sent (422 names its status otherwise)."""
    row = template_row(session, tenant_id=tenant_id, template_id=template_id)
    if row.status != "approved":
        raise invalid_field(
            "body.template",
            f"{row.name} version {row.version} is {row.status}: only an approved template is sent",
        )
    return row


def approved_sibling(session: Session, row: MessageTemplate, language: str) -> MessageTemplate | None:
    """The approved version of the same template in another language: the same name, or the name with its
    language suffix swapped (the starter set names ``reminder_formal_sms_hi`` and ``…_en``)."""
    suffix = f"_{row.language}"
    names = {row.name}
    if row.name.endswith(suffix):
        names.add(row.name.removesuffix(suffix) + f"_{language}")
    stmt = select_owned(MessageTemplate, row.tenant_id).where(
        MessageTemplate.name.in_(names),
        MessageTemplate.channel == row.channel,
        MessageTemplate.language == language,
        MessageTemplate.status == "approved",
    )
    return session.execute(stmt).scalars().first()


def otp_template(session: Session, *, tenant_id: str, channel: str, language: str) -> MessageTemplate | None:
    """The approved OTP template on ``channel`` in ``language``, else in English (None when there is none)."""
    stmt = select_owned(MessageTemplate, tenant_id).where(
        MessageTemplate.channel == channel,
        MessageTemplate.purpose == "otp",
        MessageTemplate.status == "approved",
        MessageTemplate.language.in_({language, "en"}),
    )
    rows = sorted(session.execute(stmt).scalars(), key=lambda r: (r.language != language, r.name))
    return rows[0] if rows else None


#: a value of each type for a preview that names none (the starter set's samples win for their names)
_SAMPLE_BY_TYPE: dict[str, object] = {
    "text": "Priya Sharma",
    "amount": "12345.50",
    "date": "2026-12-15",
    "number": 3,
    "url": "https://pay.example.in/Ab3dE9",
    "phone": "1800 123 4567",
    "otp": "482913",
}


def preview_template(data: TemplatePreview) -> TemplatePreviewRead:
    """Render a text as it would go out, with sample values where ``values`` names none; problems as a list."""
    declared = {name: spec.model_dump() for name, spec in data.variables.items()}
    values: dict[str, object] = {
        name: SAMPLE_VALUES.get(name, _SAMPLE_BY_TYPE[spec.type]) for name, spec in data.variables.items()
    }
    values.update(data.values or {})
    try:
        rendered = render(data.body, declared, values, data.language, channel=data.channel, subject=data.subject)
    except ValidationFailed as exc:
        fields = exc.extra.get("fields", [])
        errors = [{"field": str(f["field"]), "message": str(f["message"])} for f in fields]
        return TemplatePreviewRead(text="", subject=None, segments=None, encoding=None, errors=errors)
    sms = data.channel == "sms"
    return TemplatePreviewRead(
        text=rendered.text,
        subject=rendered.subject,
        segments=rendered.segments if sms else None,
        encoding=rendered.encoding if sms else None,
        errors=[],
    )


# -- a borrower's own contact preferences and holds ---------------------------------------------------


def _preference_row(session: Session, tenant_id: str, customer_id: str, *, lock: bool = False) -> Any:
    stmt = select_owned(ContactPreference, tenant_id).where(ContactPreference.customer_id == customer_id)
    return session.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()


def contact_preferences(
    session: Session, *, tenant_id: str, customer_id: str
) -> tuple[tuple[PreferredWindow, ...], tuple[Hold, ...]]:
    """What the contact policy needs of a borrower's preferences: their windows and holds."""
    row = _preference_row(session, tenant_id, customer_id)
    if row is None:
        return (), ()
    windows = tuple(PreferredWindow.model_validate(w) for w in row.preferred_windows)
    return windows, tuple(Hold.model_validate(h) for h in row.holds)


def _preferences_read(customer_id: str, row: ContactPreference | None) -> ContactPreferencesRead:
    if row is None:
        return ContactPreferencesRead(
            customer_id=customer_id, preferred_windows=[], holds=[], version=0, updated_at=None, updated_by=None
        )
    return ContactPreferencesRead.model_validate(
        {
            "customer_id": customer_id,
            "preferred_windows": row.preferred_windows,
            "holds": row.holds,
            "version": row.version,
            "updated_at": row.updated_at,
            "updated_by": row.updated_by,
        }
    )


def get_preferences(session: Session, *, tenant: Tenant, customer_id: str) -> ContactPreferencesRead:
    """A borrower's contact times and holds (404 for another tenant's borrower)."""
    get_owned(session, Customer, customer_id, tenant.id, what="Borrower")
    return _preferences_read(customer_id, _preference_row(session, tenant.id, customer_id))


def update_preferences(
    session: Session, *, tenant: Tenant, customer_id: str, data: ContactPreferencesUpdate, actor: Actor
) -> ContactPreferencesRead:
    """Replace a borrower's contact times and holds (409 when ``version`` is stale); audited."""
    get_owned(session, Customer, customer_id, tenant.id, what="Borrower")
    row = _preference_row(session, tenant.id, customer_id, lock=True)
    if data.version is not None and data.version != (row.version if row else 0):
        raise Conflict("the borrower's contact preferences changed since you read them; reload and try again")
    if row is None:
        row = ContactPreference(tenant_id=tenant.id, customer_id=customer_id, version=0)
        session.add(row)
    row.preferred_windows = [w.model_dump(mode="json") for w in data.preferred_windows]
    row.holds = [h.model_dump(mode="json") for h in data.holds]
    row.version += 1
    row.updated_at = utcnow()
    row.updated_by = actor.email or getattr(actor, "name", None) or actor.actor_type
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("the borrower's contact preferences were saved by another request; try again") from None
    audit.record(
        session,
        actor=actor,
        action="channels.contact_preferences_updated",
        tenant_id=tenant.id,
        resource_type="customer",
        resource_id=customer_id,
        details={"windows": len(row.preferred_windows), "holds": [h["kind"] for h in row.holds]},
        shard_key=customer_id,
    )
    return _preferences_read(customer_id, row)
