"""Sign-in, token rotation, the caller's identity, API keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from creditdesk.auth import service
from creditdesk.auth.models import ApiKey
from creditdesk.auth.principal import Principal, request_meta
from creditdesk.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyList,
    ApiKeyRead,
    LoginIn,
    MeOut,
    RefreshIn,
    TokenPair,
)
from creditdesk.auth.throttle import login_throttle
from creditdesk.config import get_settings
from creditdesk.db import SessionDep
from creditdesk.errors import BadRequest, Unauthorized, ValidationFailed
from creditdesk.tenancy.deps import TenantAccess, TenantContext
from creditdesk.tenancy.permissions import Permission as P

router = APIRouter(tags=["auth"])

#: Browser clients send this header; their refresh token then lives in an httpOnly cookie only.
WEB_CLIENT_HEADER = "x-creditdesk-client"
REFRESH_COOKIE = "creditdesk_refresh"

_LOGIN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": LoginIn.model_json_schema()},
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {
                        "username": {"type": "string", "description": "e-mail"},
                        "password": {"type": "string"},
                    },
                }
            },
        },
    }
}


def _deliver(request: Request, response: Response, pair: TokenPair) -> TokenPair:
    if request.headers.get(WEB_CLIENT_HEADER) == "web" and pair.refresh_token:
        response.set_cookie(
            REFRESH_COOKIE,
            pair.refresh_token,
            max_age=get_settings().refresh_token_days * 86400,
            httponly=True,
            secure=request.url.scheme == "https",
            samesite="strict",
            path="/api/v1/auth",
        )
        return pair.model_copy(update={"refresh_token": None})
    return pair


async def _login_payload(request: Request) -> LoginIn:
    ctype = request.headers.get("content-type", "")
    try:
        if ctype.startswith("application/json"):
            data = await request.json()
            if not isinstance(data, dict):
                raise ValidationFailed("Send a JSON object with 'email' and 'password'")
            return LoginIn.model_validate(data)
        form = await request.form()
        return LoginIn(
            email=str(form.get("username") or form.get("email") or ""), password=str(form.get("password") or "")
        )
    except ValueError as exc:
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            raise ValidationFailed(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
        raise BadRequest("Request body is not valid JSON") from None


@router.post("/auth/token", response_model=TokenPair, operation_id="login", openapi_extra=_LOGIN_BODY)
async def login(request: Request, response: Response, session: SessionDep) -> TokenPair:
    """Sign in with e-mail and password (OAuth2 password form or JSON)."""
    meta = request_meta(request)
    login_throttle().admit_address(meta["ip"] or "unknown")  # before reading the body: refusals cost nothing
    payload = await _login_payload(request)
    # Argon2 is CPU-bound: run it off the event loop.
    pair = await run_in_threadpool(service.login, session, email=payload.email, password=payload.password, meta=meta)
    return _deliver(request, response, pair)


def _refresh_token_from(request: Request, body: RefreshIn | None) -> str:
    token = (body.refresh_token if body else None) or request.cookies.get(REFRESH_COOKIE)
    if not token:
        raise Unauthorized("No refresh token")
    return token


@router.post("/auth/refresh", response_model=TokenPair, operation_id="refreshToken")
def refresh(request: Request, response: Response, session: SessionDep, body: RefreshIn | None = None) -> TokenPair:
    """Exchange a refresh token for a new pair; the old one stops working."""
    meta = request_meta(request)
    login_throttle().admit_address(meta["ip"] or "unknown", action="refresh")
    token = _refresh_token_from(request, body)
    return _deliver(request, response, service.refresh(session, refresh_token=token, meta=meta))


@router.post("/auth/logout", status_code=204, operation_id="logout")
def logout(request: Request, session: SessionDep, body: RefreshIn | None = None) -> Response:
    """Revoke the refresh token's whole sign-in session."""
    token = (body.refresh_token if body else None) or request.cookies.get(REFRESH_COOKIE)
    if token:
        service.logout(session, refresh_token=token, meta=request_meta(request))
    response = Response(status_code=204)
    response.delete_cookie(REFRESH_COOKIE, path="/api/v1/auth")
    return response


@router.get("/auth/me", response_model=MeOut, operation_id="me")
def me(principal: Principal) -> dict[str, Any]:
    """Return the caller with their permissions."""
    return service.me(principal)


@router.post("/tenants/{tenant}/api-keys", status_code=201, response_model=ApiKeyCreated, operation_id="createApiKey")
def create_api_key(
    data: ApiKeyCreate, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.API_KEYS_MANAGE)]
) -> ApiKeyCreated:
    """Create an API key for machine clients; the key is shown once."""
    return service.create_api_key(session, tenant=ctx.tenant, data=data, actor=ctx.caller)


@router.get("/tenants/{tenant}/api-keys", response_model=ApiKeyList, operation_id="listApiKeys")
def list_api_keys(
    session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.API_KEYS_MANAGE)]
) -> dict[str, list[ApiKey]]:
    """List API keys by prefix."""
    return {"items": service.list_api_keys(session, tenant=ctx.tenant)}


@router.delete("/tenants/{tenant}/api-keys/{key_id}", response_model=ApiKeyRead, operation_id="revokeApiKey")
def revoke_api_key(
    key_id: str, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.API_KEYS_MANAGE)]
) -> ApiKey:
    """Revoke an API key."""
    return service.revoke_api_key(session, tenant=ctx.tenant, key_id=key_id, actor=ctx.caller)
