"""Turn a bank-statement or UPI transaction list into alternative-data features.

Input: CSV text/bytes (a header row, then one transaction per row) or JSON (a list of objects, or
``{"transactions": [...]}``), or already-parsed mappings. Columns (case-insensitive; common bank
synonyms in ``COLUMN_ALIASES`` accepted):

- ``date`` — ``YYYY-MM-DD``, ``DD-MM-YYYY``, ``DD/MM/YYYY``, ``DD-Mon-YYYY`` or ISO date-time
  (day first, the Indian convention);
- either ``amount`` with ``direction`` (``credit|debit``, ``CR|DR``, ``C|D``), or a signed ``amount``
  (positive = credit), or separate ``credit`` / ``debit`` (deposit / withdrawal) columns;
- optional ``balance``, ``narration``, ``channel`` (e.g. ``UPI``), ``bounce`` (true/false).

Amounts may carry ``₹``/``INR`` and Indian digit grouping (``1,20,000.50``) and are read as Decimal.
A row that cannot be read is skipped and reported with its row number (1 = the first data row).
Rows may be in either chronological or reverse-chronological order.

Feature definitions (the statement's *span* is every calendar month from the first transaction's
month to the last one's, inclusive — a month without inflows counts as zero):

- ``months_covered`` — the number of months in the span.
- ``avg_monthly_inflow`` — total inflow ÷ ``months_covered``, in rupees to the paisa. Inflow = every
  credit except the reversal credits of bounced debits.
- ``inflow_regularity`` — ``1 − CV`` of the monthly inflows, clipped to [0, 1], where CV is the
  population standard deviation divided by the mean. 1 = the same inflow every month. 0 when there is
  no inflow; None with fewer than 2 months.
- ``balance_volatility`` — CV of the end-of-day balances: population standard deviation ÷ the mean of
  their absolute values (0 = a flat balance). None without a balance column or with fewer than 2 days.
- ``bounced_emis_last_6m`` — bounce events (a row flagged ``bounce`` or whose narration reads as an
  ECS/NACH/ACH/cheque return, bounce, dishonour or insufficient funds) dated within the six calendar
  months up to ``as_of`` (default: the last transaction's date). Bank charge rows for a bounce
  ("ECS RTN CHGS") are not events.
- ``upi_txn_per_month`` — UPI transactions (channel ``UPI`` or ``UPI`` in the narration), both
  directions, ÷ ``months_covered``.
- ``income_seasonality`` — how concentrated inflow is in the three best months: with ``s`` = the share
  of total inflow in the top-3 months and ``n`` = ``months_covered``, ``(s − 3/n) ÷ (1 − 3/n)``,
  clipped to [0, 1]. 0 = inflow spread evenly over the span; 1 = all inflow in three months (the
  farmer paid at harvest). None with fewer than 4 months or no inflow.

Ratios are rounded to 4 places, ``upi_txn_per_month`` to 2.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from statistics import fmean, pstdev
from typing import Any, Literal

from creditdesk.altdata.schemas import AltDataFeatures, RowError, StatementAnalysis, Transaction
from creditdesk.bureaus.schemas import add_months
from creditdesk.config import get_settings
from creditdesk.kit import jsonlimits

MAX_ROWS = 100_000

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("date", "txn_date", "transaction_date", "value_date", "tran_date", "posted_on"),
    "amount": ("amount", "txn_amount", "transaction_amount"),
    "direction": ("direction", "type", "dr_cr", "cr_dr", "txn_type", "credit_debit"),
    "credit": ("credit", "deposit", "deposits", "credit_amount", "cr_amount"),
    "debit": ("debit", "withdrawal", "withdrawals", "debit_amount", "dr_amount"),
    "balance": ("balance", "closing_balance", "running_balance", "available_balance"),
    "narration": ("narration", "description", "remarks", "particulars", "details"),
    "channel": ("channel", "mode", "txn_mode"),
    "bounce": ("bounce", "bounced", "is_bounce", "returned"),
}
_DIRECTIONS = {
    "credit": "credit", "cr": "credit", "c": "credit", "in": "credit", "inflow": "credit",
    "debit": "debit", "dr": "debit", "d": "debit", "out": "debit", "outflow": "debit",
}  # fmt: skip
_BOOLEANS = {
    "true": True,
    "yes": True,
    "y": True,
    "1": True,
    "false": False,
    "no": False,
    "n": False,
    "0": False,
}
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%d-%m-%Y",
    "%d/%m/%Y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%d/%m/%y",
    "%d-%m-%y",
    "%d.%m.%Y",
)

BOUNCE_PATTERN = re.compile(
    r"\b(?:ECS|NACH|ACH|MANDATE|CHQ|CHEQUE|EMI|SI)\b[\w\s/-]{0,20}?\b(?:RETURN(?:ED)?|RTN|REJECT(?:ED)?)\b"
    r"|\bBOUNCED?\b|\bDISHONOU?RED?\b|\bINSUFFICIENT\s+(?:FUNDS|BAL(?:ANCE)?)\b|\bINSUFF\s+BAL\b",
    re.IGNORECASE,
)
CHARGE_PATTERN = re.compile(r"\b(?:CHARGES?|CHGS?|CHRGS?|FEES?|GST|PENALTY)\b", re.IGNORECASE)
UPI_PATTERN = re.compile(r"\bUPI\b", re.IGNORECASE)


class StatementError(ValueError):
    """The statement as a whole cannot be read (not CSV/JSON, missing columns, too large)."""


class _RowProblem(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# -- reading ---------------------------------------------------------------------------------------


def _normalise_key(key: Any) -> str:
    return re.sub(r"[\s\-./]+", "_", str(key).strip().lower()).strip("_")


def _canonical_row(raw: Mapping[str, Any]) -> dict[str, Any]:
    keys = {_normalise_key(k): v for k, v in raw.items()}
    row: dict[str, Any] = {}
    for name, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            if alias in keys and keys[alias] not in (None, ""):
                row[name] = keys[alias]
                break
    return row


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _money(value: Any, field: str) -> Decimal:
    if isinstance(value, bool):
        raise _RowProblem(field, "is not an amount")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _RowProblem(field, "is not a finite amount")
        return Decimal(repr(value))
    if isinstance(value, str):
        text = value.strip().replace("₹", "").replace(",", "").replace(" ", "")
        text = re.sub(r"(?i)^(INR|RS\.?)", "", text)
        negative = text.startswith("(") and text.endswith(")")
        text = text.strip("()")
        suffix = re.search(r"(?i)(CR|DR)$", text)
        if suffix:
            text = text[:-2]
        if re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
            try:
                amount = Decimal(text)
            except InvalidOperation:  # pragma: no cover - the regex already checked
                pass
            else:
                if suffix and suffix.group(1).upper() == "DR":
                    amount = -abs(amount)
                return -amount if negative else amount
    raise _RowProblem(field, f"{str(value)[:30]!r} is not an amount")


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        raise _RowProblem("date", "is missing")
    text = value.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        raise _RowProblem("date", f"{text[:30]!r} is not a date") from None


def _transaction(number: int, raw: Any) -> Transaction:
    if not isinstance(raw, Mapping):
        raise _RowProblem(None, "is not an object")
    row = _canonical_row(raw)
    on = _date(row.get("date"))
    balance = None if _blank(row.get("balance")) else _money(row["balance"], "balance")
    direction: Literal["credit", "debit"]
    if not _blank(row.get("credit")) or not _blank(row.get("debit")):
        credit = Decimal(0) if _blank(row.get("credit")) else _money(row["credit"], "credit")
        debit = Decimal(0) if _blank(row.get("debit")) else _money(row["debit"], "debit")
        if credit < 0 or debit < 0:
            raise _RowProblem("credit" if credit < 0 else "debit", "must not be negative")
        if (credit > 0) == (debit > 0):
            raise _RowProblem("amount", "exactly one of credit and debit must be positive")
        amount, direction = (credit, "credit") if credit > 0 else (debit, "debit")
    else:
        if _blank(row.get("amount")):
            raise _RowProblem("amount", "is missing")
        amount = _money(row["amount"], "amount")
        if not _blank(row.get("direction")):
            given = _DIRECTIONS.get(str(row["direction"]).strip().lower())
            if given is None:
                raise _RowProblem("direction", f"{str(row['direction'])[:20]!r} is not credit or debit")
            if amount < 0:
                raise _RowProblem("amount", "must be positive when a direction is given")
            direction = given  # type: ignore[assignment]
        else:
            direction = "credit" if amount > 0 else "debit"
            amount = abs(amount)
    if amount == 0:
        raise _RowProblem("amount", "is zero")
    bounce = False
    if not _blank(row.get("bounce")):
        flag = row["bounce"]
        if isinstance(flag, bool):
            bounce = flag
        elif str(flag).strip().lower() in _BOOLEANS:
            bounce = _BOOLEANS[str(flag).strip().lower()]
        else:
            raise _RowProblem("bounce", f"{str(flag)[:20]!r} is not true or false")
    narration = "" if _blank(row.get("narration")) else str(row["narration"]).strip()
    channel = None if _blank(row.get("channel")) else str(row["channel"]).strip()
    return Transaction(
        row=number, on=on, amount=amount, direction=direction, balance=balance,
        narration=narration[:500], channel=channel, bounce=bounce,
    )  # fmt: skip


def _records(data: str | bytes | Sequence[Any] | Mapping[str, Any], fmt: str | None) -> list[Any]:
    if isinstance(data, Mapping):
        data = data.get("transactions", [data])
        if not isinstance(data, list):
            raise StatementError('"transactions" must be a list')
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise StatementError("the statement is not UTF-8 text") from exc
    if isinstance(data, str):
        text = data.lstrip("\ufeff")
        kind = fmt or ("json" if text.lstrip()[:1] in ("[", "{") else "csv")
        if kind == "json":
            try:
                parsed = jsonlimits.loads(text, get_settings().max_json_depth)
            except ValueError as exc:  # not JSON, or nested deeper than the limit (TooDeep)
                raise StatementError(f"the statement is not valid JSON ({exc})") from exc
            if isinstance(parsed, dict):
                parsed = parsed.get("transactions")
            if not isinstance(parsed, list):
                raise StatementError('JSON statements are a list of transactions or {"transactions": [...]}')
            records = parsed
        elif kind == "csv":
            reader = csv.DictReader(io.StringIO(text, newline=""))  # quoted line breaks stay in their cell
            try:
                fieldnames = reader.fieldnames
            except csv.Error as exc:
                raise StatementError(f"the CSV statement cannot be read ({exc})") from None
            if not fieldnames:
                raise StatementError("the CSV statement has no header row")
            header = {_normalise_key(h) for h in fieldnames if h}
            if not header & set(COLUMN_ALIASES["date"]):
                raise StatementError("the CSV statement has no date column")
            amount_columns = set(COLUMN_ALIASES["amount"] + COLUMN_ALIASES["credit"] + COLUMN_ALIASES["debit"])
            if not header & amount_columns:
                raise StatementError("the CSV statement has no amount (or credit/debit) column")
            records = []
            try:
                for raw in reader:
                    if len(records) > MAX_ROWS:
                        break
                    records.append(raw)
            except csv.Error as exc:
                raise StatementError(f"the CSV statement cannot be read at line {reader.line_num} ({exc})") from None
        else:
            raise StatementError(f"unknown statement format {fmt!r}; use csv or json")
    else:
        records = list(data)
    if len(records) > MAX_ROWS:
        raise StatementError(f"the statement has more than {MAX_ROWS} rows")
    return records


def parse_transactions(
    data: str | bytes | Sequence[Any] | Mapping[str, Any], *, fmt: str | None = None
) -> tuple[list[Transaction], list[RowError], int]:
    """Read a statement into transactions, the problems of rows that could not be read, and the row count.

    ``fmt`` is ``csv`` or ``json`` (guessed from the text when None). Raises StatementError when the
    statement as a whole cannot be read.
    """
    records = _records(data, fmt)
    transactions: list[Transaction] = []
    errors: list[RowError] = []
    rows = 0
    for number, raw in enumerate(records, start=1):
        if isinstance(raw, Mapping) and all(_blank(v) for v in raw.values()):
            continue  # blank line
        rows += 1
        try:
            transactions.append(_transaction(number, raw))
        except _RowProblem as problem:
            errors.append(RowError(row=number, field=problem.field, message=problem.message))
    return transactions, errors, rows


# -- features --------------------------------------------------------------------------------------


def is_bounce(txn: Transaction) -> bool:
    """Tell whether a transaction records a bounced debit (not the bank's charge for it)."""
    if txn.bounce:
        return True
    return bool(BOUNCE_PATTERN.search(txn.narration)) and not CHARGE_PATTERN.search(txn.narration)


def is_upi(txn: Transaction) -> bool:
    """Tell whether a transaction went over UPI."""
    return bool((txn.channel and txn.channel.strip().upper() == "UPI") or UPI_PATTERN.search(txn.narration))


def _month(day: date) -> int:
    return day.year * 12 + day.month - 1


def _cv(values: Sequence[float], *, absolute_mean: bool = False) -> float | None:
    mean = fmean(abs(v) for v in values) if absolute_mean else fmean(values)
    if mean == 0:
        return None
    return pstdev(values) / mean


def compute_features(transactions: Iterable[Transaction], *, as_of: date | None = None) -> AltDataFeatures:
    """Compute the features of a non-empty list of transactions (definitions in the module doc)."""
    txns = list(transactions)
    if not txns:
        raise ValueError("no transactions to compute features from")
    if txns[0].on > txns[-1].on:  # a newest-first statement
        txns.reverse()
    txns.sort(key=lambda t: t.on)  # stable: same-day rows keep their statement order

    first, last = _month(txns[0].on), _month(txns[-1].on)
    months = last - first + 1
    inflow = [Decimal(0)] * months
    for t in txns:
        if t.direction == "credit" and not is_bounce(t):
            inflow[_month(t.on) - first] += t.amount
    total = sum(inflow, Decimal(0))
    monthly = [float(v) for v in inflow]

    regularity: float | None = None
    if months >= 2:
        cv = _cv(monthly)
        regularity = 0.0 if cv is None else round(min(1.0, max(0.0, 1 - cv)), 4)

    end_of_day: dict[date, Decimal] = {}
    for t in txns:
        if t.balance is not None:
            end_of_day[t.on] = t.balance
    volatility: float | None = None
    if len(end_of_day) >= 2:
        cv = _cv([float(b) for b in end_of_day.values()], absolute_mean=True)
        volatility = None if cv is None else round(cv, 4)

    seasonality: float | None = None
    if months >= 4 and total > 0:
        share = float(sum(sorted(inflow, reverse=True)[:3], Decimal(0)) / total)
        floor = 3 / months
        seasonality = round(min(1.0, max(0.0, (share - floor) / (1 - floor))), 4)

    as_of = as_of or txns[-1].on
    since = add_months(as_of, -6)
    bounces = sum(1 for t in txns if since < t.on <= as_of and is_bounce(t))
    upi = sum(1 for t in txns if is_upi(t))

    return AltDataFeatures(
        avg_monthly_inflow=(total / months).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        inflow_regularity=regularity,
        balance_volatility=volatility,
        bounced_emis_last_6m=bounces,
        upi_txn_per_month=round(upi / months, 2),
        income_seasonality=seasonality,
        months_covered=months,
    )


def analyse_statement(
    data: str | bytes | Sequence[Any] | Mapping[str, Any],
    *,
    fmt: str | None = None,
    as_of: date | None = None,
) -> StatementAnalysis:
    """Read a statement and compute its features; rows that cannot be read are reported, not fatal.

    Raises StatementError only when the statement as a whole cannot be read.
    """
    transactions, errors, rows = parse_transactions(data, fmt=fmt)
    features = compute_features(transactions, as_of=as_of) if transactions else None
    return StatementAnalysis(features=features, errors=errors, rows=rows, rows_used=len(transactions))
