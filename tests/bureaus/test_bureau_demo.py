"""Demo seeding: the demo tenant's bureaus point at the server's own simulators, on the port it serves."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from tests.bureaus.helpers import serve
from tests.factories import bearer

from creditdesk.bureaus.demo import seed_bureaus
from creditdesk.bureaus.schemas import BUREAUS
from creditdesk.kit.ssrf import points_at_local
from creditdesk.tenancy.demo import seed_users
from creditdesk.tenancy.models import User


def seed(db, settings) -> None:  # type: ignore[no-untyped-def]
    """The demo seeders this domain needs (the model and portfolio seeders are slow and beside the point)."""
    for seeder in (seed_users, seed_bureaus):
        with db.session() as s, s.begin():
            seeder(s, settings)


def test_demo_bureaus_answer_through_the_running_server(app, db, settings):
    """Run the main app on a real socket; the seeded configs call its own /simulators over HTTP."""
    with serve(app) as base:
        settings.public_base_url = base
        seed(db, settings)
        with db.session() as s:
            analyst = s.execute(select(User).where(User.email == "analyst@creditdesk.demo")).scalar_one()
            headers = bearer(analyst)
        slug = settings.demo_tenant_slug
        with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
            items = http.get(f"/api/v1/tenants/{slug}/bureaus").json()["items"]
            assert [(i["bureau"], i["enabled"], i["endpoint_url"]) for i in items] == [
                (b, True, f"{base}/simulators/{b}") for b in BUREAUS
            ]
            assert all(i["updated_by"] == "system" for i in items)
            for bureau in BUREAUS:
                check = http.post(f"/api/v1/tenants/{slug}/bureaus/{bureau}/test").json()
                assert check["ok"] is True, (bureau, check)


def test_reseeding_follows_a_new_port_but_leaves_a_user_choice_alone(client, db, settings):
    settings.public_base_url = "http://127.0.0.1:8000"
    seed(db, settings)
    with db.session() as s:
        analyst = s.execute(select(User).where(User.email == "analyst@creditdesk.demo")).scalar_one()
        headers = bearer(analyst)
    url = f"/api/v1/tenants/{settings.demo_tenant_slug}/bureaus"
    r = client.put(f"{url}/crif", json={"endpoint_url": "https://crif-uat.example/hm"}, headers=headers)
    assert r.status_code == 200
    before = {i["bureau"]: i for i in client.get(url, headers=headers).json()["items"]}

    settings.public_base_url = "http://localhost:9123"  # the demo restarted on another port
    with db.session() as s, s.begin():
        seed_bureaus(s, settings)
        seed_bureaus(s, settings)  # idempotent
    after = {i["bureau"]: i for i in client.get(url, headers=headers).json()["items"]}
    assert after["cibil"]["endpoint_url"] == "http://localhost:9123/simulators/cibil"
    assert after["experian"]["endpoint_url"] == "http://localhost:9123/simulators/experian"
    assert after["crif"]["endpoint_url"] == "https://crif-uat.example/hm"
    assert after["cibil"]["credentials"] == before["cibil"]["credentials"]  # secrets untouched


def test_only_local_simulator_urls_are_moved():
    assert points_at_local("http://127.0.0.1:8000/simulators/cibil", "/simulators/cibil")
    assert points_at_local("http://localhost:9/simulators/crif/", "/simulators/crif")
    assert not points_at_local("http://127.0.0.1:8000/simulators/cibil", "/simulators/crif")
    assert not points_at_local("https://bureau.example/simulators/cibil", "/simulators/cibil")
