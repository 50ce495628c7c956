"""Single flight: concurrent callers that miss the same cache entry share one lookup.

Without it, every request that finds a cache entry expired (tenant, API key, policy and models are
re-checked every few seconds) would make its own worker-thread hop and query at the same instant —
under load, hundreds at once.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from anyio import to_thread

T = TypeVar("T")

_inflight: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Hashable, asyncio.Future[Any]]] = (
    weakref.WeakKeyDictionary()
)


async def run_once(key: Hashable, fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(*args)`` in a worker thread once for every concurrent caller with the same ``key``."""
    pending = _inflight.setdefault(asyncio.get_running_loop(), {})
    future = pending.get(key)
    if future is None:
        future = asyncio.ensure_future(to_thread.run_sync(fn, *args))
        pending[key] = future
        future.add_done_callback(lambda _: pending.pop(key, None))
    return await asyncio.shield(future)
