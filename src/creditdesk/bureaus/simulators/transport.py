"""A synchronous httpx transport that calls an ASGI app in process (httpx's ASGITransport is async-only).

Lets the synchronous connectors talk to the simulators — or any ASGI app — without a socket: in tests,
and in demo mode when the simulators are mounted in the same process. Each request runs the app on a
fresh event loop in the calling thread, so calls from several threads proceed in parallel. The
request's read timeout is honoured (httpx does not enforce timeouts on custom transports).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on a fresh loop — in a helper thread if this one already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # the usual case: no loop in this thread
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


class InProcessTransport(httpx.BaseTransport):
    """Serve httpx requests from an ASGI app in the calling thread."""

    def __init__(self, app: Any) -> None:
        self._asgi = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Run the request through the app and return its complete response."""
        timeout = (request.extensions.get("timeout") or {}).get("read")
        body = request.read()

        async def run() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            inner = httpx.Request(request.method, request.url, headers=request.headers, content=body)
            response = await self._asgi.handle_async_request(inner)
            content = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
            return response.status_code, response.headers.raw, content

        async def run_with_timeout() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            return await asyncio.wait_for(run(), timeout)

        try:
            status, headers, content = _run(run_with_timeout())
        except TimeoutError as exc:
            raise httpx.ReadTimeout(f"no answer within {timeout} s", request=request) from exc
        return httpx.Response(status, headers=headers, content=content, request=request)
