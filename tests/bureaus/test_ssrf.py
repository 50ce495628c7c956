"""SSRF: outside demo/dev mode a bureau endpoint must reach a public address."""

from __future__ import annotations

import socket

import pytest
from tests.bureaus.helpers import put_body
from tests.factories import bearer, make_tenant, make_user

from creditdesk.kit.ssrf import UnsafeEndpoint, check_endpoint


def resolver(*addresses: str):  # type: ignore[no-untyped-def]
    """A fake getaddrinfo answering ``addresses`` for any host."""

    def resolve(host: str, port: int, **_: object) -> list[tuple[object, ...]]:
        family = socket.AF_INET6 if ":" in addresses[0] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    return resolve


def failing_resolver(host: str, port: int, **_: object) -> list[tuple[object, ...]]:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/simulators/cibil",
        "http://localhost/x",
        "http://10.1.2.3/x",
        "http://172.16.0.9/x",
        "http://192.168.1.20/x",
        "http://169.254.169.254/latest/meta-data",  # cloud metadata
        "http://100.64.0.1/x",  # carrier-grade NAT
        "http://0.0.0.0/x",
        "http://[::1]/x",
        "http://[fd00::1]/x",
        "http://[::ffff:127.0.0.1]/x",  # IPv4-mapped loopback
        "http://2130706433/x",  # 127.0.0.1 written as one number
    ],
)
def test_non_public_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeEndpoint, match="private, loopback or link-local"):
        check_endpoint(url, allow_private=False)


def test_a_public_name_that_resolves_inward_is_refused() -> None:
    with pytest.raises(UnsafeEndpoint, match=r"'bureau\.example' resolves to .*10\.0\.0\.7"):
        check_endpoint("https://bureau.example/v1", allow_private=False, resolve=resolver("203.0.113.9", "10.0.0.7"))
    # every address must be public, not just the first
    assert check_endpoint("https://bureau.example/v1", allow_private=False, resolve=resolver("8.8.8.8")) == (
        "https://bureau.example/v1"
    )


def test_unresolvable_hosts_bad_schemes_and_embedded_credentials_are_refused() -> None:
    with pytest.raises(UnsafeEndpoint, match="cannot be resolved"):
        check_endpoint("https://nowhere.invalid/", allow_private=False, resolve=failing_resolver)
    for url, reason in (
        ("ftp://8.8.8.8/x", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("gopher://8.8.8.8:70/x", "http:// or https://"),
        ("https://user:pw@8.8.8.8/x", "must not contain credentials"),
        ("https:///path-only", "must name a host"),
        ("https://8.8.8.8:99999/x", "not a valid URL"),
    ):
        with pytest.raises(UnsafeEndpoint, match=reason):
            check_endpoint(url, allow_private=True)


def test_the_setting_allows_private_endpoints() -> None:
    assert check_endpoint("http://10.0.0.7:8443/bureau", allow_private=True) == "http://10.0.0.7:8443/bureau"


@pytest.fixture
def production(settings):  # type: ignore[no-untyped-def]
    settings.mode = "production"
    yield settings
    settings.mode = "dev"


def test_production_refuses_private_endpoints_over_the_api(client, session, production):
    tenant = make_tenant(session, "prod-lender")
    admin = bearer(make_user(session, tenant, "tenant_admin"))
    session.commit()
    url = f"/api/v1/tenants/{tenant.slug}/bureaus/cibil"
    for endpoint in ("http://127.0.0.1:8000/simulators", "http://169.254.169.254/latest", "http://[::1]:9/x"):
        r = client.put(url, json=put_body("cibil", endpoint), headers=admin)
        assert r.status_code == 422, r.text
        assert r.json()["fields"][0]["field"] == "body.endpoint_url"
        assert "private, loopback or link-local" in r.json()["detail"]
    # a public address is fine (nothing is called when saving)
    assert client.put(url, json=put_body("cibil", "https://8.8.8.8/bureau"), headers=admin).status_code == 200
    # and a lender with a private link to its bureau can allow private endpoints
    production.allow_private_endpoints = True
    r = client.put(url, json=put_body("cibil", "http://10.20.0.5:8443/bureau"), headers=admin)
    assert r.status_code == 200 and r.json()["endpoint_url"] == "http://10.20.0.5:8443/bureau/cibil"


def test_the_endpoint_is_checked_again_before_each_call(client, session, settings, live_simulators):
    tenant = make_tenant(session, "moved-lender")
    admin = bearer(make_user(session, tenant, "tenant_admin"))
    session.commit()
    url = f"/api/v1/tenants/{tenant.slug}/bureaus/crif"
    assert client.put(url, json=put_body("crif", live_simulators[0]), headers=admin).status_code == 200  # dev mode
    assert client.post(f"{url}/test", headers=admin).json()["ok"] is True
    settings.mode = "production"  # the same stored URL is now out of bounds
    try:
        check = client.post(f"{url}/test", headers=admin).json()
    finally:
        settings.mode = "dev"
    assert check["ok"] is False and "CRIF High Mark endpoint refused" in check["error"]
