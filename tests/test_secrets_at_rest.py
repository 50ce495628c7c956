"""No password, token or secret appears in clear in the database file or the logs."""

from __future__ import annotations

import csv
import io
import json
import logging
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

from tests.factories import bearer, make_user


def test_no_clear_secrets_in_database_or_logs(client, session, settings, db):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.getLogger().handlers[0].formatter)  # the app's JSON formatter
    logging.getLogger().addHandler(handler)
    root = make_user(session, None, "platform_admin")
    session.commit()
    password = "Unmistakable-Passw0rd-XYZ"
    r = client.post(
        "/api/v1/tenants",
        headers=bearer(root),
        json={
            "slug": "clear-check",
            "name": "C",
            "admin": {"email": "c@clear.example", "name": "C", "password": password},
        },
    )
    assert r.status_code == 201
    tokens = client.post("/api/v1/auth/token", json={"email": "c@clear.example", "password": password}).json()
    client.post("/api/v1/auth/token", json={"email": "c@clear.example", "password": password + "-wrong"})
    key = client.post(
        "/api/v1/tenants/clear-check/api-keys",
        json={"name": "k"},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ).json()["key"]
    secrets = [password, password + "-wrong", key, tokens["refresh_token"], tokens["access_token"], settings.jwt_key()]

    logging.getLogger().removeHandler(handler)
    logs = stream.getvalue()
    assert '"event": "request"' in logs  # sanity: access logs were captured
    for secret in secrets:
        assert secret not in logs
    if not db.is_postgres:
        db.dispose()  # checkpoint the WAL into the main file
        blob = b""
        for suffix in ("", "-wal"):
            path = settings.sqlalchemy_url.removeprefix("sqlite:///") + suffix
            if Path(path).exists():
                blob += Path(path).read_bytes()
        assert b"c@clear.example" in blob  # sanity: we are reading the right file
        for secret in secrets:
            assert secret.encode() not in blob


# ---- personal data at rest (issue 12, item 6) --------------------------------------------------------

SAMPLE = json.loads((Path(__file__).resolve().parents[1] / "data" / "sample_application.json").read_text())


def _ref(name: str) -> str:
    return "PII-" + name.split()[0]


def _applicant(name: str, pan: str, phone: str, email: str) -> dict:
    body = json.loads(json.dumps({k: v for k, v in SAMPLE.items() if k != "pull_bureaus"}))
    body["applicant"].update(name=name, pan=pan, phone=phone, email=email)
    body["external_ref"] = _ref(name)
    return body


#: (name, PAN, phone, e-mail) of every person the test stores: none of them may be found in clear
SINGLE = ("Zara Singleton", "QWEPZ4821M", "+919876501234", "zara.single@pii.example")
REPLAYED = ("Iqbal Replay", "LKJPI3719B", "+919123409876", "iqbal.replay@pii.example")
JSON_ROW = ("Kiran Jsonrow", "RTYPK5930N", "+918765409876", "kiran.jsonrow@pii.example")
CSV_ROW = ("Meera Csvrow", "UIOPL6042Q", "+917654398765", "meera.csvrow@pii.example")
BAD_ROW = ("Nitin Badrow", "ASDPF7153R", "+916543210987", "nitin.badrow@pii.example")
CUSTOMER = ("Dev Borrower", "GHJPD8264S", "+915432176543", "dev.borrower@pii.example")
GUARANTOR = ("Gita Guarantor", "ZXCPV9375T", "+914321098765", None)
PEOPLE = (SINGLE, REPLAYED, JSON_ROW, CSV_ROW, BAD_ROW, CUSTOMER, GUARANTOR)


def _clear_values() -> list[str]:
    values = []
    for _name, pan, phone, email in PEOPLE:
        values += [pan, phone, phone.removeprefix("+91")] + ([email] if email else [])
    return values


def _database_text(settings, db) -> bytes:
    """Every byte the database keeps: the SQLite file and its WAL, or a dump of every PostgreSQL table."""
    if not db.is_postgres:
        db.dispose()  # checkpoint the WAL into the main file
        blob = b""
        for suffix in ("", "-wal"):
            path = Path(settings.sqlalchemy_url.removeprefix("sqlite:///") + suffix)
            if path.exists():
                blob += path.read_bytes()
        return blob
    from sqlalchemy import create_engine, make_url, text
    from tests.conftest import PG_ADMIN_URL

    dbname = make_url(settings.sqlalchemy_url).database
    admin = make_url(PG_ADMIN_URL).set(database=dbname)  # a superuser: row-level security hides nothing
    if shutil.which("pg_dump"):
        libpq = admin.set(drivername="postgresql").render_as_string(hide_password=False)
        done = subprocess.run(["pg_dump", "--data-only", libpq], capture_output=True, timeout=120)
        if done.returncode == 0:
            return done.stdout
    engine = create_engine(admin)
    try:
        with engine.connect() as conn:
            tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
            rows = [
                line
                for t in tables
                for line in conn.execute(text(f'SELECT row_to_json(t)::text FROM "{t}" t')).scalars()  # noqa: S608
            ]
    finally:
        engine.dispose()
    return "\n".join(rows).encode()


CSV_COLUMNS = ["external_ref", "name", "pan", "date_of_birth", "phone", "email", "employment_type", "monthly_income",
               "existing_emi", "loan_amount", "tenure_months", "interest_rate", "purpose"]  # fmt: skip


def _csv(rows: list[tuple[str, str, str, str]], bad: tuple[str, str, str, str]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for (name, pan, phone, email), income in [*((r, 60000) for r in rows), (bad, -5)]:
        loan = [income, 0, 200000, 24, 15, "personal"]
        writer.writerow([_ref(name), name, pan, "1990-05-01", phone, email, "salaried", *loan])
    return buf.getvalue().encode()


def test_no_personal_data_in_clear_at_rest_and_lookups_by_pan_still_work(client, session, settings, db, champion):
    from tests.factories import make_tenant, wait_for_job

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.getLogger().handlers[0].formatter)
    logging.getLogger().addHandler(handler)
    tenant = make_tenant(session)
    officer = make_user(session, tenant, "field_officer")
    admin = make_user(session, tenant, "tenant_admin")
    session.commit()
    base = f"/api/v1/tenants/{tenant.slug}"

    single = client.post(f"{base}/applications", json=_applicant(*SINGLE), headers=bearer(officer))
    assert single.status_code == 201, single.text
    keyed = {**bearer(officer), "Idempotency-Key": "pii-replay"}
    first = client.post(f"{base}/applications", json=_applicant(*REPLAYED), headers=keyed)
    again = client.post(f"{base}/applications", json=_applicant(*REPLAYED), headers=keyed)
    assert first.status_code == again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()  # the replay opens the sealed identity: the same response
    other = _applicant(*REPLAYED) | {"external_ref": "PII-other"}
    assert client.post(f"{base}/applications", json=other, headers=keyed).status_code == 409

    batch_json = json.dumps([_applicant(*JSON_ROW)]).encode()
    csv_file = _csv([CSV_ROW], BAD_ROW)
    for filename, content in (("rows.json", batch_json), ("rows.csv", csv_file)):
        r = client.post(f"{base}/batches", files={"file": (filename, content)}, headers=bearer(officer))
        assert r.status_code == 202, r.text
        assert wait_for_job(client, tenant.slug, r.json()["job_id"], bearer(officer))["status"] == "succeeded"
        results = client.get(f"{base}/batches/{r.json()['batch_id']}/results.csv", headers=bearer(officer)).text
        assert "PII-" in results  # external refs are read back from the sealed rows

    name, pan, phone, email = CUSTOMER
    loan = {
        "customer": {"name": name, "pan": pan, "phone": phone, "email": email, "monthly_income": 50000},
        "principal": "100000", "annual_rate_pct": "12", "tenure_months": 12, "disbursed_on": "2025-01-10",
        "guarantors": [{"name": GUARANTOR[0], "pan": GUARANTOR[1], "phone": GUARANTOR[2], "relationship": "sibling"}],
    }  # fmt: skip
    made = client.post(f"{base}/portfolio/loans", json=loan, headers=bearer(admin))
    assert made.status_code == 201, made.text
    again_loan = client.post(f"{base}/portfolio/loans", json=loan | {"guarantors": []}, headers=bearer(admin))
    assert again_loan.status_code == 201, again_loan.text
    detail = client.get(f"{base}/portfolio/loans/{made.json()['id']}", headers=bearer(admin)).json()
    assert detail["customer_name"] == name
    assert [(g["name"], g["phone"]) for g in detail["guarantors"]] == [(GUARANTOR[0], GUARANTOR[2])]
    listed_loans = client.get(f"{base}/portfolio/loans", params={"as_of": "2025-02-01"}, headers=bearer(admin)).json()
    assert {i["customer_name"] for i in listed_loans["items"]} == {name}

    logging.getLogger().removeHandler(handler)

    # lookups by PAN: applications (single, replayed, batch rows) and the loan book's one customer per PAN
    for person in (SINGLE, REPLAYED, JSON_ROW, CSV_ROW):
        found = client.get(f"{base}/applications", params={"pan": person[1]}, headers=bearer(admin)).json()
        assert [(i["external_ref"], i["applicant_name"]) for i in found["items"]] == [(_ref(person[0]), person[0])]
    lower = client.get(f"{base}/applications", params={"pan": SINGLE[1].lower()}, headers=bearer(admin)).json()
    assert lower["total"] == 1
    assert client.get(f"{base}/applications", params={"pan": "AAAAA0000A"}, headers=bearer(admin)).json()["total"] == 0
    from creditdesk.portfolio.models import Customer
    from creditdesk.portfolio.service import find_customer

    with db.session() as s:
        from creditdesk.db import set_tenant_scope

        set_tenant_scope(s, tenant.id)
        assert (
            find_customer(s, tenant_id=tenant.id, pan=CUSTOMER[1]).id
            == find_customer(s, tenant_id=tenant.id, pan=CUSTOMER[1].lower()).id
        )
        from sqlalchemy import func, select

        assert s.execute(select(func.count(Customer.id)).where(Customer.tenant_id == tenant.id)).scalar_one() == 1

    # stored decisions read back as they were answered
    stored = client.get(f"{base}/applications/{single.json()['application_id']}", headers=bearer(officer)).json()
    answered = single.json()
    # (the POST writes created_at as "+00:00", the GET as "Z": the same instant, an existing difference)
    assert datetime.fromisoformat(stored.pop("created_at")) == datetime.fromisoformat(answered.pop("created_at"))
    assert stored == answered
    assert stored["inputs"]["applicant"]["pan"] == SINGLE[1] and stored["inputs"]["applicant"]["email"] == SINGLE[3]

    blob = _database_text(settings, db)
    assert _ref(SINGLE[0]).encode() in blob  # sanity: external refs are stored in clear, so we read the data
    for value in _clear_values():
        assert value.encode() not in blob, f"{value} is stored in clear"
    logs = stream.getvalue()
    assert '"event": "request"' in logs
    for value in _clear_values():
        assert value not in logs, f"{value} is logged in clear"


def test_migration_0009_seals_existing_rows_and_downgrade_opens_them(tmp_path, monkeypatch):
    """A database with plain personal data (revision 0008) is sealed by 0009 and read back unchanged."""
    from sqlalchemy import create_engine, text

    from creditdesk.config import get_settings
    from creditdesk.kit.crypto import pan_hash, shared_box
    from creditdesk.migrations import alembic_config, upgrade
    from creditdesk.scoring.models import join_identity, open_identity

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0008")
    engine = create_engine(url)
    sent = _applicant(*SINGLE)
    name, pan, phone, email = CUSTOMER
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO tenant (id, slug, name, status, timezone, created_at) VALUES ('t1', 't1', 'T', 'active', 'Asia/Kolkata', '2025-01-01')"))  # fmt: skip  # noqa: E501
        conn.execute(
            text(
                "INSERT INTO application (id, tenant_id, external_ref, applicant_name, request, features, loan_amount,"
                " pd, score, credit_score, decision, reasons, positive_factors, contributions, base_value,"
                " expected_loss, credit_limit, model_id, model_version, policy_version, knockouts, bureau_reports,"
                " created_at, inputs) VALUES ('a1', 't1', 'R1', :name, :request, '{}', 1, 0.1, 90, 800, 'Approve',"
                " '[]', '[]', '[]', 0, 1, 1, 'm', 1, 1, '[]', '[]', '2025-01-01', :inputs)"
            ),
            {"name": SINGLE[0], "request": json.dumps(sent), "inputs": json.dumps(sent)},
        )
        conn.execute(
            text(
                "INSERT INTO customer (id, tenant_id, name, pan, phone, email, date_of_birth, created_at)"
                " VALUES ('c1', 't1', :n, :p, :ph, :e, '1990-05-01', '2025-01-01')"
            ),
            {"n": name, "p": pan, "ph": phone, "e": email},
        )
        conn.execute(text("INSERT INTO batch (id, tenant_id, job_id, filename, format, rows, created_at) VALUES ('b1', 't1', 'j', 'f.csv', 'csv', 1, '2025-01-01')"))  # fmt: skip  # noqa: E501
        conn.execute(
            text(
                "INSERT INTO batch_row (batch_id, row_number, tenant_id, input, parse_error, state)"
                " VALUES ('b1', 1, 't1', :input, :error, 'failed')"
            ),
            {"input": json.dumps(sent), "error": f"bad phone {phone}"},
        )
    engine.dispose()
    upgrade(url, "0009")
    engine = create_engine(url)
    with engine.connect() as conn:
        app = conn.execute(text("SELECT id, tenant_id, identity, pan_hash, request, inputs FROM application")).one()
        customer = conn.execute(text("SELECT identity, pan_hash FROM customer")).one()
        batch_row = conn.execute(text("SELECT input, parse_error FROM batch_row")).one()
    box = shared_box(get_settings().encryption_keyring())
    assert box.open_json(json.loads(batch_row.input), "batch_row.input") == sent
    assert box.open_json(batch_row.parse_error, "batch_row.parse_error") == f"bad phone {phone}"
    identity = open_identity(box, {"id": app.id, "tenant_id": app.tenant_id, "identity": app.identity})
    assert join_identity(json.loads(app.request), identity) == sent
    assert app.pan_hash == pan_hash(box, "t1", SINGLE[1]) and customer.pan_hash == pan_hash(box, "t1", pan)
    assert SINGLE[1] not in app.request + app.inputs + customer.identity
    from alembic import command

    command.downgrade(alembic_config(url), "0008")
    with engine.connect() as conn:
        back = conn.execute(text("SELECT applicant_name, request FROM application")).one()
        people = conn.execute(text("SELECT name, pan, phone, email FROM customer")).one()
        batch_row = conn.execute(text("SELECT input, parse_error FROM batch_row")).one()
    engine.dispose()
    assert json.loads(batch_row.input) == sent and batch_row.parse_error == f"bad phone {phone}"
    assert back.applicant_name == SINGLE[0] and json.loads(back.request) == sent
    assert tuple(people) == CUSTOMER


def test_rotation_reseals_identities_and_pan_lookups_survive_it(client, session, settings, db, champion, monkeypatch):
    """After a new key goes first in the ring, old rows stay readable and findable; `keys rotate` moves them."""
    from tests.factories import make_tenant

    from creditdesk.cli import rotate_keys
    from creditdesk.config import generate_encryption_key, get_settings
    from creditdesk.db import set_tenant_scope
    from creditdesk.kit.crypto import SecretBox

    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    session.commit()
    base = f"/api/v1/tenants/{tenant.slug}"
    decided = client.post(f"{base}/applications", json=_applicant(*SINGLE), headers=bearer(admin)).json()
    loan = {"customer": {"name": CUSTOMER[0], "pan": CUSTOMER[1]}, "principal": "1000", "annual_rate_pct": "12",
            "tenure_months": 6, "disbursed_on": "2025-01-10"}  # fmt: skip
    assert client.post(f"{base}/portfolio/loans", json=loan, headers=bearer(admin)).status_code == 201

    old, new = settings.encryption_keys.get_secret_value(), generate_encryption_key("k9")
    monkeypatch.setenv("CREDITDESK_ENCRYPTION_KEYS", f"{new},{old}")
    get_settings.cache_clear()
    box = SecretBox(get_settings().encryption_keyring())
    assert box.active_kid == "k9"
    # before re-sealing: read and found through the old key
    found = client.get(f"{base}/applications", params={"pan": SINGLE[1]}, headers=bearer(admin)).json()
    assert [i["application_id"] for i in found["items"]] == [decided["application_id"]]
    again = client.post(f"{base}/portfolio/loans", json=loan, headers=bearer(admin)).json()
    with db.session() as s:
        set_tenant_scope(s, None)
        report = rotate_keys(s, box=box)  # what `creditdesk keys rotate` runs
        s.commit()
    assert (report.rotated, report.failed) == (2, [])  # the application and the customer (one per PAN)
    monkeypatch.setenv("CREDITDESK_ENCRYPTION_KEYS", new)  # the old key leaves the ring
    get_settings.cache_clear()
    found = client.get(f"{base}/applications", params={"pan": SINGLE[1]}, headers=bearer(admin)).json()
    assert [i["applicant_name"] for i in found["items"]] == [SINGLE[0]]
    stored = client.get(f"{base}/applications/{decided['application_id']}", headers=bearer(admin)).json()
    assert stored["inputs"]["applicant"]["pan"] == SINGLE[1]
    assert again["customer_name"] == CUSTOMER[0]
    listed = client.get(f"{base}/portfolio/loans", params={"as_of": "2025-02-01"}, headers=bearer(admin)).json()
    assert {i["customer_name"] for i in listed["items"]} == {CUSTOMER[0]}
