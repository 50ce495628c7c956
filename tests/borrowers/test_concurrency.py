"""Ten checks of one valid code at once, over real HTTP: exactly one signs in; none fails with a 5xx."""

from __future__ import annotations

import threading

import httpx
from sqlalchemy import func, select
from tests.borrowers.conftest import ask

from creditdesk.borrowers.models import BorrowerRefreshToken


def test_ten_concurrent_checks_of_one_code_sign_in_once(live_app, client, session, codes, lenders):
    asha = lenders["asha"]
    assert ask(client, asha.tenant.slug, asha.phone).status_code == 202
    body = {"tenant": asha.tenant.slug, "phone": asha.phone, "code": codes.next()}
    start = threading.Barrier(10)
    statuses: list[int] = []
    lock = threading.Lock()

    def check() -> None:
        with httpx.Client(base_url=live_app, timeout=60) as http:
            start.wait()
            status = http.post("/api/v1/borrower-auth/verify", json=body).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=check) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [401] * 9, statuses
    assert session.execute(select(func.count()).select_from(BorrowerRefreshToken)).scalar_one() == 1
