"""Batch files: parse CSV / JSON / XLSX into applications, preview, submit, score, export results.

Rows are numbered from 1 (the first data row). A malformed row is reported with its row number and
field and the other rows still score. Rows are scored in committed chunks; an interrupted batch job
resumes with the rows still pending, so no row is lost or scored twice.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from creditdesk.altdata.schemas import ALT_DATA_FIELDS
from creditdesk.audit import service as audit
from creditdesk.bureaus.schemas import APPLICATION_BUREAU_FIELDS
from creditdesk.config import get_settings
from creditdesk.errors import PayloadTooLarge, ValidationFailed
from creditdesk.kit import jsonlimits, tabular
from creditdesk.kit.pagination import Page, paginate
from creditdesk.scoring import pipeline
from creditdesk.scoring import policy as policies
from creditdesk.scoring.models import Batch, BatchRow
from creditdesk.scoring.schemas import Applicant
from creditdesk.scoring.schemas import ApplicationCreate as AppIn
from creditdesk.tenancy.deps import TenantContext
from creditdesk.tenancy.permissions import Permission
from creditdesk.tenancy.scope import get_visible, scoped, select_owned, select_visible
from creditdesk.worker import service as jobs
from creditdesk.worker.models import Job

APPLICANT_COLUMNS = list(Applicant.model_fields)
LOAN_COLUMNS = {
    "loan_amount": "amount",
    "tenure_months": "tenure_months",
    "interest_rate": "interest_rate",
    "purpose": "purpose",
}
BUREAU_COLUMNS = {f"bureau_{f}": f for f in APPLICATION_BUREAU_FIELDS}
ALT_COLUMNS = {f"alt_{f}": f for f in ALT_DATA_FIELDS}
KNOWN_COLUMNS = {"external_ref", *APPLICANT_COLUMNS, *LOAN_COLUMNS, *BUREAU_COLUMNS, *ALT_COLUMNS}
PREVIEW_ROWS = 20
RESULT_COLUMNS = [
    "row",
    "external_ref",
    "application_id",
    "score",
    "credit_score",
    "pd",
    "decision",
    "reason_1",
    "reason_2",
    "reason_3",
    "error",
    "expected_loss",
    "credit_limit",
    "knockouts",
    "bureau_status",
]


@dataclass
class ParsedRow:
    row: int
    raw: dict[str, Any]
    application: AppIn | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ParsedFile:
    format: str
    columns: list[str]
    unknown_columns: list[str]
    rows: list[ParsedRow]


INDIAN_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _coerce(name: str, value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
    if name == "city_tier" and isinstance(value, str | float) and str(value).replace(".0", "").isdigit():
        return int(float(value))
    if name in ("bureau_written_off",) and isinstance(value, str):
        return {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}.get(value.lower(), value)
    if hasattr(value, "isoformat") and name == "date_of_birth":
        return value.date().isoformat() if hasattr(value, "date") else value.isoformat()
    if name == "date_of_birth" and isinstance(value, str) and (m := INDIAN_DATE.match(value)):
        day, month, year = (int(g) for g in m.groups())
        try:  # dd/mm/yyyy (or - .), as Indian spreadsheets write dates; 31/02/1990 stays invalid
            return date(year, month, day).isoformat()
        except ValueError:
            return value
    return value


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """Turn one flat row (§5 batch columns) into a nested application body."""
    clean = {k: _coerce(k, v) for k, v in flat.items() if k in KNOWN_COLUMNS and not _blank(v)}
    body: dict[str, Any] = {
        "applicant": {k: clean[k] for k in APPLICANT_COLUMNS if k in clean},
        "loan": {target: clean[col] for col, target in LOAN_COLUMNS.items() if col in clean},
    }
    if "external_ref" in clean:
        body["external_ref"] = str(clean["external_ref"])
    bureau = {target: clean[col] for col, target in BUREAU_COLUMNS.items() if col in clean}
    alt = {target: clean[col] for col, target in ALT_COLUMNS.items() if col in clean}
    if bureau:
        body["bureau"] = bureau
    if alt:
        body["alt_data"] = alt
    return body


def _flat_field(loc: tuple[Any, ...]) -> str:
    """Map a nested validation path back to the column the user wrote."""
    parts = [str(p) for p in loc]
    if not parts:
        return ""
    if parts[0] == "applicant" and len(parts) > 1:
        return parts[1]
    if parts[0] == "loan" and len(parts) > 1:
        return {v: k for k, v in LOAN_COLUMNS.items()}.get(parts[1], parts[1])
    if parts[0] == "bureau" and len(parts) > 1:
        return f"bureau_{parts[1]}"
    if parts[0] == "alt_data" and len(parts) > 1:
        return f"alt_{parts[1]}"
    return ".".join(parts)


#: What a field must look like, in words a person can act on (pattern and format errors only; the
#: validator's own message already lists the allowed values of a choice field).
FIELD_HINTS = {
    "pan": "must be a PAN: 5 letters, 4 digits, 1 letter, e.g. ABCPV1234K",
    "phone": "must be a phone number of 10 to 13 digits, optionally starting with +, e.g. +919812345678",
    "date_of_birth": "must be a real date written DD/MM/YYYY or YYYY-MM-DD, e.g. 28/02/1990",
}
_FORMAT_ERRORS = ("string_pattern_mismatch", "date_parsing", "date_from_datetime_parsing", "date_type")


def plain_message(field: str, err: ErrorDetails) -> str:
    """The validator's message in plain words: the field's expected form, and the value that was given."""
    leaf = field.rsplit(".", 1)[-1]
    given = err.get("input")
    shown = f" (got {given!r})" if isinstance(given, str | int | float) and not isinstance(given, bool) else ""
    if err["type"] in _FORMAT_ERRORS and leaf in FIELD_HINTS:
        return FIELD_HINTS[leaf] + shown
    if err["type"] == "missing":
        return "is required but empty or missing"
    if err["type"] in ("literal_error", "enum"):
        return err["msg"].replace("Input should be", "must be one of") + shown
    return err["msg"].replace("Input should be", "must be").replace("Value error, ", "") + shown


def _validate(row: int, raw: dict[str, Any], body: dict[str, Any], flat: bool) -> ParsedRow:
    parsed = ParsedRow(row=row, raw=raw)
    try:
        parsed.application = AppIn.model_validate(body)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            field = _flat_field(loc) if flat else ".".join(map(str, loc))
            parsed.errors.append({"row": row, "field": field, "message": plain_message(field, err)})
    return parsed


def _rows_csv(content: bytes) -> tuple[list[str], Iterator[dict[str, Any]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed("file: CSV must be UTF-8 encoded") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))  # newline="": quoted line breaks stay in their cell
    try:
        columns = [c.strip() for c in (reader.fieldnames or [])]
        rows = [{(k or "").strip(): tabular.read_cell(v) for k, v in r.items()} for r in reader]
    except csv.Error as exc:
        raise ValidationFailed(f"file: not a readable CSV file (line {reader.line_num}: {exc})") from None
    return columns, iter(rows)


def _rows_xlsx(content: bytes) -> tuple[list[str], Iterator[dict[str, Any]]]:
    # openpyxl costs ~0.4 s to import and only XLSX uploads need it (it ships no type hints)
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # noqa: PLC0415

    try:
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
    except Exception as exc:  # noqa: BLE001 - any openpyxl failure means an unreadable workbook
        raise ValidationFailed(f"file: not a readable XLSX workbook ({type(exc).__name__})") from None
    rows = sheet.iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
    return header, ({k: tabular.read_cell(v) for k, v in zip(header, r, strict=False)} for r in rows)


def parse(content: bytes, filename: str) -> ParsedFile:
    """Parse and validate every row of a CSV, JSON or XLSX batch file."""
    settings = get_settings()
    suffix = Path(filename).suffix.lower()
    if suffix == ".json":
        try:
            data = jsonlimits.loads(content, settings.max_json_depth)
        except jsonlimits.TooDeep as exc:
            raise ValidationFailed(f"file: {exc}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValidationFailed(f"file: not valid JSON ({exc})") from None
        if not isinstance(data, list):
            raise ValidationFailed("file: a JSON batch is a list of application objects")
        if len(data) > settings.max_batch_rows:
            raise PayloadTooLarge(f"Batch has {len(data):,} rows; the limit is {settings.max_batch_rows:,}")
        parsed = [
            _validate(
                i,
                item if isinstance(item, dict) else {"value": item},
                item if isinstance(item, dict) else {},
                flat=False,
            )
            for i, item in enumerate(data, 1)
        ]
        return ParsedFile("json", [], [], parsed)
    if suffix == ".csv":
        columns, records = _rows_csv(content)
        fmt = "csv"
    elif suffix in (".xlsx", ".xlsm"):
        columns, records = _rows_xlsx(content)
        fmt = "xlsx"
    else:
        raise ValidationFailed(f"file: unsupported type '{suffix or filename}'; upload CSV, JSON or XLSX")
    if not columns or not any(columns):
        raise ValidationFailed("file: the first line must be a header naming the columns")
    unknown = [c for c in columns if c and c not in KNOWN_COLUMNS]
    rows: list[ParsedRow] = []
    for i, record in enumerate(records, 1):
        if all(_blank(v) for v in record.values()):
            continue
        if len(rows) >= settings.max_batch_rows:
            raise PayloadTooLarge(f"Batch has more than {settings.max_batch_rows:,} rows, the limit; split the file")
        raw = {k: (v if not hasattr(v, "isoformat") else v.isoformat()) for k, v in record.items() if k}
        rows.append(_validate(i, raw, nest(record), flat=True))
    return ParsedFile(fmt, columns, unknown, rows)


def preview(content: bytes, filename: str) -> dict[str, Any]:
    """Parsed first rows and every row's validation errors."""
    parsed = parse(content, filename)
    errors = [e for r in parsed.rows for e in r.errors]
    return {
        "format": parsed.format,
        "rows": len(parsed.rows),
        "columns": parsed.columns,
        "unknown_columns": parsed.unknown_columns,
        "preview": [
            {"row": r.row, **{k: (str(v) if v is not None else None) for k, v in r.raw.items()}}
            for r in parsed.rows[:PREVIEW_ROWS]
        ],
        "errors": errors[:1000],
        "valid_rows": sum(1 for r in parsed.rows if r.application is not None),
    }


def _check_bureau_choice(session: Session, *, ctx: TenantContext, rows: list[ParsedRow]) -> None:
    """Without applications:choose_bureaus, a row's ``pull_bureaus`` may not leave out a bureau the policy pulls."""
    if ctx.caller.can(Permission.APPLICATIONS_CHOOSE_BUREAUS):
        return
    chosen = [(r, r.application.pull_bureaus) for r in rows if r.application and r.application.pull_bureaus is not None]
    if not chosen:
        return
    rule = policies.current(session, tenant_id=ctx.tenant_id).config.bureau_pull
    policy_set = pipeline.policy_bureaus(session, tenant_id=ctx.tenant_id, rule=rule)
    for r, requested in chosen:
        missing = pipeline.narrows(requested, policy_set)
        if missing:
            r.errors.append(
                {"row": r.row, "field": "pull_bureaus", "message": pipeline.narrowing_refused(missing).message}
            )
            r.application = None


def submit(session: Session, *, ctx: TenantContext, content: bytes, filename: str) -> dict[str, Any]:
    """Store a batch's rows and queue the scoring job (202)."""
    parsed = parse(content, filename)
    if not parsed.rows:
        raise ValidationFailed("file: no data rows found")
    _check_bureau_choice(session, ctx=ctx, rows=parsed.rows)
    batch = Batch(
        tenant_id=ctx.tenant_id,
        job_id="",
        filename=Path(filename).name[:255],
        format=parsed.format,
        rows=len(parsed.rows),
        created_by=ctx.caller.id,
    )
    session.add(batch)
    session.flush()
    job = jobs.enqueue(
        session,
        kind="batch.score",
        tenant_id=ctx.tenant_id,
        created_by=ctx.caller.id,
        payload={"batch_id": batch.id, "caller_id": ctx.caller.id},
        max_attempts=4,
    )
    batch.job_id = job.id
    session.flush()
    rows = []
    for r in parsed.rows:
        problem = "; ".join(f"{e['field']}: {e['message']}" for e in r.errors) or None
        rows.append(
            {
                "batch_id": batch.id,
                "row_number": r.row,
                "tenant_id": ctx.tenant_id,
                "input": r.application.model_dump(mode="json") if r.application else {"raw": r.raw},
                "parse_error": problem,
                "state": "pending" if r.application else "failed",
                "error": problem,
                "application_id": None,
                "result": None,
            }
        )
    session.connection().execute(insert(BatchRow), rows)  # Core executemany: 100k rows, no ORM state
    audit.record(
        session,
        actor=ctx.caller,
        action="batch.submitted",
        tenant_id=ctx.tenant_id,
        resource_type="batch",
        resource_id=batch.id,
        details={
            "filename": batch.filename,
            "rows": batch.rows,
            "invalid_rows": sum(1 for r in parsed.rows if r.errors),
            "unknown_columns": parsed.unknown_columns,
        },
    )
    return {"batch_id": batch.id, "job_id": job.id, "rows": batch.rows, "status": job.status}


def counts(session: Session, *, tenant_id: str, batch_id: str) -> dict[str, int]:
    """Rows by state."""
    stmt = scoped(select(BatchRow.state, func.count()).where(BatchRow.batch_id == batch_id), BatchRow, tenant_id)
    return dict(session.execute(stmt.group_by(BatchRow.state)).tuples().all())


def status(session: Session, *, ctx: TenantContext, batch_id: str) -> dict[str, Any]:
    """Batch progress: rows, done, failed, job status (404 for another officer's batch)."""
    batch = get_visible(session, Batch, batch_id, ctx, what="Batch")
    return _status_row(
        batch, session.get(Job, batch.job_id), counts(session, tenant_id=ctx.tenant_id, batch_id=batch.id)
    )


def _status_row(batch: Batch, job: Job | None, by_state: dict[str, int]) -> dict[str, Any]:
    done, failed = by_state.get("done", 0), by_state.get("failed", 0)
    return {
        "batch_id": batch.id,
        "job_id": batch.job_id,
        "filename": batch.filename,
        "status": job.status if job else "queued",
        "rows": batch.rows,
        "done": done,
        "failed": failed,
        "progress": round((done + failed) / batch.rows, 4) if batch.rows else 1.0,
        "created_at": batch.created_at,
        "created_by": batch.created_by,
        "error": job.error if job else None,
    }


def list_batches(session: Session, *, ctx: TenantContext, limit: int, offset: int) -> Page[dict[str, Any]]:
    """The tenant's batches, newest first, with their progress (field officers see the ones they sent).

    Three queries per page whatever its size: the batches, their jobs, their row counts by state.
    """
    stmt = select_visible(Batch, ctx)
    page = paginate(session, stmt.order_by(Batch.created_at.desc()), limit=limit, offset=offset)
    ids = [b.id for b in page.items]
    jobs_by_id = {
        j.id: j
        for j in session.execute(
            select_owned(Job, ctx.tenant_id).where(Job.id.in_([b.job_id for b in page.items]))
        ).scalars()
    }
    by_batch: dict[str, dict[str, int]] = {}
    count_stmt = scoped(
        select(BatchRow.batch_id, BatchRow.state, func.count()).where(BatchRow.batch_id.in_(ids)),
        BatchRow,
        ctx.tenant_id,
    ).group_by(BatchRow.batch_id, BatchRow.state)
    for batch_id, state, n in session.execute(count_stmt):
        by_batch.setdefault(batch_id, {})[state] = n
    items = [_status_row(b, jobs_by_id.get(b.job_id), by_batch.get(b.id, {})) for b in page.items]
    return Page(items=items, total=page.total, limit=limit, offset=offset)


#: The template's example row: DESIGN.md §5's sample application, flat.
TEMPLATE_EXAMPLE = {
    "external_ref": "LOS-000123",
    "name": "Asha Verma",
    "pan": "ABCPV1234K",
    "date_of_birth": "1998-04-12",
    "phone": "+919812345678",
    "email": "asha@example.com",
    "employment_type": "salaried",
    "employment_years": 3,
    "monthly_income": 65000,
    "existing_emi": 8000,
    "residence_type": "rented",
    "city_tier": 1,
    "state": "Maharashtra",
    "loan_amount": 300000,
    "tenure_months": 24,
    "interest_rate": 16.5,
    "purpose": "personal",
    "bureau_score": 712,
    "bureau_utilization": 0.42,
    "bureau_dpd_30_last_12m": 0,
    "bureau_max_dpd_last_24m": 0,
    "bureau_enquiries_last_6m": 2,
    "bureau_credit_history_months": 48,
    "bureau_active_accounts": 3,
    "alt_avg_monthly_inflow": 70000,
    "alt_inflow_regularity": 0.9,
    "alt_bounced_emis_last_6m": 0,
    "alt_upi_txn_per_month": 45,
}
TEMPLATE_COLUMNS = ["external_ref", *APPLICANT_COLUMNS, *LOAN_COLUMNS, *BUREAU_COLUMNS, *ALT_COLUMNS]


def template_csv() -> str:
    """A CSV template: every column a batch file may have, and one filled example row (which validates)."""
    return tabular.csv_text(TEMPLATE_COLUMNS, [[TEMPLATE_EXAMPLE.get(c, "") for c in TEMPLATE_COLUMNS]])


def results_csv(session: Session, *, ctx: TenantContext, batch_id: str) -> Iterator[str]:
    """Yield results.csv: one line per input row, in input order (field officers: their own batches only)."""
    batch = get_visible(session, Batch, batch_id, ctx, what="Batch")
    stmt = scoped(select(BatchRow).where(BatchRow.batch_id == batch.id), BatchRow, ctx.tenant_id)
    rows = session.execute(stmt.order_by(BatchRow.row_number)).scalars().yield_per(1000)
    return tabular.iter_csv(RESULT_COLUMNS, (_result_cells(row) for row in rows))


def _result_cells(row: BatchRow) -> list[Any]:
    """One results.csv row; numbers stay numbers, every text cell (refs, reasons, errors) is made formula-safe."""
    res = row.result or {}
    reasons = (res.get("reasons") or []) + ["", "", ""]
    source = row.input or {}
    ref = source.get("external_ref") or (source.get("raw") or {}).get("external_ref") or res.get("external_ref")
    error = row.error if row.state == "failed" else ("" if row.state == "done" else "not scored yet")
    return [
        row.row_number,
        ref or "",
        row.application_id or "",
        res.get("score", ""),
        res.get("credit_score", ""),
        res.get("pd", ""),
        res.get("decision", ""),
        reasons[0],
        reasons[1],
        reasons[2],
        error or "",
        res.get("expected_loss", ""),
        res.get("credit_limit", ""),
        "; ".join(res.get("knockouts") or []),
        res.get("bureau_status", ""),
    ]
