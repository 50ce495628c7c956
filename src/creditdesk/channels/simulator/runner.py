"""The simulators' request cycle: faults, the operation under the account's lock, the answer, the callbacks.

Per-request fault headers (any API call of any simulator):

- ``X-Sim-Fault``: ``500``/``502``/``503``/``504`` (answered at once, nothing applied), ``timeout`` (applied,
  then the answer waits ``hang_ms`` — 5 s by default — so the client gives up first), ``lose-answer``
  (applied, then 504 after ``hang_ms``);
- ``X-Sim-Latency-Ms``, ``X-Sim-Hang-Ms``, ``X-Sim-Receipt-Duplicates``, ``X-Sim-Receipt-Order``
  (``in_order``/``reverse``/``shuffle``), ``X-Sim-Receipt-Delay-Ms``: override the account's faults for
  this call.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import time
from collections.abc import Awaitable, Callable, Iterable
from functools import lru_cache
from typing import Protocol, TypeVar
from urllib.parse import parse_qs

import httpx
from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from creditdesk.channels.simulator.state import Callback, ChannelFaults, Json, Outcome, SimAccount, SimError
from creditdesk.kit.crypto import constant_time_equals

FAULT_HEADER = "x-sim-fault"
FAULT_HEADERS = {
    "x-sim-latency-ms": "latency_ms",
    "x-sim-hang-ms": "hang_ms",
    "x-sim-receipt-duplicates": "receipt_duplicates",
    "x-sim-receipt-order": "receipt_order",
    "x-sim-receipt-delay-ms": "receipt_delay_ms",
}
CALLBACK_TIMEOUT_S = 5.0
MAX_BODY_BYTES = 256 * 1024
A = TypeVar("A", bound=SimAccount)


class ErrorShape(Protocol):
    """How one simulated provider words its refusals."""

    def bad_request(self, message: str) -> SimError:
        """A 400 for a malformed request."""
        ...

    def server_error(self, status: int) -> SimError:
        """A 5xx of an injected fault."""
        ...


def error_response(exc: SimError) -> JSONResponse:
    """The provider-shaped answer of a refusal."""
    return JSONResponse(exc.body, exc.status, exc.headers)


def basic_auth_matches(request: Request, key: str, token: str) -> bool:
    """Whether the request carries ``key`` and ``token`` in HTTP basic auth (compared in constant time)."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        sent_key, _, sent_token = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        sent_key, sent_token = "", ""
    return constant_time_equals(sent_key, key) and constant_time_equals(sent_token, token)


def header_faults(request: Request, account: SimAccount, errors: ErrorShape) -> ChannelFaults | None:
    """The account's faults with this request's ``X-Sim-…`` overrides, or None when it sends none."""
    updates = {name: request.headers[h] for h, name in FAULT_HEADERS.items() if h in request.headers}
    if not updates:
        return None
    with account.lock:
        current = account.faults.model_dump()
    try:
        return ChannelFaults.model_validate({**current, **updates})
    except ValidationError as exc:
        raise errors.bad_request(f"invalid fault header: {exc.errors()[0]['msg']}") from None


async def form_body(request: Request, errors: ErrorShape) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as a dict (the last value of a repeated name)."""
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise errors.bad_request("the request body is too large")
    if raw and "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        raise errors.bad_request("send the parameters form-encoded (application/x-www-form-urlencoded)")
    try:
        parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise errors.bad_request("the request body is not UTF-8") from None
    return {k: v[-1] for k, v in parsed.items()}


async def json_body(request: Request, errors: ErrorShape) -> Json:
    """A JSON object body."""
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise errors.bad_request("the request body is too large")
    if not raw:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise errors.bad_request("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise errors.bad_request("the request body must be a JSON object")
    return body


#: like the providers, a callback the receiver did not take (no answer, 408, 409, 429, 5xx) is tried again,
#: after 0.5 s, 1 s, 2 s, 4 s (Meta retries for days; the demo's receiver is back within seconds)
CALLBACK_RETRIES = 4
CALLBACK_RETRY_S = 0.5


@lru_cache(maxsize=1)
def _callback_client() -> httpx.Client:
    """The simulators' one client for callbacks (thread-safe, keep-alive; made once per process)."""
    return httpx.Client(timeout=CALLBACK_TIMEOUT_S, follow_redirects=False)


def _taken(status: int | None) -> bool:
    return status is not None and status < 500 and status not in (408, 409, 429)


def deliver(account: SimAccount, callbacks: list[Callback], delay_s: float) -> None:
    """POST each callback (signed already) to its URL, one after the other, retrying one the receiver did
    not take; record every attempt."""
    client = _callback_client()  # one per process: making one per batch costs a CA-bundle load (~20 ms)
    for callback in callbacks:
        if delay_s:
            time.sleep(delay_s)
        for attempt in range(CALLBACK_RETRIES + 1):
            if attempt:
                time.sleep(CALLBACK_RETRY_S * 2 ** (attempt - 1))
            try:
                response = client.post(callback.url, content=callback.body, headers=callback.headers)
            except httpx.HTTPError as exc:
                account.record_delivery(callback, None, type(exc).__name__)
                continue
            account.record_delivery(callback, response.status_code, None)
            if _taken(response.status_code):
                break


def send_later(
    background: BackgroundTasks, account: SimAccount, outcome: Outcome, faults: ChannelFaults | None
) -> None:
    """Queue the outcome's callbacks (duplicated and reordered as the faults say) after the answer."""
    if not outcome.callbacks:
        return
    with account.lock:
        batch = account.batch(outcome.callbacks, faults)
        delay_s = (faults or account.faults).receipt_delay_ms / 1000
    background.add_task(deliver, account, batch, delay_s)


async def run(
    request: Request,
    background: BackgroundTasks,
    account: SimAccount,
    errors: ErrorShape,
    parse: Callable[[Request, ErrorShape], Awaitable[Json | dict[str, str]]],
    op: Callable[[Json], Outcome],
) -> JSONResponse:
    """Suffer the faults, parse, apply ``op`` under the account's lock, answer, then send the callbacks."""
    try:
        override = header_faults(request, account, errors)
        plan = account.plan_faults(override, request.headers.get(FAULT_HEADER))
        if plan.latency_s:
            await asyncio.sleep(plan.latency_s)
        if plan.fail_status is not None:
            raise errors.server_error(plan.fail_status)
        body = dict(await parse(request, errors))
        with account.lock:
            outcome = op(body)
    except SimError as exc:
        return error_response(exc)
    send_later(background, account, outcome, override)
    if plan.hang_s:
        await asyncio.sleep(plan.hang_s)
    if plan.lose_answer:
        return error_response(errors.server_error(504))
    return JSONResponse(outcome.body, outcome.status)


async def run_authenticated(
    request: Request,
    background: BackgroundTasks,
    authenticate: Callable[[], A],
    errors: ErrorShape,
    parse: Callable[[Request, ErrorShape], Awaitable[Json | dict[str, str]]],
    op: Callable[[A, Json], Outcome],
) -> JSONResponse:
    """:func:`run` for the account ``authenticate`` gives (its refusal answered as it is)."""
    try:
        account = authenticate()
    except SimError as exc:
        return error_response(exc)
    return await run(request, background, account, errors, parse, lambda body: op(account, body))


def missing(what: str, key: str) -> JSONResponse:
    """The control routes' 404 for an unknown account."""
    return JSONResponse({"detail": f"no {what} {key}"}, 404)


def apply_control(
    background: BackgroundTasks, lookup: Callable[[str], A | None], key: str, what: str, op: Callable[[A], Outcome]
) -> JSONResponse:
    """A control call that changes the account ``key`` (no faults): ``op`` under its lock, the answer, the callbacks."""
    account = lookup(key)
    if account is None:
        return missing(what, key)
    with account.lock:
        outcome = op(account)
    send_later(background, account, outcome, None)
    return JSONResponse(outcome.body, outcome.status)


def add_sandbox_route(router: APIRouter, credentials: dict[str, str]) -> None:
    """``GET /sandbox-credentials``: the sandbox account's credentials and the simulator's base URL."""

    async def sandbox_credentials(request: Request) -> dict[str, str]:
        base = str(request.url).split("?")[0].removesuffix("/sandbox-credentials")
        return {**credentials, "base_url": base}

    router.add_api_route("/sandbox-credentials", sandbox_credentials, methods=["GET"])


def add_list_route(
    router: APIRouter,
    path: str,
    lookup: Callable[[str], A | None],
    what: str,
    items: Callable[[A], Iterable[Json]],
    name: str,
) -> None:
    """``GET {path}``: a copy of what ``items`` gives for the account named by ``{key}``."""

    async def list_items(key: str) -> JSONResponse:
        account = lookup(key)
        if account is None:
            return missing(what, key)
        with account.lock:
            found = [copy.deepcopy(item) for item in items(account)]
        return JSONResponse({"count": len(found), "items": found})

    router.add_api_route(path, list_items, methods=["GET"], name=name)


def add_control_routes(router: APIRouter, path: str, lookup: Callable[[str], SimAccount | None], what: str) -> None:
    """``GET``/``PUT {path}/faults`` and ``GET {path}/deliveries`` for the account named by ``{key}``."""

    async def get_faults(key: str) -> JSONResponse:
        account = lookup(key)
        if account is None:
            return missing(what, key)
        with account.lock:
            return JSONResponse(account.faults.model_dump())

    async def put_faults(key: str, faults: ChannelFaults) -> JSONResponse:
        account = lookup(key)
        if account is None:
            return missing(what, key)
        with account.lock:
            account.faults = faults.model_copy()
        return JSONResponse(faults.model_dump())

    async def deliveries(key: str) -> JSONResponse:
        account = lookup(key)
        if account is None:
            return missing(what, key)
        with account.lock:
            return JSONResponse({"count": len(account.deliveries), "items": list(account.deliveries)})

    router.add_api_route(f"{path}/faults", get_faults, methods=["GET"], name=f"{what}_faults")
    router.add_api_route(f"{path}/faults", put_faults, methods=["PUT"], name=f"{what}_set_faults")
    router.add_api_route(f"{path}/deliveries", deliveries, methods=["GET"], name=f"{what}_deliveries")
