"""Dependency direction: the ground floor imports nothing above it.

The layers, lowest first; a module may import its own layer and the layers below, never above:

1. platform — ``config``, ``errors``, ``db``: settings, the one error family, the session.
2. ``kit/`` — small shared tools (crypto, cache, limits, pagination, params, …): no domain.
3. access — ``tenancy/`` (tenants, users, roles → permissions, the one scoping helper, the tenant clock),
   ``auth/`` (who is calling) and ``audit/`` (the record of what they did). These three know each
   other: the caller (``auth.principal``) is a tenant's user holding a role's permissions, and every
   change to a tenant or user is audited. Of ``auth/``, ``tenancy/`` may use only the caller's level
   (``principal``, ``passwords``) — never login, tokens' routes or API-key management.
4. domains — ``idempotency/``, ``bureaus/``, ``altdata/``, ``ml/``, ``scoring/``, ``portfolio/``, …
5. the composition root — ``api``, ``main``, ``models_registry``, ``demo``, ``cli``, ``web``.

Every import counts, also one inside a function or under ``TYPE_CHECKING``: it still points upwards.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "creditdesk"
PLATFORM = {"config", "errors", "db"}
ACCESS = {"tenancy", "auth", "audit"}
#: what of ``auth/`` the tenancy floor may use: the caller and password rules, nothing else
TENANCY_MAY_USE_OF_AUTH = {"creditdesk.auth.principal", "creditdesk.auth.passwords"}


def _imports(folder: str) -> dict[str, set[str]]:
    """Every ``creditdesk.…`` module each file of ``folder`` imports (anywhere in the file)."""
    found: dict[str, set[str]] = {}
    for path in sorted((SRC / folder).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
        found[str(path.relative_to(SRC))] = {n for n in names if n.startswith("creditdesk.")}
    return found


def _top(module: str) -> str:
    return module.split(".")[1]


def _violations(folder: str, allowed: set[str]) -> list[str]:
    return [
        f"{file} imports {module}"
        for file, modules in _imports(folder).items()
        for module in sorted(modules)
        if _top(module) not in allowed and module != "creditdesk"
    ]


def test_kit_imports_no_domain():
    assert _violations("kit", PLATFORM | {"kit"}) == []


def test_the_access_layer_imports_no_domain():
    for folder in sorted(ACCESS):
        assert _violations(folder, PLATFORM | {"kit"} | ACCESS) == [], folder


def test_tenancy_uses_only_the_callers_level_of_auth():
    wrong = [
        f"{file} imports {module}"
        for file, modules in _imports("tenancy").items()
        for module in modules
        if _top(module) == "auth" and not any(module.startswith(m) for m in TENANCY_MAY_USE_OF_AUTH)
    ]
    assert wrong == []


def test_the_platform_modules_import_only_each_other():
    for name in sorted(PLATFORM):
        tree = ast.parse((SRC / f"{name}.py").read_text(encoding="utf-8"))
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert {_top(m) for m in modules if m.startswith("creditdesk.")} <= PLATFORM, name


#: the one import cycle between rooms, documented in docs/architecture.md (the access layer)
DOCUMENTED_CYCLES = [ACCESS]


def _room_graph() -> dict[str, set[str]]:
    """Room → the rooms it imports (a room is a folder or a top-level module of ``creditdesk``)."""
    rooms = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    rooms |= {p.stem for p in SRC.glob("*.py") if p.stem != "__init__"}
    graph: dict[str, set[str]] = {room: set() for room in rooms}
    for room in rooms:
        files = (SRC / room).rglob("*.py") if (SRC / room).is_dir() else [SRC / f"{room}.py"]
        for path in files:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    parts = node.module.split(".")
                    if parts[0] != "creditdesk":
                        continue
                    targets = [a.name for a in node.names] if len(parts) == 1 else parts[1:2]
                elif isinstance(node, ast.Import):
                    targets = [a.name.split(".")[1] for a in node.names if a.name.startswith("creditdesk.")]
                else:
                    continue
                graph[room].update(t for t in targets if t in rooms and t != room)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one room (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for room in sorted(graph):
        if room not in index:
            visit(room)
    return found


def test_no_import_cycle_between_rooms_but_the_documented_one():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]  # the detector works
    assert sorted(map(sorted, _cycles(_room_graph()))) == sorted(map(sorted, DOCUMENTED_CYCLES))
