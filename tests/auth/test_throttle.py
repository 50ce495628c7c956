"""Sign-in throttling: per address and per (account, address) — a wrong password is no free lockout."""

from __future__ import annotations

import time

from sqlalchemy import select
from tests.auth.conftest import FIRST_ADDRESS
from tests.factories import PASSWORD, make_tenant, make_user

from creditdesk.audit.models import AuditEvent
from creditdesk.auth import service


def _login(client, email, password, headers=None):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password}, headers=headers)


def _assert_throttled(r):
    assert r.status_code == 429, r.text
    assert {"error", "detail", "request_id"} <= set(r.json()) and r.json()["error"] == "RateLimited"
    assert int(r.headers["Retry-After"]) >= 1


def test_spraying_from_one_address_does_not_stop_a_sign_in_from_another(client, other_client, session, db):
    tenant = make_tenant(session)
    emails = [f"user{i}@lender.example" for i in range(10)]
    for email in emails:
        make_user(session, tenant, "field_officer", email=email)
    session.commit()

    answers = [_login(client, emails[i % 10], f"Guess-{i}-2026").status_code for i in range(50)]

    assert answers[:20] == [401] * 20  # two rounds of wrong passwords, then the address is held back
    assert set(answers) == {401, 429} and answers[-1] == 429
    _assert_throttled(_login(client, emails[0], PASSWORD))  # the sprayer is throttled even with a right password
    for email in emails:  # every targeted user still signs in from their own address
        assert _login(other_client, email, PASSWORD).status_code == 200, email
    with db.session() as s:
        sprays = s.execute(select(AuditEvent).where(AuditEvent.action == "auth.spraying_detected")).scalars().all()
        failed = s.execute(select(AuditEvent).where(AuditEvent.action == "auth.login.failed")).scalars().all()
    assert len(sprays) == 1 and sprays[0].details["ip"] == FIRST_ADDRESS and sprays[0].details["accounts"] >= 5
    assert len(failed) == answers.count(401)  # every password check that failed is audited


def test_back_off_grows_after_the_second_failure(client, session, clock):
    make_user(session, None, "risk_analyst", email="slow@platform.example")
    session.commit()
    assert _login(client, "slow@platform.example", "Wrong-password-1").status_code == 401
    assert _login(client, "slow@platform.example", "Wrong-password-2").status_code == 401
    first_wait = _login(client, "slow@platform.example", PASSWORD)
    _assert_throttled(first_wait)
    assert first_wait.headers["Retry-After"] == "1"
    clock.advance(1)
    assert _login(client, "slow@platform.example", "Wrong-password-3").status_code == 401
    second_wait = _login(client, "slow@platform.example", PASSWORD)
    _assert_throttled(second_wait)
    assert second_wait.headers["Retry-After"] == "2"
    clock.advance(2)
    assert _login(client, "slow@platform.example", PASSWORD).status_code == 200  # and the count starts over
    assert _login(client, "slow@platform.example", "Wrong-password-4").status_code == 401
    assert _login(client, "slow@platform.example", "Wrong-password-5").status_code == 401


def test_address_limit_on_sign_in_and_refresh(client, other_client, session, settings):
    settings.login_rate_limit_per_ip = "3/minute"
    settings.refresh_rate_limit_per_ip = "2/minute"
    make_user(session, None, "platform_admin", email="root@platform.example")
    session.commit()
    pair = _login(client, "root@platform.example", PASSWORD).json()
    assert _login(client, "root@platform.example", PASSWORD).status_code == 200
    assert _login(client, "root@platform.example", PASSWORD).status_code == 200
    _assert_throttled(_login(client, "root@platform.example", PASSWORD))
    assert _login(other_client, "root@platform.example", PASSWORD).status_code == 200
    for _ in range(2):
        assert client.post("/api/v1/auth/refresh", json={"refresh_token": "not-a-token"}).status_code == 401
    _assert_throttled(client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}))
    assert other_client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 200


def test_forwarded_for_is_not_trusted_from_an_untrusted_peer(client, other_client, session, clock):
    make_user(session, None, "risk_analyst", email="victim@platform.example")
    session.commit()
    for _ in range(5):  # an attacker pretending to be the victim's address
        r = _login(client, "victim@platform.example", "Wrong-1", headers={"X-Forwarded-For": "198.51.100.20"})
        assert r.status_code == 401
        clock.advance(60)
    assert _login(client, "victim@platform.example", PASSWORD).json()["error"] == "AccountLocked"
    assert _login(other_client, "victim@platform.example", PASSWORD).status_code == 200


def test_login_work_is_uniform(client, session, clock, monkeypatch):
    """Unknown e-mail, wrong password and a locked pair all do one Argon2 check; throttled refusals do none."""
    make_user(session, None, "risk_analyst", email="known@platform.example")
    session.commit()
    calls: list[bool] = []
    real = service.verify_password

    def counting(stored_hash, password):  # type: ignore[no-untyped-def]
        calls.append(stored_hash is None)
        return real(stored_hash, password)

    monkeypatch.setattr(service, "verify_password", counting)

    def timed(email, password):  # type: ignore[no-untyped-def]
        calls.clear()
        started = time.perf_counter()
        r = _login(client, email, password)
        return r, time.perf_counter() - started, len(calls)

    unknown, t_unknown, n_unknown = timed("ghost@platform.example", "Wrong-password-1")
    wrong, t_wrong, n_wrong = timed("known@platform.example", "Wrong-password-1")
    assert unknown.json()["detail"] == wrong.json()["detail"] and (n_unknown, n_wrong) == (1, 1)
    clock.advance(60)
    assert timed("known@platform.example", "Wrong-password-2")[0].status_code == 401
    throttled, _, n_throttled = timed("known@platform.example", "Wrong-password-3")
    assert throttled.status_code == 429 and n_throttled == 0
    for _ in range(3):
        clock.advance(60)
        timed("known@platform.example", "Wrong-password-5")
    locked, t_locked, n_locked = timed("known@platform.example", PASSWORD)
    assert locked.json()["error"] == "AccountLocked" and n_locked == 1
    # uniform work is asserted by counting Argon2 checks (above); wall-clock time on a shared machine is
    # not a test (timings belong in benchmarks), it is only reported
    print(f"login timings: unknown {t_unknown:.3f} s, wrong {t_wrong:.3f} s, locked {t_locked:.3f} s")
