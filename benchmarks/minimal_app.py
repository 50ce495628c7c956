"""The reference the HTTP benchmark is read against: the least a FastAPI service can do with the same request.

One ``async`` POST route whose Pydantic body has the same shape as a CreditDesk application (28 typed
fields in four nested models, the body in ``data/sample_application.json``); it validates the body,
computes two ratios and returns a small JSON object. No authentication, no database, no middleware,
no logging. Served by uvicorn with one process, like the embedded mode:

    .venv/bin/uvicorn --app-dir benchmarks minimal_app:app --port 8200 --no-access-log

Whatever CreditDesk costs above this line is its own work (auth, tenancy, scoring, storage, audit);
what this line costs is the floor of Python + uvicorn + FastAPI + Pydantic on this machine.

``POST /webhooks/payments/{tenant}`` is the same floor for the payment-webhook benchmark
(``money_bench.py``): it reads the raw body, checks its HMAC-SHA256 in ``X-Gateway-Signature`` under
``BENCH_WEBHOOK_SECRET`` and validates the gateway event with Pydantic, then answers; nothing is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import date
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field


class Applicant(BaseModel):
    name: str = Field(max_length=200)
    pan: str | None = Field(default=None, pattern=r"^[A-Z]{5}[0-9]{4}[A-Z]$")
    date_of_birth: date
    phone: str | None = None
    email: str | None = None
    employment_type: Literal["salaried", "self_employed", "gig", "farmer", "student", "unemployed"]
    employment_years: float | None = Field(default=None, ge=0)
    monthly_income: float = Field(ge=0)
    existing_emi: float = Field(default=0, ge=0)
    residence_type: str | None = None
    city_tier: int | None = Field(default=None, ge=1, le=3)
    state: str | None = None


class Loan(BaseModel):
    amount: float = Field(gt=0)
    tenure_months: int = Field(gt=0, le=480)
    interest_rate: float = Field(ge=0, le=60)
    purpose: str


class Bureau(BaseModel):
    score: int | None = Field(default=None, ge=300, le=900)
    utilization: float | None = Field(default=None, ge=0)
    dpd_30_last_12m: int | None = Field(default=None, ge=0)
    max_dpd_last_24m: int | None = Field(default=None, ge=0)
    enquiries_last_6m: int | None = Field(default=None, ge=0)
    credit_history_months: int | None = Field(default=None, ge=0)
    active_accounts: int | None = Field(default=None, ge=0)


class AltData(BaseModel):
    avg_monthly_inflow: float | None = Field(default=None, ge=0)
    inflow_regularity: float | None = Field(default=None, ge=0, le=1)
    bounced_emis_last_6m: int | None = Field(default=None, ge=0)
    upi_txn_per_month: float | None = Field(default=None, ge=0)


class Application(BaseModel):
    external_ref: str | None = Field(default=None, max_length=100)
    applicant: Applicant
    loan: Loan
    bureau: Bureau | None = None
    alt_data: AltData | None = None


class Result(BaseModel):
    external_ref: str | None
    emi_to_income: float
    loan_to_income: float


app = FastAPI(title="minimal reference")


@app.post("/score", response_model=Result)
async def score(body: Application) -> Result:
    """Validate, compute two ratios, answer; nothing is stored."""
    income = body.applicant.monthly_income or 1.0
    return Result(
        external_ref=body.external_ref,
        emi_to_income=round(body.applicant.existing_emi / income, 4),
        loan_to_income=round(body.loan.amount / (12 * income), 4),
    )


WEBHOOK_SECRET = os.environ.get("BENCH_WEBHOOK_SECRET", "").encode()


class GatewayPayment(BaseModel):
    id: str = Field(max_length=40)
    amount: int = Field(gt=0)
    status: Literal["created", "captured", "failed"]
    method: Literal["upi", "card", "netbanking"]
    payment_link_id: str | None = None
    created_at: int


class GatewayEvent(BaseModel):
    id: str
    event: str
    account_id: str
    created_at: int
    payload: dict[str, dict[str, dict[str, Any]]]


@app.post("/webhooks/payments/{tenant}")
async def webhook(tenant: str, request: Request) -> dict[str, str]:
    """Verify the signature over the raw body, validate the event and its payment; nothing is stored."""
    body = await request.body()
    expected = hmac.new(WEBHOOK_SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("x-gateway-signature", "")):
        raise HTTPException(401, "the webhook signature does not match its body")
    event = GatewayEvent.model_validate_json(body)
    payment = GatewayPayment.model_validate(event.payload["payment"]["entity"])
    return {"outcome": "applied", "gateway_payment_id": payment.id}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
