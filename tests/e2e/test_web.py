"""The portal is served at / with SPA fallback; the API and the server's own pages are never shadowed.

(The browser end-to-end suite lives in frontend/e2e and runs with `make test-web`.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from creditdesk.main import install_error_handlers
from creditdesk.web import IMMUTABLE, REVALIDATE, is_reserved, mount_web


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    static = tmp_path / "static"
    (static / "assets").mkdir(parents=True)
    (static / "index.html").write_text('<!doctype html><div id="root"></div>')
    (static / "assets" / "index-abc123.js").write_text("console.log('portal')")
    (static / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("outside the bundle")
    return static


def _app(static: Path) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/api/v1/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    mount_web(app, static)
    return TestClient(app)


def test_deep_links_get_the_app_shell_revalidated(bundle: Path) -> None:
    client = _app(bundle)
    for path in ("/", "/applications/app_123", "/monitoring?tab=drift"):
        r = client.get(path)
        assert r.status_code == 200
        assert '<div id="root">' in r.text
        assert r.headers["cache-control"] == REVALIDATE


def test_hashed_assets_are_immutable_and_missing_ones_are_not_html(bundle: Path) -> None:
    client = _app(bundle)
    r = client.get("/assets/index-abc123.js")
    assert r.status_code == 200 and r.headers["cache-control"] == IMMUTABLE
    assert client.get("/favicon.svg").headers["cache-control"] == REVALIDATE
    missing = client.get("/assets/index-gone999.js")
    assert missing.status_code == 404 and "html" not in missing.headers["content-type"]


def test_api_paths_keep_json_404s_and_405s(bundle: Path) -> None:
    client = _app(bundle)
    assert client.get("/api/v1/ping").json() == {"pong": "yes"}
    r = client.get("/api/v1/not-a-route")
    assert r.status_code == 404 and r.json()["error"] == "NotFound"
    assert client.post("/api/v1/not-a-route").status_code == 404
    assert client.get("/embed/dashboards/x").status_code == 404
    assert client.get("/simulators/cibil/nope").status_code == 404


def test_no_file_outside_the_bundle_is_served(bundle: Path) -> None:
    client = _app(bundle)
    for path in ("/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt"):
        r = client.get(path)
        assert "outside the bundle" not in r.text


def test_an_unbuilt_portal_says_how_to_build_it(tmp_path: Path) -> None:
    r = _app(tmp_path / "nothing").get("/")
    assert r.status_code == 503 and "make web" in r.text


def test_reserved_prefixes() -> None:
    assert is_reserved("/api") and is_reserved("/api/v1/x") and is_reserved("/docs") and is_reserved("/openapi.json")
    assert not is_reserved("/apis") and not is_reserved("/applications") and not is_reserved("/")
