"""The tenant clock: local dates in the tenant's zone, and the only place zones are read."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

from creditdesk.tenancy import clock

SRC = Path(__file__).resolve().parents[2] / "src" / "creditdesk"


def test_zone_follows_the_tenant_and_defaults_to_kolkata() -> None:
    assert clock.zone(SimpleNamespace(timezone="America/New_York")).key == "America/New_York"
    assert clock.zone(SimpleNamespace(timezone="")).key == "Asia/Kolkata"
    assert clock.zone(None).key == "Asia/Kolkata"
    assert clock.zone("Europe/London").key == "Europe/London"


def test_local_reads_naive_instants_as_utc() -> None:
    # 19:00 UTC on 31 March is already 1 April (00:30) in Kolkata
    naive = datetime(2026, 3, 31, 19, 0)
    assert clock.local(naive, None).date() == date(2026, 4, 1)
    assert clock.local(naive.replace(tzinfo=UTC), "UTC").date() == date(2026, 3, 31)


def test_today_is_the_local_date() -> None:
    tenant = SimpleNamespace(timezone="Pacific/Kiritimati")  # UTC+14: often a day ahead of UTC
    assert clock.today(tenant) == datetime.now(UTC).astimezone(clock.zone(tenant)).date()


def test_no_module_reads_a_zone_or_a_local_now_by_itself() -> None:
    pattern = re.compile(r"ZoneInfo\(|datetime\.now\((?!UTC|timezone\.utc)")
    offenders = [
        f"{path.relative_to(SRC)}:{number}"
        for path in SRC.rglob("*.py")
        if path.name != "clock.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == [], f"use creditdesk.tenancy.clock instead: {offenders}"
