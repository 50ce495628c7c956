"""Fail the build when code filters on tenant_id outside the one scoping helper."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "creditdesk"
ALLOWED = {SRC / "tenancy" / "scope.py", SRC / "migrations" / "rls.py"}
PATTERN = re.compile(r"\.tenant_id\s*==|tenant_id\s*=\s*:|filter_by\([^)]*tenant_id")


def test_tenant_filters_only_in_scope_helper():
    offenders = []
    for path in SRC.rglob("*.py"):
        if path in ALLOWED or "migrations/versions" in str(path):
            continue
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            if PATTERN.search(line):
                offenders.append(f"{path.relative_to(SRC)}:{lineno}: {line.strip()}")
    assert not offenders, "use creditdesk.tenancy.scope instead of filtering tenant_id by hand:\n" + "\n".join(
        offenders
    )
