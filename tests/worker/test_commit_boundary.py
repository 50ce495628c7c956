"""The boundary owns the transaction: only the request dependency and the job plumbing call ``.commit()``.

Services and job handlers flush; a long job calls ``ctx.checkpoint()``, and a handler that must keep
what it wrote while failing raises a ``JobError`` with ``keep_state=True`` (``creditdesk.worker``).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "creditdesk"

#: The modules that may commit, and why.
BOUNDARY = {
    "db.py": "the request's session dependency commits or rolls back",
    "worker/broker.py": "the job wrapper commits a handler's session when it returns",
    "worker/context.py": "JobContext.checkpoint(): a long job's progress",
}


def _commit_calls(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"
    ]


def test_only_the_boundary_commits() -> None:
    offending = [
        f"{rel}:{line}"
        for path in sorted(SRC.rglob("*.py"))
        if (rel := path.relative_to(SRC).as_posix()) not in BOUNDARY
        for line in _commit_calls(path)
    ]
    assert offending == [], "commit at the boundary (ctx.checkpoint() / JobError(keep_state=True)):\n" + "\n".join(
        offending
    )


def test_the_boundary_list_is_current() -> None:
    assert all(_commit_calls(SRC / rel) for rel in BOUNDARY), "a boundary module no longer commits: drop it"
