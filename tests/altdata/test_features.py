"""Alternative-data features from a bank statement, checked against numbers worked out by hand."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from creditdesk.altdata.features import StatementError, analyse_statement, compute_features, parse_transactions
from creditdesk.altdata.schemas import ALT_DATA_FIELDS, AltData
from creditdesk.ml.features import ALT_FEATURES, ALT_FIELDS
from creditdesk.scoring.batches import ALT_COLUMNS

# A salaried borrower's statement, Jan–Mar 2025 (one row is broken on purpose):
#   inflows by month: Jan 30,000 · Feb 50,000 (salary; the NACH reversal credit is not income) · Mar 40,000
#   UPI rows: 4 (two in Jan, one in Feb, one in Mar) over 3 months
#   one EMI bounce in Feb (the bank's bounce charge is not a second bounce)
STATEMENT = """Date,Narration,Amount,Direction,Balance,Channel
01-01-2025,SALARY ACME LTD,30000,CR,35000,NEFT
03-01-2025,UPI/ZOMATO/food,500,DR,34500,UPI
03-01-2025,UPI/GROCER/veg,1500,DR,33000,
05-02-2025,NACH DEBIT HDFC EMI,8000,DR,25000,
05-02-2025,NACH RETURN HDFC EMI,8000,CR,33000,
06-02-2025,ECS RTN CHGS INCL GST,590,DR,32410,
10-02-2025,SALARY ACME LTD,"50,000.00",credit,82410,
oops,broken row,1,CR,,
15-02-2025,UPI-P2P-RENT,12000,debit,70410,UPI
01-03-2025,SALARY ACME LTD,₹40000,C,110410,
20-03-2025,UPI/ELECTRICITY,2410,D,108000,UPI
"""


def test_a_hand_computed_statement() -> None:
    analysis = analyse_statement(STATEMENT)
    assert analysis.rows == 11 and analysis.rows_used == 10
    assert [(e.row, e.field) for e in analysis.errors] == [(8, "date")]
    f = analysis.features
    assert f is not None
    assert f.months_covered == 3
    # (30,000 + 50,000 + 40,000) / 3
    assert f.avg_monthly_inflow == Decimal("40000.00")
    # mean 40,000; population sd = sqrt((10,000² + 10,000² + 0) / 3) = 8,164.97; CV = 0.204124; 1 − CV
    assert f.inflow_regularity == 0.7959
    assert f.bounced_emis_last_6m == 1
    assert f.upi_txn_per_month == 1.33  # 4 / 3
    assert f.income_seasonality is None  # needs at least 4 months
    # end-of-day balances: 35,000 (1 Jan), 33,000 (3 Jan), 33,000 (5 Feb), 32,410 (6 Feb),
    # 82,410 (10 Feb), 70,410 (15 Feb), 1,10,410 (1 Mar), 1,08,000 (20 Mar)
    # mean = 5,04,640 / 8 = 63,080; population sd = sqrt(8,22,40,61,200 / 8) = 32,062.56; CV = 0.50829
    assert f.balance_volatility == 0.5083
    assert f.to_application_alt_data()["avg_monthly_inflow"] == Decimal("40000.00")


def test_the_farmer_with_seasonal_income() -> None:
    # 12 months; harvest receipts in Apr (1,20,000), Oct (90,000), Nov (30,000) and 5,000 in each other month.
    rows = []
    for month in range(1, 13):
        amount = {4: 120000, 10: 90000, 11: 30000}.get(month, 5000)
        rows.append({"date": f"2024-{month:02d}-15", "amount": amount, "narration": "MANDI PAYMENT"})
    f = analyse_statement(rows).features
    assert f is not None and f.months_covered == 12
    # total = 2,40,000 + 9 × 5,000 = 2,85,000 → 23,750 a month
    assert f.avg_monthly_inflow == Decimal("23750.00")
    # top-3 share s = 2,40,000 / 2,85,000 = 0.842105; (s − 0.25) / 0.75 = 0.789474
    assert f.income_seasonality == 0.7895
    assert f.inflow_regularity == 0.0  # CV > 1 is clipped
    assert f.balance_volatility is None  # no balance column
    # A salaried statement of the same length is not seasonal.
    flat = [{"date": f"2024-{m:02d}-01", "amount": 50000} for m in range(1, 13)]
    flat_f = analyse_statement(flat).features
    assert flat_f.income_seasonality == 0.0 and flat_f.inflow_regularity == 1.0  # type: ignore[union-attr]


def test_months_without_inflow_count_as_zero() -> None:
    rows = [
        {"date": "2025-01-10", "amount": "30000"},
        {"date": "2025-02-10", "amount": "-100"},
        {"date": "2025-03-10", "amount": "30000"},
    ]
    f = analyse_statement(rows).features
    assert f.months_covered == 3 and f.avg_monthly_inflow == Decimal("20000.00")  # type: ignore[union-attr]
    # mean 20,000; sd = sqrt((10,000² · 2 + 20,000²) / 3) = 14,142.14; CV 0.707107
    assert f.inflow_regularity == 0.2929  # type: ignore[union-attr]


def test_separate_credit_and_debit_columns_and_newest_first_order() -> None:
    csv_text = (
        "Txn Date,Description,Withdrawal,Deposit,Closing Balance\n"
        "20/03/2025,ATM,2000,,8000\n"
        "01/03/2025,SALARY,,10000,10000\n"
        "15/12/2024,ECS RETURN LOAN EMI,1200,,0\n"
    )
    f = analyse_statement(csv_text, as_of=date(2025, 3, 31)).features
    assert f is not None and f.months_covered == 4  # Dec–Mar
    assert f.avg_monthly_inflow == Decimal("2500.00")
    assert f.bounced_emis_last_6m == 1
    assert analyse_statement(csv_text, as_of=date(2025, 7, 1)).features.bounced_emis_last_6m == 0  # type: ignore[union-attr]


def test_json_statements_and_bounce_flags() -> None:
    body = json.dumps({"transactions": [
        {"date": "2025-01-05", "amount": 1000, "direction": "debit", "narration": "EMI", "bounce": True},
        {"date": "2025-01-06", "amount": 25000.5, "direction": "credit", "channel": "upi"},
        {"date": "2025-01-07", "amount": 100, "direction": "credit", "narration": "AMAZON RETURN REFUND"},
    ]})  # fmt: skip
    f = analyse_statement(body).features
    assert f is not None
    assert f.bounced_emis_last_6m == 1  # the flag, not a refund that mentions "RETURN"
    assert f.avg_monthly_inflow == Decimal("25100.50")
    assert f.upi_txn_per_month == 1.0
    assert f.inflow_regularity is None  # one month


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"date": "31-02-2025", "amount": 10}, "date", "is not a date"),
        ({"amount": 10}, "date", "is missing"),
        ({"date": "2025-01-01"}, "amount", "is missing"),
        ({"date": "2025-01-01", "amount": "ten"}, "amount", "is not an amount"),
        ({"date": "2025-01-01", "amount": True}, "amount", "is not an amount"),
        ({"date": "2025-01-01", "amount": 0}, "amount", "is zero"),
        ({"date": "2025-01-01", "amount": -5, "direction": "credit"}, "amount", "must be positive"),
        ({"date": "2025-01-01", "amount": 5, "direction": "sideways"}, "direction", "not credit or debit"),
        ({"date": "2025-01-01", "credit": 5, "debit": 5}, "amount", "exactly one"),
        ({"date": "2025-01-01", "amount": 5, "bounce": "maybe"}, "bounce", "not true or false"),
        ({"date": "2025-01-01", "amount": 5, "balance": "n/a"}, "balance", "is not an amount"),
        ({"date": "2025-01-01", "amount": float("inf")}, "amount", "finite"),
        ("just a string", None, "is not an object"),
    ],
)
def test_malformed_rows_are_reported_with_row_numbers(row: object, field: str | None, message: str) -> None:
    good = {"date": "2025-01-02", "amount": 100}
    transactions, errors, rows = parse_transactions([good, row, good])
    assert rows == 3 and len(transactions) == 2
    assert len(errors) == 1
    assert errors[0].row == 2 and errors[0].field == field and message in errors[0].message


def test_a_statement_without_usable_rows_has_no_features() -> None:
    analysis = analyse_statement("date,amount\nbad,1\n")
    assert analysis.features is None and analysis.errors[0].row == 1


@pytest.mark.parametrize(
    "data",
    ["", "narration,balance\nx,1\n", "date,narration\n2025-01-01,x\n", "[1, 2", '{"transactions": "nope"}',
     b"\xff\xfe\x00bad"],
    ids=["empty", "no date column", "no amount column", "broken json", "not a list", "not utf-8"],
)  # fmt: skip
def test_unreadable_statements_are_refused_as_a_whole(data: str | bytes) -> None:
    with pytest.raises(StatementError):
        analyse_statement(data)


def test_amount_formats() -> None:
    rows = [
        {"date": "2025-01-01", "amount": "INR 1,20,000.50"},
        {"date": "2025-01-02", "amount": "(500)"},
        {"date": "2025-01-03", "amount": "750 DR"},
        {"date": "05-Jan-2025", "amount": "₹ 2,000"},
    ]
    transactions, errors, _ = parse_transactions(rows)
    assert errors == []
    assert [(t.amount, t.direction) for t in transactions] == [
        (Decimal("120000.50"), "credit"),
        (Decimal("500"), "debit"),
        (Decimal("750"), "debit"),
        (Decimal("2000"), "credit"),
    ]
    with pytest.raises(ValueError):
        compute_features([])


def test_the_alt_data_contract_is_one_list() -> None:
    """The application's alt_data block, the batch columns and the model's features name the same fields."""
    assert ALT_FIELDS == ALT_DATA_FIELDS
    assert list(ALT_COLUMNS.values()) == list(ALT_DATA_FIELDS)
    assert {f"alt_{f}" for f in ALT_DATA_FIELDS} <= set(ALT_FEATURES)
    analysis = analyse_statement(STATEMENT)
    assert analysis.features is not None
    block = analysis.features.to_application_alt_data()
    assert AltData.model_validate(block).avg_monthly_inflow == Decimal("40000.00")
