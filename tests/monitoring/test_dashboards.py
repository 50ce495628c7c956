"""Dashboard embedding: settings with a redacted secret, native embed pages, and the Power BI exchange."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select
from tests.factories import bearer
from tests.portfolio.fixtures import make_lender, seed_book

from creditdesk.audit.models import AuditEvent
from creditdesk.db import get_database
from creditdesk.monitoring import dashboards, powerbi
from creditdesk.monitoring.models import DashboardEmbed


class AppTransport(httpx.BaseTransport):
    """Send the server's outbound Power BI calls back into the app under test (the simulator)."""

    def __init__(self, client):
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        r = self.client.request(request.method, str(request.url), headers=dict(request.headers), content=request.read())
        return httpx.Response(r.status_code, headers=r.headers, content=r.content, request=request)


def embed_token(client, lender, dashboard="delinquency", role="admin"):
    r = client.post(
        f"{lender.base}/dashboards/embed-token", json={"dashboard": dashboard}, headers=lender.headers(role)
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_native_embed_token_opens_the_dashboard_page_and_nothing_else(client, session, monkeypatch):
    lender = make_lender(session)
    other = make_lender(session)
    session.commit()
    seed_book(session, lender, up_to_today=True)
    issued = embed_token(client, lender)
    assert issued["provider"] == "native" and issued["url"].startswith("/embed/dashboards/delinquency?")
    expires_in = issued["expires_at"]
    assert expires_in and parse_qs(urlsplit(issued["url"]).query)["tenant"] == [lender.tenant.slug]

    page = client.get(issued["url"])  # no credentials but the token
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Delinquency trend" in page.text and page.text.count("<svg") >= 1 and "<polyline" in page.text
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
    assert "<script" not in page.text

    for name, marker in (("npa", "Sub-standard"), ("drift", "Model drift"), ("overview", "NPA summary")):
        shown = client.get(embed_token(client, lender, name, role="auditor")["url"])
        assert shown.status_code == 200 and marker in shown.text, name

    token = issued["token"]
    path = "/embed/dashboards/delinquency"
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert client.get(path, params={"token": tampered}).status_code == 401
    assert client.get(path).status_code == 401
    assert client.get(path, params={"token": bearer(lender.admin)["Authorization"][7:]}).status_code == 401
    assert client.get("/embed/dashboards/npa", params={"token": token}).status_code == 403  # another dashboard
    foreign = client.get(path, params={"token": token, "tenant": other.tenant.slug})
    assert foreign.status_code == 403 and "another tenant" in foreign.text
    assert client.get("/embed/dashboards/nope", params={"token": token}).status_code == 404
    monkeypatch.setattr(dashboards, "EMBED_TTL", timedelta(seconds=-5))
    expired = embed_token(client, lender)
    assert client.get(expired["url"]).status_code == 401

    assert (
        client.post(
            f"{lender.base}/dashboards/embed-token",
            json={"dashboard": "delinquency"},
            headers=lender.headers("officer"),
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"{other.base}/dashboards/embed-token", json={"dashboard": "delinquency"}, headers=lender.headers()
        ).status_code
        == 404
    )


def test_power_bi_settings_keep_the_secret_and_the_exchange_runs_against_the_simulator(client, session, monkeypatch):
    lender = make_lender(session)
    session.commit()
    url = f"{lender.base}/dashboards/embed"
    assert client.get(url, headers=lender.headers()).json()["provider"] == "native"
    assert client.get(url, headers=lender.headers("officer")).status_code == 403
    assert client.put(url, json={"provider": "powerbi", "report_id": "r"}, headers=lender.headers()).status_code == 422

    sandbox = client.get("/simulators/powerbi/sandbox-credentials").json()
    secret = sandbox["credentials"]["client_secret"]
    saved = client.put(
        url, json={**sandbox, "allowed_origins": ["https://portal.lender.example"]}, headers=lender.headers()
    )
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["provider"] == "powerbi" and body["credentials"]["client_secret"] == "••••••" + secret[-4:]
    assert secret not in saved.text and secret not in client.get(url, headers=lender.headers()).text
    with get_database().session() as s:
        row = s.execute(select(DashboardEmbed)).scalar_one()
        assert secret not in str(row.secrets) and row.secrets["client_secret"].startswith("v1:")
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "dashboards.embed_updated")).scalar_one()
        assert event.details["secrets_changed"] == ["client_secret"] and secret not in str(event.details)

    monkeypatch.setattr(powerbi, "http_client", lambda: httpx.Client(transport=AppTransport(client)))
    issued = embed_token(client, lender)
    assert issued["provider"] == "powerbi" and issued["token"].startswith("H4sI")
    assert issued["url"] == sandbox["embed_url"] and issued["report_id"] == sandbox["report_id"]

    # omitting the secret keeps it; a wrong secret is refused by (simulated) Azure AD
    kept = client.put(url, json={k: v for k, v in sandbox.items() if k != "credentials"}, headers=lender.headers())
    assert kept.json()["credentials"]["client_secret"] == "••••••" + secret[-4:]
    client.put(url, json={**sandbox, "credentials": {"client_secret": "not-the-secret"}}, headers=lender.headers())
    refused = client.post(f"{lender.base}/dashboards/embed-token", json={"dashboard": "npa"}, headers=lender.headers())
    assert refused.status_code == 502 and "Azure AD refused" in refused.json()["detail"]
    assert "not-the-secret" not in refused.text


@pytest.mark.parametrize("origin", ["javascript:alert(1)", "https://a.example; script-src *"])
def test_allowed_origins_must_be_origins(client, session, origin):
    lender = make_lender(session)
    session.commit()
    r = client.put(
        f"{lender.base}/dashboards/embed",
        json={"provider": "native", "allowed_origins": [origin]},
        headers=lender.headers(),
    )
    assert r.status_code == 422
