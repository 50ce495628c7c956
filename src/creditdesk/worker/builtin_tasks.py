"""Operational job kinds."""

from __future__ import annotations

from typing import Any

from creditdesk.worker.context import JobContext
from creditdesk.worker.errors import PermanentJobError, TransientJobError


def selftest(ctx: JobContext) -> dict[str, Any]:
    """Exercise the job machinery: ``fail_times`` transient failures, or ``permanent``, then succeed.

    Used by operators to check a deployment's worker and by the test suite.
    """
    fail_times = int(ctx.payload.get("fail_times", 0))
    if ctx.payload.get("permanent"):
        raise PermanentJobError("self-test asked for a permanent failure")
    if ctx.attempt <= fail_times:
        raise TransientJobError(f"self-test transient failure {ctx.attempt} of {fail_times}")
    steps = int(ctx.payload.get("steps", 1))
    for i in range(steps):
        ctx.progress((i + 1) / steps)
    return {"attempts": ctx.attempt}
