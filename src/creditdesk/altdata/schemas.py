"""Alternative-data shapes: an application's ``alt_data`` block, one parsed transaction, a row problem,
the features of a statement and its analysis."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from creditdesk.kit.money import Money

Direction = Literal["credit", "debit"]


# The one list of alternative-data inputs: the application body (scoring), the flat batch columns
# ``alt_<field>`` and the model's ``alt_*`` features (ml/features.py) are derived from these fields.
class AltData(BaseModel):
    """Alternative data of one application (bank-statement and UPI aggregates); every field optional."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    avg_monthly_inflow: Money | None = None
    inflow_regularity: float | None = Field(default=None, ge=0, le=1)
    bounced_emis_last_6m: int | None = Field(default=None, ge=0, le=500)
    upi_txn_per_month: float | None = Field(default=None, ge=0, le=100000)
    balance_volatility: float | None = Field(default=None, ge=0, le=100)
    income_seasonality: float | None = Field(default=None, ge=0, le=1)
    digital_footprint_months: float | None = Field(default=None, ge=0, le=1200)


ALT_DATA_FIELDS: tuple[str, ...] = tuple(AltData.model_fields)
"""The keys of an application's ``alt_data`` block, in order."""


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
        """Return the application's ``alt_data`` block (§5), money as Decimal (``months_covered`` is not in it)."""
        return {k: v for k, v in self.model_dump().items() if k in ALT_DATA_FIELDS}


class StatementAnalysis(BaseModel):
    """The outcome of analysing one statement: features (None if no usable row) and row problems."""

    features: AltDataFeatures | None
    errors: list[RowError]
    rows: int
    rows_used: int
