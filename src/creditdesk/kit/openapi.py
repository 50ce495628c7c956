"""An OpenAPI document that describes what the API really answers.

FastAPI documents each route's success response and its own 422 shape. Ours differ: every failure is
the one error body (``errors.py`` / ``main.error_body``), and a route can also answer 400 (malformed
JSON, bad input), 401/403 (credentials, permissions), 404 (an unknown id or tenant), 409 (conflicts),
413 (body too large), 429 (rate limits) and 503 (a backing service down). This module rewrites the
generated document once, at first request of ``/openapi.json``:

- the ``Error`` schema (with ``fields`` for validation errors) replaces ``HTTPValidationError``;
- each operation declares the statuses it can answer, by what it takes (path parameters → 404, a body
  → 409/413, authentication → 401/403), all with the ``Error`` schema;
- the two ways to authenticate (a bearer access token, an ``X-API-Key``) are declared and required on
  every operation but sign-in, refresh, logout and the health probes.

Clients generated from the document (the portal's included) then know every shape they can receive;
``make test`` runs schemathesis against a live server to keep it that way.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "description": "Every failure: a name, a sentence for people, the request id to quote to support.",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "description": "e.g. ValidationError, NotFound, RateLimited"},
        "detail": {"type": "string"},
        "request_id": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "trace_id": {"type": "string"},
        "fields": {
            "type": "array",
            "description": "For 422: each field that failed, by its path (e.g. body.applicant.pan)",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}, "type": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}

STATUS_TEXT = {
    400: "Malformed request (e.g. body not JSON, nested too deep)",
    401: "Not authenticated (missing, expired or invalid token or API key)",
    403: "Authenticated, but this role may not do this",
    404: "No such resource in this tenant (or no such tenant)",
    405: "Method not allowed on this path (the Allow header lists the ones that are)",
    409: "Conflicts with the current state (e.g. an Idempotency-Key reused with another body)",
    413: "Body or upload too large",
    415: "Unsupported media type",
    422: "Validation failed: `fields` names each field and what is wrong",
    429: "Rate limited: retry after the Retry-After header",
    503: "A backing service is unavailable: retry after the Retry-After header",
}

#: Operations anyone may call (no credentials).
PUBLIC = {
    ("/api/v1/auth/token", "post"),
    ("/api/v1/auth/refresh", "post"),
    ("/api/v1/auth/logout", "post"),
    # a borrower signs in by one-time code (borrowers/): no credentials before, a refresh token after
    ("/api/v1/borrower-auth/otp", "post"),
    ("/api/v1/borrower-auth/verify", "post"),
    ("/api/v1/borrower-auth/refresh", "post"),
    ("/api/v1/borrower-auth/logout", "post"),
    ("/healthz", "get"),
    ("/readyz", "get"),
}
#: routes a signed-in borrower calls with their own bearer token; API keys are staff credentials
BORROWER_PREFIX = "/api/v1/me/"
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "An access token"},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "A tenant API key"},
}
METHODS = ("get", "put", "post", "delete", "patch")


def _error(status: int) -> dict[str, Any]:
    return {
        "description": STATUS_TEXT[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def statuses_for(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    """The error statuses an operation can answer, from what it takes."""
    out = [400, 422, 429, 503]
    public = (path, method) in PUBLIC
    if not public:
        out += [401, 403]
    elif path.startswith("/api/v1/"):  # a sign-in route: a wrong password, code or refresh token
        out.append(401)
    if "{" in path or not public:  # an unknown id or tenant; a caller's own tenant may be suspended
        out.append(404)
    if method in ("post", "put", "patch", "delete"):
        out.append(409)
    if "requestBody" in operation:
        out += [413, 415]
    if path in ("/healthz", "/readyz"):
        return [503]
    return sorted(set(out))


#: A decimal written as a string ("300000", "16.5"): what the server parses (an empty string is not one).
DECIMAL_STRING = r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$"


def _decimal_strings(node: Any) -> None:
    """Give every ``number | string`` (a Decimal) string branch the pattern the server accepts."""
    if isinstance(node, dict):
        branches = node.get("anyOf")
        if isinstance(branches, list) and {"type": "number"} in [
            {"type": b.get("type")} for b in branches if isinstance(b, dict)
        ]:
            for b in branches:
                if isinstance(b, dict) and b.get("type") == "string" and "pattern" not in b and "format" not in b:
                    b["pattern"] = DECIMAL_STRING
        for value in node.values():
            _decimal_strings(value)
    elif isinstance(node, list):
        for value in node:
            _decimal_strings(value)


def rewrite(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare the error shape, every operation's error statuses and the security schemes."""
    _decimal_strings(schema.get("components", {}))
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Error"] = ERROR_SCHEMA
    components["securitySchemes"] = SECURITY_SCHEMES
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in statuses_for(path, method, operation):
                key = str(status)
                if key not in responses or status == 422:
                    responses[key] = _error(status)
            if path.startswith(BORROWER_PREFIX):
                operation["security"] = [{"bearer": []}]
            elif (path, method) not in PUBLIC:
                operation["security"] = [{"bearer": []}, {"apiKey": []}]
    return schema


def install(app: FastAPI) -> None:
    """Serve the rewritten document at ``/openapi.json`` (built once per app)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = rewrite(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                    servers=app.servers,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the document lists for the path template matching ``path`` (for a 405's Allow)."""
    table = getattr(app.state, "allowed_methods", None)
    if table is None:
        table = [
            (re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)) + "$"), item)
            # literal segments before parameters: /batches/template.csv is not /batches/{batch_id}
            for template, item in sorted(app.openapi().get("paths", {}).items(), key=lambda kv: kv[0].count("{"))
        ]
        app.state.allowed_methods = table
    for pattern, item in table:
        if pattern.match(path):
            return sorted(m.upper() for m in METHODS if m in item)
    return []
