"""The health listener on its own port: liveness, readiness with the failing check, nothing else."""

from __future__ import annotations

import httpx

from creditdesk.kit.health import HealthServer


def test_health_listener_answers_liveness_and_readiness():
    checks = {"database": "ok"}

    def ready():
        ok = all(v == "ok" for v in checks.values())
        return (200 if ok else 503), {"status": "ok" if ok else "unavailable", "checks": dict(checks)}

    server = HealthServer("127.0.0.1", 0, ready).start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        assert httpx.get(base + "/healthz").json() == {"status": "ok"}
        assert httpx.get(base + "/readyz").status_code == 200
        checks["database"] = "error: OperationalError"
        r = httpx.get(base + "/readyz")
        assert r.status_code == 503 and r.json()["checks"] == {"database": "error: OperationalError"}
        assert httpx.get(base + "/api/v1/tenants").status_code == 404  # only the probes live here
    finally:
        server.stop()
