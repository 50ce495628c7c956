"""Enumerate the API's routes from the OpenAPI document, with the permission each one requires."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi.routing import APIRoute

from creditdesk.tenancy.permissions import Permission


@dataclass(frozen=True)
class RouteInfo:
    method: str
    path: str
    permission: Permission | None

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)


def _permission_of(route: APIRoute) -> Permission | None:
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        perm = getattr(dep.call, "required_permission", None)
        if perm is not None:
            return perm
        stack.extend(dep.dependencies)
    return None


def _api_routes_by_operation(routes) -> dict[str, APIRoute]:  # type: ignore[no-untyped-def]
    found: dict[str, APIRoute] = {}
    for route in routes:
        nested = getattr(route, "original_router", None) or getattr(route, "app", None)
        if isinstance(route, APIRoute):
            found[route.operation_id or route.unique_id] = route
        elif nested is not None and hasattr(nested, "routes"):
            found.update(_api_routes_by_operation(nested.routes))
    return found


def api_routes(app, client) -> list[RouteInfo]:  # type: ignore[no-untyped-def]
    """Every operation in /openapi.json under /api/v1, with its required permission."""
    spec = client.get("/openapi.json").json()
    by_operation = _api_routes_by_operation(app.routes)
    out = []
    for path, ops in spec["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, op in ops.items():
            route = by_operation[op["operationId"]]
            out.append(RouteInfo(method.upper(), path, _permission_of(route)))
    return out


def fill(path: str, values: dict[str, str]) -> str:
    """Substitute path parameters."""
    return re.sub(r"{(\w+)}", lambda m: values[m.group(1)], path)
