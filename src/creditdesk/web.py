"""Serve the web portal: the built React bundle in ``creditdesk/static`` at ``/`` with SPA fallback.

``make web`` (``vite build``) writes the bundle there. Routing rules:

- a GET for a file in the bundle returns it; hashed files under ``/assets/`` are cached for a year
  (``immutable``), everything else is revalidated (``no-cache``) so a new release shows at once;
- any other GET outside the server's own prefixes returns ``index.html`` and the client router
  takes over (deep links such as ``/applications/app_123`` work after a reload);
- ``/api``, ``/docs``, ``/redoc``, ``/openapi.json``, ``/embed``, ``/simulators`` and the service
  endpoints are never answered here, so an unknown API path keeps its JSON 404 (and an unknown
  method its 404, not a 405 from this catch-all).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Match, Route
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"

#: Paths the portal never answers: the API and the server's own pages.
RESERVED_PREFIXES = (
    "/api",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/embed",
    "/simulators",
    "/healthz",
    "/readyz",
    "/metrics",
)

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

_NOT_BUILT = """<!doctype html><html lang="en"><meta charset="utf-8"><title>CreditDesk</title>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto;padding:0 1rem">
<h1>CreditDesk</h1><p>The web portal has not been built on this server. Run <code>make web</code>
(or <code>make demo</code>, which builds it) and reload. The API is available at
<a href="/docs">/docs</a>.</p></body></html>"""


def is_reserved(path: str) -> bool:
    """Tell whether a path belongs to the server (API, docs, embeds, simulators), not the portal."""
    return any(path == p or path.startswith(p + "/") or path.startswith(p + "?") for p in RESERVED_PREFIXES)


class _PortalRoute(Route):
    """A catch-all GET route that does not even match reserved paths (so they keep their 404/405)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and is_reserved(scope["path"]):
            return Match.NONE, {}
        return super().matches(scope)


def _resolve(static_dir: Path, path: str) -> Path | None:
    """Return the bundle file for a URL path, or None; never a file outside the bundle."""
    if not path or path.endswith("/"):
        return None
    root = static_dir.resolve()
    candidate = (root / path).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def mount_web(app: FastAPI, static_dir: Path | None = None) -> None:
    """Serve the portal bundle at ``/`` with SPA fallback; call after every other route is added."""
    root = static_dir or STATIC_DIR

    async def portal(request: Request) -> Response:
        path = request.path_params.get("path", "")
        index = root / "index.html"
        if not index.is_file():
            return HTMLResponse(_NOT_BUILT, status_code=503, headers={"Cache-Control": "no-store"})
        file = _resolve(root, path)
        if file is not None:
            cache = IMMUTABLE if path.startswith("assets/") else REVALIDATE
            return FileResponse(file, headers={"Cache-Control": cache})
        if path.startswith("assets/"):
            # A missing hashed asset must not turn into HTML (the browser would try to run it).
            return Response(
                "Not found", status_code=404, media_type="text/plain", headers={"Cache-Control": "no-store"}
            )
        headers: dict[str, Any] = {"Cache-Control": REVALIDATE, "X-Content-Type-Options": "nosniff"}
        return FileResponse(index, media_type="text/html", headers=headers)

    app.router.routes.append(_PortalRoute("/{path:path}", portal, methods=["GET", "HEAD"], include_in_schema=False))
