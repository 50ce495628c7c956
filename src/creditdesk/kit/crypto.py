"""Secrets at rest: one key ring, one box, and a registry of every encrypted column.

Ciphertext format: ``v1:<key id>:<base64url(nonce || ciphertext+tag)>``. The first key of the ring
(``CREDITDESK_ENCRYPTION_KEYS``) encrypts; any key of the ring decrypts. ``associated_data`` (the
*label*) binds a ciphertext to its owner (for example ``<tenant id>/<bureau>/<field>``) so a value
copied to another row fails to decrypt.

Keyed hashes (:meth:`SecretBox.keyed_hash`) are the equality-lookup side of encrypted personal data:
HMAC-SHA256 under a key derived (HKDF) from a ring key, so a PAN can be found by its hash while the
hash reveals nothing to whoever lacks the key (a plain SHA-256 of a PAN is brute-forced in seconds).
Hashes are made with the active key; lookups try every key of the ring, so a rotation never hides a row.

The registry
------------
Every column that stores ciphertexts is registered once, by the domain that owns it, in its
``models.py`` right under the model: :func:`sealed_field` names the model, the column, the label
rule and the column's shape, and returns the :class:`SealedField` the domain then uses to seal and
open values — so the writer, the reader and ``creditdesk keys rotate`` (:func:`reseal_all`) share
one label and cannot drift apart. Shapes:

- ``"value"``: the column holds one ciphertext (``webhook_endpoint.secret_ciphertext``, ``*.identity``);
- ``"map"``: a JSON object of name → ciphertext (``bureau_config.secrets``, ``dashboard_embed.secrets``);
- ``"typed"``: the column's type is :class:`Sealed`, which seals and opens transparently (batch rows).

A new domain with secrets (channels, payments, MCP credentials …) does the same::

    # channels/models.py
    CHANNEL_CREDENTIALS = sealed_field(
        ChannelConfig, "secrets", shape="map", label=lambda row, name: f"{row.tenant_id}/channels/{row.channel}/{name}"
    )
    # channels/service.py
    row.secrets = {**row.secrets, "api_key": CHANNEL_CREDENTIALS.seal(row, api_key, "api_key")}
    api_key = CHANNEL_CREDENTIALS.open(row, "api_key")

and names the column by the convention (``secrets``, ``identity``, ``*_ciphertext``) or gives it the
:class:`Sealed` type: ``tests/kit/test_sealed_registry.py`` fails for an encrypted-looking column
that is not registered, and its rotation test seeds and rotates every registered field (add a seed
for yours there). Derived values that depend on the key (a PAN's keyed hash) are recomputed by the
field's ``after_reseal`` hook.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import JSON, Select, Text, and_, literal, select, type_coerce, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator, TypeEngine

from creditdesk.config import get_settings

_HASH_KEY_INFO = b"creditdesk keyed hash v1"
#: what an API shows of a secret: this, then at most its last 4 characters
REDACTED = "••••••"


class DecryptionError(ValueError):
    """The ciphertext is malformed, tampered with, or its key is not in the ring."""


class SecretBox:
    """Encrypts and decrypts small secrets with a key ring [(kid, key), ...]."""

    def __init__(self, keyring: list[tuple[str, bytes]]):
        if not keyring:
            raise ValueError("empty key ring")
        self._keys = {kid: AESGCM(key) for kid, key in keyring}
        self._hash_keys = {
            kid: HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HASH_KEY_INFO).derive(key)
            for kid, key in keyring
        }
        self.active_kid = keyring[0][0]

    def encrypt(self, plaintext: str, associated_data: str = "") -> str:
        """Encrypt with the active key."""
        nonce = os.urandom(12)
        ct = self._keys[self.active_kid].encrypt(nonce, plaintext.encode(), associated_data.encode())
        return f"v1:{self.active_kid}:{base64.urlsafe_b64encode(nonce + ct).decode()}"

    def decrypt(self, token: str, associated_data: str = "") -> str:
        """Decrypt a value produced by :meth:`encrypt` with any key of the ring."""
        try:
            version, kid, payload = token.split(":", 2)
            raw = base64.urlsafe_b64decode(payload)
            if version != "v1" or kid not in self._keys:
                raise DecryptionError(f"unknown key id {kid!r}")
            return self._keys[kid].decrypt(raw[:12], raw[12:], associated_data.encode()).decode()
        except (ValueError, InvalidTag) as exc:
            if isinstance(exc, DecryptionError):
                raise
            raise DecryptionError("ciphertext cannot be decrypted") from None

    def key_id(self, token: str) -> str:
        """Return the key id a ciphertext was made with."""
        return token.split(":", 2)[1]

    def needs_rotation(self, token: str) -> bool:
        """True when the ciphertext was not made with the active key."""
        return self.key_id(token) != self.active_kid

    def rotate(self, token: str, associated_data: str = "") -> str:
        """Re-encrypt a ciphertext under the active key."""
        return self.encrypt(self.decrypt(token, associated_data), associated_data)

    def seal_json(self, document: Any, associated_data: str) -> str:
        """Encrypt a JSON-able document (compact JSON) with the active key."""
        return self.encrypt(json.dumps(document, separators=(",", ":"), default=str), associated_data)

    def open_json(self, token: str, associated_data: str) -> Any:
        """Decrypt a document sealed by :meth:`seal_json`."""
        return json.loads(self.decrypt(token, associated_data))

    def keyed_hash(self, value: str, scope: str = "", *, kid: str | None = None) -> str:
        """HMAC-SHA256 (hex) of ``value`` in ``scope`` (e.g. ``<tenant id>/pan``) under the active key."""
        message = f"{scope}\x00{value}".encode()
        return hmac.new(self._hash_keys[kid or self.active_kid], message, hashlib.sha256).hexdigest()

    def keyed_hashes(self, value: str, scope: str = "") -> list[str]:
        """The keyed hash of ``value`` under every key of the ring, the active key's first (for lookups)."""
        kids = [self.active_kid, *(k for k in self._hash_keys if k != self.active_kid)]
        return [self.keyed_hash(value, scope, kid=k) for k in kids]


@lru_cache(maxsize=4)
def _shared_box(keyring: tuple[tuple[str, bytes], ...]) -> SecretBox:
    return SecretBox(list(keyring))


def shared_box(keyring: list[tuple[str, bytes]]) -> SecretBox:
    """A SecretBox over ``keyring``, built once per ring (the decision path encrypts without set-up)."""
    return _shared_box(tuple(keyring))


def secret_box() -> SecretBox:
    """The SecretBox over the configured key ring: the one box every sealed field uses."""
    return shared_box(get_settings().encryption_keyring())


def personal_data_box() -> SecretBox:
    """The box that seals personal data at rest (see docs/data-protection.md): :func:`secret_box`."""
    return secret_box()


class Sealed(TypeDecorator[Any]):
    """A JSON (or text) column stored as one SecretBox ciphertext, bound to ``where`` (``<table>.<column>``).

    For columns whose rows are written and read by code that needs no row binding (batch rows): the
    value is sealed on the way in and opened on the way out, for ORM and Core statements alike. Rows
    written before sealing (plain JSON) are read as they are. Register the column with
    :func:`sealed_field` (shape ``"typed"``) so key rotation re-seals it.
    """

    impl = JSON
    cache_ok = True

    def __init__(self, where: str, *, text: bool = False):
        super().__init__()
        self.where = where
        self.text = text

    def raw_type(self) -> TypeEngine[Any]:
        """The column's storage type, to read and write its ciphertexts as they are."""
        return Text() if self.text else JSON()

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(self.raw_type())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return secret_box().seal_json(value, self.where)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if is_ciphertext(value):
            return secret_box().open_json(value, self.where)
        return value


def is_ciphertext(value: Any) -> bool:
    """True for a string in the SecretBox ciphertext format (``v1:<key id>:…``)."""
    return isinstance(value, str) and value.startswith("v1:") and value.count(":") >= 2


# -- the registry of sealed fields ---------------------------------------------------------------------

Shape = Literal["value", "map", "typed"]
#: (row, name within a ``"map"`` column or None) → the associated data a ciphertext is bound to
LabelRule = Callable[[Any, str | None], str]
#: (box, row, plaintext) → None: recompute what depends on the key (e.g. a PAN's keyed hash)
AfterReseal = Callable[[SecretBox, Any, str], None]


@dataclass
class RotationReport:
    """What ``creditdesk keys rotate`` did: counts, and the labels of values it could not decrypt."""

    active_key: str
    rotated: int = 0
    already_current: int = 0
    failed: list[str] = field(default_factory=list)

    def reseal(self, box: SecretBox, token: str, label: str) -> str | None:
        """``token`` under the active key, or None when it already is or cannot be opened (counted)."""
        if not box.needs_rotation(token):
            self.already_current += 1
            return None
        try:
            fresh = box.rotate(token, label)
        except DecryptionError:
            self.failed.append(label)
            return None
        self.rotated += 1
        return fresh


@dataclass(frozen=True)
class SealedField:
    """One registered encrypted column: where it is, its shape and what its ciphertexts are bound to."""

    model: type[Any]
    column: str
    shape: Shape
    label_rule: LabelRule
    after_reseal: AfterReseal | None = None

    @property
    def table(self) -> str:
        """The table's name."""
        return str(self.model.__tablename__)

    @property
    def name(self) -> str:
        """``<table>.<column>``."""
        return f"{self.table}.{self.column}"

    def label(self, row: Any, key: str | None = None) -> str:
        """The associated data of the value of ``row`` (``key``: its name in a ``"map"`` column)."""
        return self.label_rule(row, key)

    def seal(self, row: Any, plaintext: str, key: str | None = None, *, box: SecretBox | None = None) -> str:
        """Encrypt ``plaintext`` for ``row`` (it is not stored: assign the result)."""
        return (box or secret_box()).encrypt(plaintext, self.label(row, key))

    def token(self, row: Any, key: str | None = None) -> str | None:
        """The stored ciphertext of ``row`` (``key`` in a ``"map"`` column), None when there is none."""
        value = getattr(row, self.column)
        if self.shape == "map":
            value = (value or {}).get(key)
        return value or None

    def open(self, row: Any, key: str | None = None, *, box: SecretBox | None = None) -> str | None:
        """Decrypt the stored value of ``row``; None when there is none. Raises DecryptionError."""
        token = self.token(row, key)
        return None if token is None else (box or secret_box()).decrypt(token, self.label(row, key))

    def update_map(self, row: Any, given: Mapping[str, str]) -> list[str]:
        """Seal the values of ``given`` that differ from the stored ones in a ``"map"`` column; return their names.

        A stored value no key of the ring opens counts as different (it is replaced). Values left out of
        ``given`` keep what is stored (an API's "leave a secret empty to keep it").
        """
        stored = dict(getattr(row, self.column) or {})
        changed = []
        for name, plain in given.items():
            try:
                unchanged = self.open(row, name) == plain
            except DecryptionError:
                unchanged = False
            if not unchanged:
                stored[name] = self.seal(row, plain, name)
                changed.append(name)
        setattr(row, self.column, stored)
        return changed

    def redacted(self, row: Any, key: str | None = None) -> str | None:
        """The stored value as an API shows it: at most its last 4 characters (:func:`redact`).

        A value whose key has left the ring shows that it exists and nothing more.
        """
        try:
            return redact(self.open(row, key))
        except DecryptionError:
            return REDACTED

    def stored(self, session: Session) -> Iterator[tuple[Any, str | None, str]]:
        """Every stored ciphertext of this field: (row, its name in a ``"map"`` column or None, ciphertext).

        Rows are ORM objects, except for a ``"typed"`` column: Core rows of its primary key (the ORM
        would open the values).
        """
        if self.shape == "typed":
            for row in session.execute(self._raw_select()).all():
                if is_ciphertext(row.token):
                    yield row, None, row.token
            return
        stmt = select(self.model).order_by(*self.model.__mapper__.primary_key).execution_options(yield_per=1000)
        for row in session.execute(stmt).scalars():
            if self.shape == "map":
                yield from ((row, key, token) for key, token in (getattr(row, self.column) or {}).items() if token)
            elif token := getattr(row, self.column):
                yield row, None, token

    def reseal(self, session: Session, box: SecretBox, report: RotationReport) -> None:
        """Move every stored value of this field to the active key (see :func:`reseal_all`)."""
        for row, key, token in self.stored(session):
            if (fresh := report.reseal(box, token, self.label(row, key))) is None:
                continue
            self._store(session, row, key, fresh)
            if self.after_reseal is not None:
                self.after_reseal(box, row, box.decrypt(fresh, self.label(row, key)))

    def _raw_select(self) -> Select[Any]:
        table = self.model.__table__
        return select(*table.primary_key.columns, type_coerce(table.c[self.column], self._raw_type()).label("token"))

    def _raw_type(self) -> TypeEngine[Any]:
        column_type: Sealed = self.model.__table__.c[self.column].type
        return column_type.raw_type()

    def _store(self, session: Session, row: Any, key: str | None, token: str) -> None:
        if self.shape == "map":
            setattr(row, self.column, {**getattr(row, self.column), key: token})
        elif self.shape == "value":
            setattr(row, self.column, token)
        else:  # Core, past the Sealed type
            table = self.model.__table__
            where = and_(*(c == getattr(row, c.name) for c in table.primary_key.columns))
            session.execute(update(table).where(where).values({self.column: literal(token, self._raw_type())}))


_REGISTRY: dict[str, SealedField] = {}


def sealed_field(
    model: type[Any],
    column: str,
    *,
    shape: Shape = "value",
    label: LabelRule | None = None,
    after_reseal: AfterReseal | None = None,
) -> SealedField:
    """Register an encrypted column (once, beside its model) and return it.

    ``label`` is required except for a ``"typed"`` column, whose :class:`Sealed` type holds its label.
    """
    if label is None:
        where: str = model.__table__.c[column].type.where  # a Sealed column: one fixed label

        def label(row: Any, key: str | None) -> str:
            return where

    sealed = SealedField(model, column, shape, label, after_reseal)
    if sealed.name in _REGISTRY:
        raise ValueError(f"{sealed.name} is registered twice")
    _REGISTRY[sealed.name] = sealed
    return sealed


def sealed_fields() -> list[SealedField]:
    """Every registered encrypted column (import ``creditdesk.models_registry`` first to see them all)."""
    return list(_REGISTRY.values())


def reseal_all(session: Session, box: SecretBox | None = None) -> RotationReport:
    """Re-encrypt every registered field under the active key and report counts (``creditdesk keys rotate``).

    A value whose key is no longer in the ring cannot be re-encrypted: its label is listed in
    ``failed`` and it is left as it is.
    """
    box = box or secret_box()
    report = RotationReport(active_key=box.active_kid)
    for sealed in sealed_fields():
        sealed.reseal(session, box, report)
    session.flush()
    return report


def pan_hash(box: SecretBox, tenant_id: str, pan: str | None) -> str | None:
    """The lookup hash of a PAN in one tenant (active key); None without a PAN.

    Scoped by tenant: one lender's hash of a PAN says nothing about another's. Applications and loan
    customers share the scheme, so one PAN has one hash across a tenant's tables.
    """
    return box.keyed_hash(pan.strip().upper(), f"{tenant_id}/pan") if pan else None


def pan_hashes(box: SecretBox, tenant_id: str, pan: str) -> list[str]:
    """The lookup hashes of a PAN under every key of the ring (a lookup matches rows of any key)."""
    return box.keyed_hashes(pan.strip().upper(), f"{tenant_id}/pan")


def rehash_pan(box: SecretBox, row: Any, identity: str) -> None:
    """``after_reseal`` of a sealed identity whose row keeps its PAN's keyed hash in ``pan_hash``."""
    row.pan_hash = pan_hash(box, row.tenant_id, json.loads(identity).get("pan"))


#: an Indian mobile number as people write it: 10 digits from 6–9, optionally after +91, 91 or 0, spaced or hyphenated
INDIAN_MOBILE_PATTERN = r"^\s*(?:(?:\+?91|0)[\s-]?)?[6-9](?:[\s-]?[0-9]){9}\s*$"
_INDIAN_MOBILE = re.compile(INDIAN_MOBILE_PATTERN)


def indian_mobile(phone: str | None) -> str | None:
    """The 10 digits of an Indian mobile number (``+91 98765-43210`` → ``9876543210``); None for anything else."""
    if not phone or not _INDIAN_MOBILE.match(phone):
        return None
    return re.sub(r"\D", "", phone)[-10:]


def phone_hash(box: SecretBox, tenant_id: str, phone: str | None) -> str | None:
    """The lookup hash of an Indian mobile number in one tenant (active key); None without one.

    The number is normalised first (:func:`indian_mobile`), so ``+919876543210`` and ``09876543210`` hash
    alike; scoped by tenant like :func:`pan_hash`. A borrower signing in by OTP is found by it.
    """
    mobile = indian_mobile(phone)
    return box.keyed_hash(mobile, f"{tenant_id}/phone") if mobile else None


def phone_hashes(box: SecretBox, tenant_id: str, phone: str) -> list[str]:
    """The lookup hashes of a mobile number under every key of the ring (empty for a number that is not one)."""
    mobile = indian_mobile(phone)
    return box.keyed_hashes(mobile, f"{tenant_id}/phone") if mobile else []


def rehash_phone(box: SecretBox, row: Any, identity: str) -> None:
    """``after_reseal`` of a sealed identity whose row keeps its mobile number's keyed hash in ``phone_hash``."""
    row.phone_hash = phone_hash(box, row.tenant_id, json.loads(identity).get("phone"))


def redact(secret: str | None) -> str | None:
    """Show at most the last 4 characters of a secret (fewer for short secrets)."""
    if not secret:
        return None
    visible = 4 if len(secret) >= 12 else (2 if len(secret) >= 6 else 0)
    return REDACTED + (secret[-visible:] if visible else "")


def sha256_hex(value: str) -> str:
    """Return the hex SHA-256 of a string (for high-entropy tokens such as API keys)."""
    return hashlib.sha256(value.encode()).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    """Compare two strings in constant time."""
    return hmac.compare_digest(a.encode(), b.encode())


def random_token(nbytes: int = 32) -> str:
    """Return a URL-safe random token."""
    return secrets.token_urlsafe(nbytes)
