"""Real processes for tests that need real HTTP or a real worker: ``creditdesk serve`` and ``worker``.

One way to build a child's environment (no inherited ``CREDITDESK_*``, this process's key ring so the
child opens what the test sealed) and one way to start a server and wait until it answers.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from creditdesk.config import get_settings


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def child_env(*, database_url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a child ``creditdesk`` process on the test's database, in dev mode.

    Inherited ``CREDITDESK_*`` variables are dropped; the key ring is this process's, so the child
    reads what the test sealed. ``settings`` are more ``CREDITDESK_*`` values by their lower-case name
    (``log_level="INFO"`` → ``CREDITDESK_LOG_LEVEL=INFO``).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITDESK_")}
    env.update(
        CREDITDESK_MODE="dev",
        CREDITDESK_DATA_DIR=str(data_dir),
        CREDITDESK_DATABASE_URL=database_url,
        CREDITDESK_LOG_LEVEL="WARNING",
        CREDITDESK_RATE_LIMIT_PER_TENANT="1000000/minute",
        CREDITDESK_RATE_LIMIT_PER_API_KEY="1000000/minute",
        CREDITDESK_ENCRYPTION_KEYS=get_settings().encryption_keys.get_secret_value(),
    )
    env.update({f"CREDITDESK_{name.upper()}": value for name, value in settings.items()})
    return env


@contextmanager
def serve(*, database_url: str, tmp_path: Path, **settings: str) -> Iterator[str]:
    """Run ``creditdesk serve`` (one process, in-process worker) until the block ends; yield its base URL."""
    port = free_port()
    env = child_env(database_url=database_url, data_dir=tmp_path / "data", **settings)
    log_path = tmp_path / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "creditdesk.cli", "serve", "--port", str(port)], env=env, stdout=log, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert proc.poll() is None, log_path.read_text()[-3000:]
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
