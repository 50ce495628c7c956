"""A customer is found by the keyed hash of their mobile number: written with their identity, recomputed when
the keys rotate, and filled in for customers stored before it existed (migration 0019)."""

from __future__ import annotations

import base64
import json
from datetime import date

import pytest
from sqlalchemy import create_engine, text
from tests.borrowers.conftest import disburse
from tests.factories import make_tenant

from creditdesk.config import generate_encryption_key
from creditdesk.kit.crypto import SecretBox, indian_mobile, personal_data_box, phone_hash, reseal_all
from creditdesk.migrations import upgrade
from creditdesk.portfolio.models import Customer


@pytest.mark.parametrize(
    ("written", "digits"),
    [
        ("+919812345678", "9812345678"),
        ("919812345678", "9812345678"),
        ("09812345678", "9812345678"),
        ("+91 98123-45678", "9812345678"),
        ("9812345678", "9812345678"),
        ("5812345678", None),  # not a mobile number
        ("+14155550100", None),  # not Indian
        ("98123456", None),
        (None, None),
    ],
)
def test_an_indian_mobile_number_is_its_ten_digits(written, digits):
    assert indian_mobile(written) == digits


def test_the_hash_is_keyed_and_scoped_by_tenant():
    box = personal_data_box()
    assert phone_hash(box, "t1", "+919812345678") == phone_hash(box, "t1", "09812345678")
    assert phone_hash(box, "t1", "+919812345678") != phone_hash(box, "t2", "+919812345678")
    other = SecretBox([("k9", bytes(32))])
    assert phone_hash(other, "t1", "+919812345678") != phone_hash(box, "t1", "+919812345678")
    assert phone_hash(box, "t1", "12345") is None


def test_a_customer_keeps_the_hash_of_their_phone_and_a_rotation_recomputes_it(session, settings):
    bank = make_tenant(session)
    customer = session.get(
        Customer, disburse(session, bank, "+919812345678", disbursed_on=date(2026, 1, 5)).customer_id
    )
    no_phone = session.get(Customer, disburse(session, bank, None, disbursed_on=date(2026, 1, 5)).customer_id)
    old = personal_data_box()
    assert customer.phone_hash == phone_hash(old, bank.id, "9812345678") and no_phone.phone_hash is None

    kid, key = generate_encryption_key("k7").split(":")
    new = SecretBox([(kid, base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))), *settings.encryption_keyring()])
    reseal_all(session, new)
    assert customer.phone_hash == phone_hash(new, bank.id, "9812345678") != phone_hash(old, bank.id, "9812345678")
    assert no_phone.phone_hash is None
    session.rollback()


def test_migration_0019_fills_in_the_hash_of_customers_stored_before(tmp_path):
    url = f"sqlite:///{tmp_path / 'before.db'}"
    upgrade(url, "0018")
    box = personal_data_box()
    people = {"c-phone": "+919812345678", "c-spaced": "098123 45678", "c-landline": "02223456789", "c-none": None}
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO tenant (id, slug, name, status, timezone, data_region, created_at) "
                "VALUES ('t-1', 'before', 'Before', 'active', 'Asia/Kolkata', 'default', '2026-01-01 00:00:00')"
            )
        )
        for cid, phone in people.items():
            identity = {"name": cid, **({"phone": phone} if phone else {})}
            sealed = box.seal_json(identity, f"t-1/customer/{cid}/identity")
            conn.execute(
                text("INSERT INTO customer (id, tenant_id, identity, created_at) VALUES (:i, 't-1', :s, :c)"),
                {"i": cid, "s": sealed, "c": "2026-01-01 00:00:00"},
            )
    upgrade(url)
    with engine.begin() as conn:
        found = dict(conn.execute(text("SELECT id, phone_hash FROM customer")).tuples().all())
    engine.dispose()
    mine = phone_hash(box, "t-1", "9812345678")
    assert found == {"c-phone": mine, "c-spaced": mine, "c-landline": None, "c-none": None}
    assert json.dumps(found).count("9812345678") == 0
