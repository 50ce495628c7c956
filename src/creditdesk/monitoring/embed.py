"""The native embeddable dashboard pages: ``GET /embed/dashboards/{name}?tenant=…&token=…``.

Server-rendered HTML with inline SVG charts — no script, no external resources — opened by a
short-lived embed token (see ``dashboards.py``), so a portal iframe or a partner's page can show a
tenant's dashboard without holding an API credential. Responses are ``no-store``, send no referrer
(the token is in the URL) and may be framed only by the tenant's allowed origins.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from creditdesk.config import get_settings
from creditdesk.db import SessionDep, set_tenant_scope
from creditdesk.errors import AppError
from creditdesk.monitoring import charts, dashboards
from creditdesk.monitoring import service as monitoring
from creditdesk.monitoring.models import DashboardEmbed
from creditdesk.portfolio import analytics
from creditdesk.portfolio.ledger import load_book
from creditdesk.tenancy import clock
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import select_owned

router = APIRouter(include_in_schema=False)
_templates = Environment(loader=PackageLoader("creditdesk", "templates"), autoescape=select_autoescape(["html"]))

ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")
TITLES = {
    "overview": "Portfolio overview",
    "delinquency": "Delinquency trend",
    "npa": "NPA summary",
    "drift": "Model drift",
}


def indian_grouping(value: int) -> str:
    """Group digits the Indian way: 1234567 → 12,34,567."""
    sign, digits = ("-" if value < 0 else ""), str(abs(int(value)))
    if len(digits) <= 3:
        return sign + digits
    head, tail = digits[:-3], digits[-3:]
    groups: list[str] = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    return sign + ",".join([head, *groups, tail]) if head else sign + ",".join([*groups, tail])


def inr(amount: Decimal | float | int | str) -> str:
    """Format rupees compactly the Indian way: ₹4.52 Cr, ₹12.30 L, ₹8,884."""
    value = float(amount)
    if abs(value) >= 1e7:
        whole, fraction = f"{abs(value) / 1e7:.2f}".split(".")
        return f"{'-' if value < 0 else ''}₹{indian_grouping(int(whole))}.{fraction} Cr"
    if abs(value) >= 1e5:
        return f"₹{value / 1e5:.2f} L"
    return f"₹{indian_grouping(round(value))}"


def month_name(key: str) -> str:
    """Return "2026-01" as "Jan 2026"."""
    return date(int(key[:4]), int(key[5:7]), 1).strftime("%b %Y")


def _page(status: int, body: str, frame_ancestors: str = "'self'") -> HTMLResponse:
    headers = {
        "Cache-Control": "no-store",  # Referrer-Policy: no-referrer and nosniff come from the middleware
        "X-Robots-Tag": "noindex",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"frame-ancestors {frame_ancestors}; base-uri 'none'; form-action 'none'",
    }
    return HTMLResponse(body, status_code=status, headers=headers)


def _error(status: int, message: str) -> HTMLResponse:
    return _page(status, _templates.get_template("embed/error.html").render(status=status, message=message))


def _frame_ancestors(session: Any, tenant: Tenant) -> str:
    row = session.execute(select_owned(DashboardEmbed, tenant.id)).scalar_one_or_none()
    origins = [*get_settings().cors_origins, *((row.allowed_origins or []) if row else [])]
    safe = [o for o in origins if ORIGIN.fullmatch(o)]  # validated on save; re-checked as it enters a header
    return " ".join(dict.fromkeys(["'self'", *safe]))


def _delinquency_section(session: Any, tenant: Tenant) -> dict[str, Any]:
    report = monitoring.delinquency(session, tenant=tenant, as_of=None, months=24)
    months = report["months"]
    chart = (
        charts.line_chart(
            [month_name(m["month"]) for m in months],
            [
                ("30+ DPD", [m["dpd30_rate"] for m in months], charts.PALETTE["30+"]),
                ("60+ DPD", [m["dpd60_rate"] for m in months], charts.PALETTE["60+"]),
                ("90+ DPD", [m["dpd90_rate"] for m in months], charts.PALETTE["90+"]),
                ("Gross NPA (amount)", [m["gross_npa_ratio"] for m in months], charts.PALETTE["npa"]),
            ],
            title="Share of active loans past due, by month end",
        )
        if months
        else None
    )
    return {"chart": chart, "rows": months[-12:][::-1], "definition": report["definition"]}


def _npa_section(session: Any, tenant: Tenant) -> dict[str, Any]:
    book = load_book(session, tenant_id=tenant.id)
    as_of = clock.today(tenant)
    report = analytics.npa_breakdown(book, as_of)
    headline = analytics.summary(book, as_of)
    rows = report["classes"]
    colours = [
        charts.PALETTE["npa"]
        if r["npa"]
        else (charts.PALETTE["ok"] if r["asset_class"] == "standard" else charts.PALETTE["warn"])
        for r in rows
    ]
    chart = (
        charts.bar_chart(
            [r["label"] for r in rows],
            [float(r["outstanding"]) for r in rows],
            colours=colours,
            value_labels=[f"{inr(r['outstanding'])} · {r['loans']}" for r in rows],
            title="Outstanding principal by RBI asset class",
        )
        if report["totals"]["loans"]
        else None
    )
    return {"chart": chart, "rows": rows, "totals": report["totals"], "summary": headline}


def _drift_section(session: Any, tenant: Tenant) -> dict[str, Any]:
    report = monitoring.drift(session, tenant=tenant)
    features = report["features"][:15]
    chart = None
    if features:
        warn, alert = report["thresholds"]["warn"], report["thresholds"]["alert"]
        chart = charts.bar_chart(
            [f["label"] for f in features],
            [f["psi"] for f in features],
            colours=[charts.PALETTE[f["level"]] for f in features],
            value_labels=[f"{f['psi']:.3f}" for f in features],
            thresholds=[
                (warn, f"warn {warn:g}", charts.PALETTE["warn"]),
                (alert, f"alert {alert:g}", charts.PALETTE["alert"]),
            ],
            title="Population stability index by feature",
        )
    return {"chart": chart, "report": report}


SECTIONS = {"delinquency": _delinquency_section, "npa": _npa_section, "drift": _drift_section}


@router.get("/embed/dashboards/{name}", response_class=HTMLResponse)
def embed_dashboard(
    name: str,
    session: SessionDep,
    token: str | None = Query(default=None, max_length=4096),
    tenant: str | None = Query(default=None, max_length=40),
) -> HTMLResponse:
    """Render a tenant's dashboard page for a valid embed token."""
    if name not in dashboards.DASHBOARDS:
        return _error(404, f"There is no dashboard called '{name}'.")
    try:
        grant = dashboards.verify_embed_token(token, dashboard=name, tenant_slug=tenant)
    except AppError as exc:
        return _error(exc.status, exc.message)
    owner = session.get(Tenant, grant.tenant_id)
    if owner is None or owner.status != "active":
        return _error(403, "This embed token's organisation is not active.")
    set_tenant_scope(session, owner.id)
    wanted = ("delinquency", "npa", "drift") if name == "overview" else (name,)
    context = {
        "title": TITLES[name],
        "tenant": owner,
        "as_of": clock.today(owner),
        "sections": {key: SECTIONS[key](session, owner) for key in wanted},
        "inr": inr,
        "count": indian_grouping,
        "month": month_name,
        "pct": lambda v: "–" if v is None else charts.percent(v),
    }
    body = _templates.get_template("embed/dashboard.html").render(**context)
    return _page(200, body, _frame_ancestors(session, owner))
