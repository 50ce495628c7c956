"""The simulated payment gateway's routes, under ``/simulators/payments``.

Merchant API (HTTP basic auth, key id : key secret): orders, payment links, UPI collect, payments,
refunds, payouts. Borrower routes (no key: the borrower holds none): pay a link, answer a UPI collect
request. Control routes (no auth, dev/demo only, like the bureau simulators'): accounts, faults,
webhook delivery log. See docs/payments.md.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi import APIRouter, BackgroundTasks, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from creditdesk.kit.crypto import constant_time_equals
from creditdesk.payments.simulator import mandates, ops
from creditdesk.payments.simulator.state import (
    SANDBOX_KEY_ID,
    SANDBOX_KEY_SECRET,
    SANDBOX_WEBHOOK_SECRET,
    Account,
    AccountSetup,
    Delivery,
    Event,
    GatewayFaults,
    GatewaySimulator,
    Json,
    SimError,
    bad_request,
)
from creditdesk.payments.wire import EVENT_ID_HEADER, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, sign

PREFIX = "/simulators/payments"
#: per-request fault headers → the GatewayFaults field each overrides
FAULT_HEADERS = {
    "x-sim-latency-ms": "latency_ms",
    "x-sim-hang-ms": "hang_ms",
    "x-sim-webhook-duplicates": "webhook_duplicates",
    "x-sim-webhook-order": "webhook_order",
    "x-sim-webhook-concurrency": "webhook_concurrency",
}
FAULT_HEADER = "x-sim-fault"  # 500|502|503|504|timeout|lose-answer
WEBHOOK_TIMEOUT_S = 5.0

Operation = Callable[[Account, Json], ops.Outcome]


def _error(status: int, code: str, description: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "description": description, "field": None}}, status, headers)


def deliver(account: Account, delivery: Delivery) -> None:
    """POST each event of the batch, signed, to the account's webhook URL; record every attempt.

    An event answered non-2xx (or not at all) is sent again later, as a gateway retries a failed
    webhook: after ``retry_ms``, then twice as long each time, at most ``retries`` times.
    """

    def send(client: httpx.Client, event: Event, attempt: int = 0) -> None:
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(event.body, delivery.secret),
            EVENT_ID_HEADER: event.id,
        }
        try:
            response = client.post(delivery.url, content=event.body, headers=headers)
        except httpx.HTTPError as exc:
            account.record_delivery(event, None, type(exc).__name__)
            ok = False
        else:
            account.record_delivery(event, response.status_code, None)
            ok = response.is_success
        if not ok and attempt < delivery.retries:
            timer = threading.Timer(delivery.retry_ms / 1000 * 2**attempt, resend, args=(event, attempt + 1))
            timer.daemon = True
            timer.start()

    def resend(event: Event, attempt: int) -> None:
        with httpx.Client(timeout=WEBHOOK_TIMEOUT_S, follow_redirects=False) as client:
            send(client, event, attempt)

    with httpx.Client(timeout=WEBHOOK_TIMEOUT_S, follow_redirects=False) as client:
        if delivery.concurrency <= 1:
            for event in delivery.events:
                send(client, event)
            return
        with ThreadPoolExecutor(max_workers=delivery.concurrency) as pool:
            list(pool.map(lambda event: send(client, event), delivery.events))


def run_later(account: Account, outcome: ops.Outcome, faults: GatewayFaults | None) -> None:
    """Start the outcome's later steps (a mandate confirmed, a debit settled), each on a timer after its delay."""

    def fire(step: Callable[[Account], ops.Outcome]) -> None:
        with account.lock:
            result = step(account)
            delivery = account.delivery(result.events, faults)
        if delivery is not None:
            deliver(account, delivery)

    for delay_s, step in outcome.later:
        timer = threading.Timer(delay_s, fire, args=(step,))
        timer.daemon = True
        timer.start()


def build_router(sim: GatewaySimulator, *, include_in_schema: bool = False) -> APIRouter:
    """Return the simulated gateway's routes (prefix ``/simulators/payments``)."""
    router = APIRouter(prefix=PREFIX, tags=["simulator: payments"], include_in_schema=include_in_schema)

    def authenticate(request: Request) -> Account:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            key_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            key_id, secret = "", ""
        account = sim.account(key_id) if scheme.lower() == "basic" else None
        if account is None or not constant_time_equals(secret, account.setup.key_secret):
            raise SimError(401, "BAD_REQUEST_ERROR", "Authentication failed")
        return account

    def header_faults(request: Request, account: Account) -> GatewayFaults | None:
        updates = {name: request.headers[h] for h, name in FAULT_HEADERS.items() if h in request.headers}
        if not updates:
            return None
        with account.lock:
            current = account.faults.model_dump()
        try:
            return GatewayFaults.model_validate({**current, **updates})
        except ValidationError as exc:
            raise bad_request(f"invalid fault header: {exc.errors()[0]['msg']}") from None

    async def json_body(request: Request) -> Json:
        raw = await request.body()
        if not raw:
            return {}
        try:
            body = (await request.json()) if raw else {}
        except ValueError:
            raise bad_request("the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object")
        return body

    async def run(
        request: Request, background: BackgroundTasks, op: Operation, *, borrower_of: Account | None = None
    ) -> JSONResponse:
        """Authenticate, suffer the faults, apply ``op`` under the account's lock, answer, deliver webhooks."""
        try:
            account = borrower_of or authenticate(request)
            override = header_faults(request, account)
            plan = account.plan_faults(override, request.headers.get(FAULT_HEADER))
            if plan.latency_s:
                await asyncio.sleep(plan.latency_s)
            if plan.fail_status is not None:
                return _error(plan.fail_status, "SERVER_ERROR", "The gateway failed to process the request")
            body = await json_body(request)
            with account.lock:
                outcome = op(account, body)
                delivery = account.delivery(outcome.events, override)
        except SimError as exc:
            headers = {"WWW-Authenticate": 'Basic realm="gateway"'} if exc.status == 401 else None
            return JSONResponse(exc.body, exc.status, headers)
        if delivery is not None:
            background.add_task(deliver, account, delivery)
        if outcome.later:
            background.add_task(run_later, account, outcome, override)
        if plan.hang_s:
            await asyncio.sleep(plan.hang_s)
        if plan.lose_answer:
            return _error(504, "GATEWAY_TIMEOUT", "The gateway did not answer in time")
        return JSONResponse(outcome.body, outcome.status)

    def borrower_account(object_id: str, kind: str) -> Account | None:
        return sim.owner_of(object_id, "links" if kind == "payment_link" else "payments")

    # -- control ----------------------------------------------------------------------------------

    @router.get("/sandbox-credentials")
    async def sandbox_credentials(request: Request) -> dict[str, str]:
        base = str(request.url).split("?")[0].removesuffix("/sandbox-credentials")
        return {
            "key_id": SANDBOX_KEY_ID,
            "key_secret": SANDBOX_KEY_SECRET,
            "webhook_secret": SANDBOX_WEBHOOK_SECRET,
            "endpoint_url": base,
        }

    def known(key_id: str) -> Account:
        account = sim.account(key_id)
        if account is None:
            raise SimError(404, "NOT_FOUND", f"no account {key_id}")
        return account

    @router.put("/accounts/{key_id}")
    async def put_account(key_id: str, setup: AccountSetup) -> JSONResponse:
        account = sim.configure(key_id, setup)
        return JSONResponse(
            {"key_id": key_id, "account_id": account.account_id, "webhook_url": setup.webhook_url},
        )

    @router.get("/accounts/{key_id}/faults")
    async def get_faults(key_id: str) -> JSONResponse:
        try:
            account = known(key_id)
        except SimError as exc:
            return JSONResponse(exc.body, exc.status)
        with account.lock:
            return JSONResponse(account.faults.model_dump())

    @router.put("/accounts/{key_id}/faults")
    async def put_faults(key_id: str, faults: GatewayFaults) -> JSONResponse:
        try:
            account = known(key_id)
        except SimError as exc:
            return JSONResponse(exc.body, exc.status)
        with account.lock:
            account.faults = faults.model_copy()
        return JSONResponse(faults.model_dump())

    @router.get("/accounts/{key_id}/webhook_deliveries")
    async def webhook_deliveries(key_id: str) -> JSONResponse:
        try:
            account = known(key_id)
        except SimError as exc:
            return JSONResponse(exc.body, exc.status)
        with account.lock:
            return JSONResponse({"count": len(account.deliveries), "items": list(account.deliveries)})

    # -- merchant API -----------------------------------------------------------------------------

    @router.post("/v1/orders")
    async def create_order(request: Request, background: BackgroundTasks) -> JSONResponse:
        return await run(request, background, ops.create_order)

    @router.post("/v1/payment_links")
    async def create_link(request: Request, background: BackgroundTasks) -> JSONResponse:
        base = str(request.base_url).rstrip("/") + PREFIX
        return await run(request, background, lambda account, body: ops.create_link(account, body, base))

    @router.post("/v1/payment_links/{link_id}/cancel")
    async def cancel_link(link_id: str, request: Request, background: BackgroundTasks) -> JSONResponse:
        return await run(request, background, lambda account, _: ops.cancel_link(account, link_id))

    @router.post("/v1/payments/upi/collect")
    async def upi_collect(request: Request, background: BackgroundTasks) -> JSONResponse:
        return await run(request, background, ops.upi_collect)

    @router.post("/v1/payments/{payment_id}/refund")
    async def refund(payment_id: str, request: Request, background: BackgroundTasks) -> JSONResponse:
        return await run(request, background, lambda account, body: ops.refund(account, payment_id, body))

    @router.post("/v1/payouts")
    async def create_payout(request: Request, background: BackgroundTasks) -> JSONResponse:
        key = request.headers.get(IDEMPOTENCY_HEADER)
        return await run(request, background, lambda account, body: ops.create_payout(account, body, key))

    @router.get("/v1/payouts")
    async def list_payouts(request: Request, background: BackgroundTasks) -> JSONResponse:
        reference_id = request.query_params.get("reference_id")
        return await run(request, background, lambda account, _: ops.payouts_by_reference(account, reference_id))

    # -- e-mandates: customers, tokens, recurring debits ------------------------------------------

    @router.post("/v1/customers")
    async def create_customer(request: Request, background: BackgroundTasks) -> JSONResponse:
        return await run(request, background, mandates.create_customer)

    @router.post("/v1/tokens")
    async def create_token(request: Request, background: BackgroundTasks) -> JSONResponse:
        forced = request.headers.get(mandates.MANDATE_OUTCOME_HEADER)
        return await run(request, background, lambda account, body: mandates.create_token(account, body, forced))

    @router.get("/v1/tokens")
    async def find_tokens(request: Request, background: BackgroundTasks) -> JSONResponse:
        reference_id = request.query_params.get("reference_id")
        return await run(request, background, lambda account, _: mandates.find_tokens(account, reference_id))

    @router.post("/v1/tokens/{token_id}/cancel")
    async def cancel_token(token_id: str, request: Request, background: BackgroundTasks) -> JSONResponse:
        return await run(request, background, lambda account, _: mandates.cancel_token(account, token_id))

    @router.post("/v1/payments/create/recurring")
    async def create_recurring(request: Request, background: BackgroundTasks) -> JSONResponse:
        forced = request.headers.get(mandates.DEBIT_OUTCOME_HEADER)
        return await run(request, background, lambda account, body: mandates.create_recurring(account, body, forced))

    def fetch_route(kind: str) -> Callable[[str, Request, BackgroundTasks], Awaitable[JSONResponse]]:
        async def fetch(object_id: str, request: Request, background: BackgroundTasks) -> JSONResponse:
            return await run(request, background, lambda account, _: ops.fetch(account, kind, object_id))

        return fetch

    for kind, plural in (
        ("order", "orders"),
        ("payment_link", "payment_links"),
        ("payment", "payments"),
        ("payout", "payouts"),
        ("refund", "refunds"),
        ("customer", "customers"),
        ("token", "tokens"),
    ):
        router.add_api_route(f"/v1/{plural}/{{object_id}}", fetch_route(kind), methods=["GET"], name=f"fetch_{kind}")

    # -- the borrower -----------------------------------------------------------------------------

    @router.post("/v1/payment_links/{link_id}/pay")
    async def pay_link(link_id: str, request: Request, background: BackgroundTasks) -> JSONResponse:
        account = borrower_account(link_id, "payment_link")
        if account is None:
            return JSONResponse(SimError(404, "NOT_FOUND", f"The payment_link {link_id} does not exist").body, 404)
        return await run(request, background, lambda acc, body: ops.pay_link(acc, link_id, body), borrower_of=account)

    @router.post("/v1/payments/{payment_id}/upi/respond")
    async def upi_respond(payment_id: str, request: Request, background: BackgroundTasks) -> JSONResponse:
        account = borrower_account(payment_id, "payment")
        if account is None:
            return JSONResponse(SimError(404, "NOT_FOUND", f"The payment {payment_id} does not exist").body, 404)
        return await run(
            request, background, lambda acc, body: ops.upi_respond(acc, payment_id, body), borrower_of=account
        )

    return router


def build_payment_simulator_app(*, seed: int = 0, now: Callable[[], int] | None = None) -> FastAPI:
    """A standalone app serving the simulated gateway; its state is on ``app.state.gateway``."""
    sim = GatewaySimulator(seed=seed) if now is None else GatewaySimulator(seed=seed, now=now)
    app = FastAPI(title="CreditDesk payment gateway simulator", version="1")
    app.include_router(build_router(sim, include_in_schema=True))
    app.state.gateway = sim
    return app
