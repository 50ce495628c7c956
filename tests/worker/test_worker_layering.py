"""Layering of background work: ``worker/`` is plumbing, the list of jobs lives at the composition root.

Read from the source (``ast``), so an import hidden inside a function counts too.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from creditdesk.tasks import TASK_REGISTRY

SRC = Path(__file__).resolve().parents[2] / "src" / "creditdesk"
SCHEDULER = SRC / "worker" / "scheduler.py"

#: What ``worker/`` may build on: the shared floor (settings, database, errors, kit, tenancy scope,
#: auth for its ops routes, audit for requeues). Every other package — every domain, today's and
#: the ones to come — is off limits.
WORKER_MAY_IMPORT = {"worker", "config", "db", "errors", "kit", "tenancy", "auth", "audit"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every ``creditdesk.*`` module a file imports (resolving relative imports), with its line."""
    package = _module_name(path).rpartition(".")[0] if path.name != "__init__.py" else _module_name(path)
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found += [(node.lineno, base)]
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names if base == "creditdesk"]
    return [(line, name) for line, name in found if name.startswith("creditdesk.")]


def test_worker_imports_no_domain() -> None:
    offending = [
        f"{path.relative_to(SRC)}:{line} imports {name}"
        for path in sorted((SRC / "worker").rglob("*.py"))
        for line, name in _imports(path)
        if name.split(".")[1] not in WORKER_MAY_IMPORT
    ]
    assert offending == [], "worker/ is plumbing; list jobs in creditdesk/tasks.py instead:\n" + "\n".join(offending)


def _enqueued_kinds() -> dict[str, str]:
    """Each job kind passed to an ``enqueue(..., kind=...)`` call anywhere in src, with where it is."""
    kinds: dict[str, str] = {}
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name != "enqueue":
                continue
            kind = next((k.value for k in node.keywords if k.arg == "kind"), None)
            where = f"{path.relative_to(SRC)}:{node.lineno}"
            if isinstance(kind, ast.Constant) and isinstance(kind.value, str):
                kinds[kind.value] = where
            elif isinstance(kind, ast.Name):  # a module constant, e.g. EVALUATION_JOB
                kinds[getattr(importlib.import_module(_module_name(path)), kind.id)] = where
            elif path == SCHEDULER:  # the scheduler enqueues the kinds the composition root schedules
                kinds.update(dict.fromkeys((s.kind for s in TASK_REGISTRY.schedules), where))
            else:
                raise AssertionError(f"{where}: enqueue's kind must be a literal or a module constant")
    return kinds


def test_every_enqueued_job_kind_has_a_registered_handler() -> None:
    kinds = _enqueued_kinds()
    assert len(kinds) >= 5  # the scan finds the real call sites (scoring, ml, monitoring, webhooks, ops)
    missing = {kind: where for kind, where in kinds.items() if TASK_REGISTRY.handler_for(kind) is None}
    assert missing == {}, f"job kinds enqueued without a handler in creditdesk/tasks.py: {missing}"


def test_every_registered_handler_is_enqueued_somewhere() -> None:
    assert set(TASK_REGISTRY.jobs) <= set(_enqueued_kinds()), "a registered job kind nothing starts"
