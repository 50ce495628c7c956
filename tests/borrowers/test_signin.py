"""Borrower sign-in by one-time code: the code signs in once, within 5 minutes, before 5 wrong tries; it is
stored only as a keyed hash; and nobody learns from the answers whether a phone number is a customer's."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
from sqlalchemy import select, update
from tests.borrowers.conftest import NOBODY, as_borrower, ask, check, code_in, sign_in

from creditdesk.audit.models import AuditEvent
from creditdesk.borrowers.models import BorrowerOtp, BorrowerRefreshToken
from creditdesk.db import utcnow


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_borrower_signs_in_with_the_code_sent_to_their_phone(client, session, settings, codes, lenders):
    asha = lenders["asha"]
    r = ask(client, asha.tenant.slug, asha.phone)
    assert r.status_code == 202
    assert r.json()["expires_in"] == 300
    # the number may be written as people write it: +91, spaces, a leading 0
    r = check(client, asha.tenant.slug, "0 98123-45670", codes.next())
    assert r.status_code == 200, r.text
    pair = r.json()
    assert set(pair) == {"access_token", "refresh_token", "token_type", "expires_in"} and pair["token_type"] == "bearer"
    claims = jwt.decode(pair["access_token"], settings.jwt_key(), algorithms=["HS256"], issuer="creditdesk")
    assert (claims["role"], claims["sub"], claims["tid"]) == ("borrower", asha.customer_id, asha.tenant.id)
    assert client.get("/api/v1/me/accounts", headers=as_borrower(pair)).status_code == 200
    signed_in = session.execute(select(AuditEvent).where(AuditEvent.action == "borrower.signed_in")).scalar_one()
    assert (signed_in.actor_type, signed_in.actor_id, signed_in.tenant_id) == (
        "borrower",
        asha.customer_id,
        asha.tenant.id,
    )


def test_the_code_is_stored_only_as_a_keyed_hash(client, session, codes, lenders):
    asha = lenders["asha"]
    ask(client, asha.tenant.slug, asha.phone)
    code = codes.next()
    row = session.execute(select(BorrowerOtp)).scalar_one()
    session.commit()
    assert code not in (row.code_hash, row.phone_hash) and len(row.code_hash) == 64
    assert "9812345670" not in row.phone_hash and row.customer_id == asha.customer_id
    assert row.message_id is not None and row.message_id in str(codes.texts[-1])  # the text that carried it
    assert row.expires_at - row.created_at == timedelta(minutes=5) and row.attempts == 0 and row.used_at is None


def test_five_wrong_codes_lock_the_code_until_a_new_one_is_asked_for(client, session, codes, lenders):
    asha = lenders["asha"]
    ask(client, asha.tenant.slug, asha.phone)
    right = codes.next()
    answers = [check(client, asha.tenant.slug, asha.phone, _wrong(right)) for _ in range(5)]
    assert [a.status_code for a in answers] == [401] * 5
    assert [a.json()["error"] for a in answers] == ["InvalidCode"] * 4 + ["CodeLocked"]
    assert len({a.json()["detail"] for a in answers[:4]}) == 1  # one message for every wrong code
    # locked: even the right code fails now
    r = check(client, asha.tenant.slug, asha.phone, right)
    assert r.status_code == 401 and r.json()["error"] == "CodeLocked"
    assert session.execute(select(BorrowerOtp.attempts)).scalar_one() == 5
    locked = session.execute(select(AuditEvent).where(AuditEvent.action == "borrower.code_locked")).scalar_one()
    assert locked.outcome == "denied" and locked.resource_id == asha.customer_id
    session.commit()  # end the read: on SQLite the test session holds the write lock
    # a new code works
    ask(client, asha.tenant.slug, asha.phone)
    assert check(client, asha.tenant.slug, asha.phone, codes.next()).status_code == 200


def test_a_used_code_cannot_be_replayed(client, codes, lenders):
    asha = lenders["asha"]
    sign_in(client, codes, asha)
    r = check(client, asha.tenant.slug, asha.phone, code_in(codes.texts[-1]))
    assert r.status_code == 401 and r.json()["error"] == "InvalidCode"


def test_an_expired_code_fails(client, session, codes, lenders):
    asha = lenders["asha"]
    ask(client, asha.tenant.slug, asha.phone)
    code = codes.next()
    session.execute(update(BorrowerOtp).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    r = check(client, asha.tenant.slug, asha.phone, code)
    assert r.status_code == 401 and r.json()["error"] == "InvalidCode"


def test_a_new_code_supersedes_the_one_before(client, codes, lenders):
    asha = lenders["asha"]
    ask(client, asha.tenant.slug, asha.phone)
    first = codes.next()
    ask(client, asha.tenant.slug, asha.phone)
    second = codes.next()
    if first != second:
        assert check(client, asha.tenant.slug, asha.phone, first).status_code == 401
    assert check(client, asha.tenant.slug, asha.phone, second).status_code == 200


def test_a_code_signs_in_only_at_the_lender_it_was_asked_of(client, codes, lenders):
    asha, meena = lenders["asha"], lenders["meena"]
    ask(client, asha.tenant.slug, asha.phone)
    code = codes.next()
    assert check(client, meena.tenant.slug, asha.phone, code).status_code == 401
    assert check(client, asha.tenant.slug, asha.phone, code).status_code == 200


def _comparable(response) -> tuple:  # type: ignore[no-untyped-def]
    """Everything a caller sees but the request id (and the server's clock, which uvicorn adds)."""
    headers = {k: v for k, v in response.headers.items() if k not in ("x-request-id", "date")}
    return response.status_code, response.content, headers


def test_an_unknown_phone_or_lender_answers_exactly_like_a_known_phone(client, session, settings, codes, lenders):
    settings.borrower_otp_min_response_ms = 200
    asha = lenders["asha"]
    asked = {
        "known": (asha.tenant.slug, asha.phone),
        "unknown phone": (asha.tenant.slug, NOBODY),
        "another lender's customer": (asha.tenant.slug, lenders["meena"].phone),
        "unknown lender": ("no-such-lender", asha.phone),
    }
    answers, took = {}, {}
    for name, (tenant, phone) in asked.items():
        began = time.monotonic()
        answers[name] = ask(client, tenant, phone)
        took[name] = time.monotonic() - began
    assert answers["known"].status_code == 202
    assert {name: _comparable(r) for name, r in answers.items()} == dict.fromkeys(asked, _comparable(answers["known"]))
    assert all(t >= 0.2 for t in took.values()), took  # none answers sooner than the floor
    # each request did the same work: a stored code (only the known number's names a customer)
    rows = session.execute(select(BorrowerOtp.tenant_id, BorrowerOtp.customer_id)).all()
    assert sorted(rows, key=str) == sorted(
        [(asha.tenant.id, asha.customer_id), (asha.tenant.id, None), (asha.tenant.id, None), (None, None)], key=str
    )
    session.commit()
    # and checking a code answers alike too, up to the lock
    for tenant, phone in asked.values():
        wrong = [check(client, tenant, phone, "000000") for _ in range(6)]
        assert [(r.status_code, r.json()["error"]) for r in wrong] == [(401, "InvalidCode")] * 4 + [
            (401, "CodeLocked")
        ] * 2, (tenant, phone)


def test_codes_per_phone_are_limited_whichever_lender_is_named(client, codes, lenders):
    asha = lenders["asha"]
    for tenant in (asha.tenant.slug, "no-such-lender", lenders["meena"].tenant.slug):
        assert ask(client, tenant, asha.phone).status_code == 202
    r = ask(client, asha.tenant.slug, "+91-98123-45670")  # the same number, written otherwise
    assert r.status_code == 429
    assert r.json()["error"] == "RateLimited" and set(r.json()) >= {"detail", "request_id"}
    assert 0 < int(r.headers["retry-after"]) <= 600
    unknown = [ask(client, asha.tenant.slug, NOBODY) for _ in range(4)]
    assert [u.status_code for u in unknown] == [202, 202, 202, 429]  # an unknown number is limited alike
    assert unknown[-1].json()["detail"] == r.json()["detail"]
    assert ask(client, asha.tenant.slug, lenders["ravi"].phone).status_code == 202  # others are not affected


def test_codes_per_address_are_limited(client, codes, lenders):
    bank = lenders["asha"].tenant.slug
    answers = [ask(client, bank, f"+9190000{n:05d}") for n in range(21)]
    assert [a.status_code for a in answers] == [202] * 20 + [429]
    assert answers[-1].json()["error"] == "RateLimited" and int(answers[-1].headers["retry-after"]) > 0


def test_code_checks_per_address_are_limited(client, settings, codes, lenders):
    settings.borrower_verify_rate_limit_per_ip = "3/hour"
    asha = lenders["asha"]
    ask(client, asha.tenant.slug, asha.phone)
    assert [check(client, asha.tenant.slug, asha.phone, "000000").status_code for _ in range(4)] == [401] * 3 + [429]


def test_a_session_refreshes_and_a_reused_refresh_token_ends_it(client, session, codes, lenders):
    pair = sign_in(client, codes, lenders["asha"])
    fresh = client.post("/api/v1/borrower-auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert fresh.status_code == 200
    assert client.get("/api/v1/me/accounts", headers=as_borrower(fresh.json())).status_code == 200
    reused = client.post("/api/v1/borrower-auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert reused.status_code == 401 and reused.json()["error"] == "TokenReuseDetected"
    for tokens in (pair, fresh.json()):  # every token of that sign-in is dead
        assert client.get("/api/v1/me/accounts", headers=as_borrower(tokens)).status_code == 401
    assert None not in session.execute(select(BorrowerRefreshToken.revoked_at)).scalars().all()
    reuse = session.execute(
        select(AuditEvent).where(AuditEvent.action == "borrower.refresh_reuse_detected")
    ).scalar_one()
    assert reuse.outcome == "denied" and reuse.resource_id == lenders["asha"].customer_id
    session.commit()


def test_signing_out_ends_the_session(client, session, codes, lenders):
    pair = sign_in(client, codes, lenders["asha"])
    assert client.post("/api/v1/borrower-auth/logout", json={"refresh_token": pair["refresh_token"]}).status_code == 204
    assert session.execute(select(AuditEvent.actor_type).where(AuditEvent.action == "borrower.signed_out")).one() == (
        "borrower",
    )
    session.commit()
    r = client.get("/api/v1/me/accounts", headers=as_borrower(pair))
    assert r.status_code == 401
    assert (
        client.post("/api/v1/borrower-auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 401
    )
    assert client.post("/api/v1/borrower-auth/logout", json={"refresh_token": "nonsense"}).status_code == 204


def test_a_staff_refresh_token_does_not_refresh_a_borrower_session(client, session, codes, lenders):
    from tests.factories import PASSWORD, make_user

    admin = make_user(session, lenders["asha"].tenant, "tenant_admin")
    session.commit()
    staff = client.post("/api/v1/auth/token", json={"email": admin.email, "password": PASSWORD}).json()
    r = client.post("/api/v1/borrower-auth/refresh", json={"refresh_token": staff["refresh_token"]})
    assert r.status_code == 401
    borrower = sign_in(client, codes, lenders["asha"])
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": borrower["refresh_token"]}).status_code == 401


def test_codes_older_than_a_day_are_tidied_away_by_later_requests(client, session, codes, lenders):
    asha, ravi = lenders["asha"], lenders["ravi"]
    ask(client, asha.tenant.slug, asha.phone)
    ask(client, "no-such-lender", asha.phone)
    session.execute(update(BorrowerOtp).values(created_at=utcnow() - timedelta(days=2)))
    session.commit()

    def stored() -> set[tuple[str | None, str | None, bool]]:
        day_ago = utcnow() - timedelta(days=1)
        rows = session.execute(select(BorrowerOtp.tenant_id, BorrowerOtp.customer_id, BorrowerOtp.created_at)).all()
        session.commit()
        return {(tenant, customer, created < day_ago) for tenant, customer, created in rows}

    ask(client, asha.tenant.slug, ravi.phone)  # a request to the lender tidies the lender's old codes
    assert stored() == {(asha.tenant.id, ravi.customer_id, False), (None, None, True)}
    ask(client, "another-unknown", ravi.phone)  # and one to an unknown lender, those stored without a lender
    assert stored() == {(asha.tenant.id, ravi.customer_id, False), (None, None, False)}
