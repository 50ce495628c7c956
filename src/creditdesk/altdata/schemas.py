"""Alternative-data shapes: one parsed transaction, a row problem, the features, a statement's analysis."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, StrictBool

Direction = Literal["credit", "debit"]


class Transaction(BaseModel):
    """One bank-statement or UPI transaction, normalised."""

    row: int = Field(description="Row number in the input, from 1 (the first data row)")
    on: date
    amount: Decimal = Field(gt=0, description="Rupees, always positive; see direction")
    direction: Direction
    balance: Decimal | None = None
    narration: str = ""
    channel: str | None = None
    bounce: StrictBool = False


class RowError(BaseModel):
    """Why one input row was not used."""

    row: int
    field: str | None = None
    message: str


class AltDataFeatures(BaseModel):
    """Features derived from a transaction history (definitions in ``altdata.features``)."""

    avg_monthly_inflow: Decimal
    inflow_regularity: float | None = Field(default=None, ge=0, le=1)
    balance_volatility: float | None = Field(default=None, ge=0)
    bounced_emis_last_6m: int = Field(ge=0)
    upi_txn_per_month: float = Field(ge=0)
    income_seasonality: float | None = Field(default=None, ge=0, le=1)
    months_covered: int = Field(ge=1)

    def to_application_alt_data(self) -> dict[str, Any]:
        """Return the application's ``alt_data`` block (§5), money as Decimal."""
        return self.model_dump()


class StatementAnalysis(BaseModel):
    """The outcome of analysing one statement: features (None if no usable row) and row problems."""

    features: AltDataFeatures | None
    errors: list[RowError]
    rows: int
    rows_used: int
