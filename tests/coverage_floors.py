"""The 100 % floor on the critical paths, checked by `make test` after pytest-cov (issue #13 item 10).

pytest-cov enforces the overall floor (``--cov-fail-under=85``) and combines the data of the test
process and of every server or CLI subprocess the tests start (``[tool.coverage.run]`` in
pyproject.toml). This script then reads that combined data and requires every line of:

- whole files: the decision pipeline, the credit policy, the loan-book engine that allocates payments
  to instalments (oldest first, interest before principal) and the audit trail;
- named functions, where the critical code shares a file with other code: recording a payment and
  allocating payments to a loan's instalments in ``portfolio/service.py``.

A critical function that cannot be found fails the check as well: code that is renamed or moved must
be named here again, never silently dropped from the floor. Exit status 1 on any shortfall; the last
line printed is where the HTML report is.

    .venv/bin/python tests/coverage_floors.py        # after: pytest --cov
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import coverage

ROOT = Path(__file__).resolve().parent.parent
CRITICAL_FILES = (
    "src/creditdesk/scoring/pipeline.py",
    "src/creditdesk/scoring/policy.py",
    "src/creditdesk/portfolio/book.py",
    "src/creditdesk/audit/*.py",
)
CRITICAL_FUNCTIONS = {
    "src/creditdesk/portfolio/service.py": (
        "record_payment",
        "record_payments",
        "_loans_with_amounts",
        "_payable",
        "_insert_payments",
        "_payments_changed",
        "_same_payment",
        "_replay_or_conflict",
        "_schedule_status",
    ),
}


def _relative(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return path


def main() -> int:
    """Check the floors; print one line per critical file or function and the report's path."""
    cov = coverage.Coverage(config_file=str(ROOT / "pyproject.toml"))
    cov.load()
    include = [str(ROOT / p) for p in (*CRITICAL_FILES, *CRITICAL_FUNCTIONS)]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "critical.json"
        try:
            cov.json_report(include=include, outfile=str(out))
        except coverage.exceptions.NoDataError:
            print("coverage floors: no coverage data; run pytest with --cov first", file=sys.stderr)
            return 1
        files = {_relative(name): data for name, data in json.loads(out.read_text())["files"].items()}

    rows: list[tuple[str, int, int, list[int]]] = []  # (what, statements, missed, missing lines)
    problems: list[str] = []
    for pattern in CRITICAL_FILES:
        matched = sorted(name for name in files if Path(name).match(pattern))
        if not matched:
            problems.append(f"{pattern}: no measured file matches")
        for name in matched:
            summary = files[name]["summary"]
            rows.append((name, summary["num_statements"], summary["missing_lines"], files[name]["missing_lines"]))
    for name, functions in CRITICAL_FUNCTIONS.items():
        measured = files.get(name, {}).get("functions", {})
        for function in functions:
            if function not in measured:
                problems.append(f"{name}::{function}: not found (renamed or moved? name it in {_relative(__file__)})")
                continue
            data = measured[function]
            summary = data["summary"]
            rows.append(
                (f"{name}::{function}", summary["num_statements"], summary["missing_lines"], data["missing_lines"])
            )

    width = max((len(r[0]) for r in rows), default=10)
    print(f"\n{'critical path (100 % of lines required)':<{width}}  stmts  miss  missing")
    for what, statements, missed, missing in rows:
        print(f"{what:<{width}}  {statements:>5}  {missed:>4}  {_ranges(missing)}")
        if missed:
            problems.append(f"{what}: {missed} line(s) not covered: {_ranges(missing)}")
    html = ROOT / cov.config.html_dir / "index.html"
    if problems:
        print("\nFAIL: the critical paths need 100 % line coverage:")
        for p in problems:
            print(f"  - {p}")
    else:
        print(f"\nOK: {len(rows)} critical files and functions fully covered.")
    print(f"Coverage report: {html}")
    return 1 if problems else 0


def _ranges(lines: list[int]) -> str:
    """Return line numbers as ranges: 3-5, 9."""
    out: list[str] = []
    for n in sorted(lines):
        if out and out[-1].split("-")[-1] == str(n - 1):
            out[-1] = f"{out[-1].split('-')[0]}-{n}"
        else:
            out.append(str(n))
    return ", ".join(out)


if __name__ == "__main__":
    sys.exit(main())
