"""Power BI "embed for your customers": the service-principal token exchange, and its simulator.

Exchange (what Microsoft documents for app-owns-data embedding):

1. Azure AD client-credentials grant —
   ``POST {authority}/{directory_id}/oauth2/v2.0/token`` (form: ``grant_type=client_credentials``,
   ``client_id``, ``client_secret``, ``scope=https://analysis.windows.net/powerbi/api/.default``)
   → ``{"access_token", "expires_in", "token_type": "Bearer"}``;
2. ``POST {api}/v1.0/myorg/groups/{workspace_id}/reports/{report_id}/GenerateToken``
   ``{"accessLevel": "View"}`` with that bearer token → ``{"token", "tokenId", "expiration"}``.

The embed token and the report's embed URL go to the browser; the service-principal secret never
does. Outside demo/dev mode only Microsoft's own hosts are called (no configurable URL, so no SSRF).
In demo/dev mode a simulator speaking the same HTTP is served under ``/simulators/powerbi``.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlencode, urlsplit

import httpx
import jwt
from fastapi import APIRouter, FastAPI, Form, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse

from creditdesk.config import Settings, get_settings
from creditdesk.db import utcnow
from creditdesk.errors import AppError

SCOPE = "https://analysis.windows.net/powerbi/api/.default"
RESOURCE = "https://analysis.windows.net/powerbi/api"
#: Microsoft's public and sovereign clouds (authority host, API host).
MICROSOFT_HOSTS = frozenset(
    {
        "login.microsoftonline.com",
        "api.powerbi.com",
        "login.microsoftonline.us",
        "api.powerbigov.us",
        "api.high.powerbigov.us",
        "api.mil.powerbigov.us",
        "login.chinacloudapi.cn",
        "api.powerbi.cn",
    }
)
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
DEFAULT_API = "https://api.powerbi.com"
SIMULATOR_PREFIX = "/simulators/powerbi"
TIMEOUT_S = 10.0


class PowerBIError(AppError):
    """Power BI (or Azure AD) refused or failed the token exchange."""

    status = 502


def check_url(url: str, settings: Settings) -> str:
    """Return a Power BI / Azure AD base URL this deployment may call; raise ValueError otherwise."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise ValueError("must be an absolute http(s) URL without credentials")
    if settings.is_dev_like:
        return url
    if parts.scheme != "https" or parts.hostname not in MICROSOFT_HOSTS:
        raise ValueError("outside demo/dev mode only Microsoft's Power BI and Azure AD hosts are allowed")
    return url


def default_simulator_base(settings: Settings) -> str:
    """Return the simulator base URL this server would call in demo/dev mode."""
    return settings.own_base_url + SIMULATOR_PREFIX


def http_client() -> httpx.Client:
    """Return a client for the exchange (tests swap in one that reaches the in-process app)."""
    return httpx.Client(timeout=TIMEOUT_S, follow_redirects=False)


@dataclass(frozen=True)
class PowerBIEmbed:
    token: str
    token_id: str | None
    expires_at: datetime
    embed_url: str


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body.get("error"), dict):
        return str(body["error"].get("code") or body["error"])
    return str(body.get("error_description") or body.get("error") or body)[:200]


def exchange(
    *,
    directory_id: str,
    client_id: str,
    client_secret: str,
    workspace_id: str,
    report_id: str,
    embed_url: str,
    authority_url: str,
    api_url: str,
) -> PowerBIEmbed:
    """Run the two-step exchange and return the report's embed token."""
    with http_client() as http:
        try:
            aad = http.post(
                f"{authority_url.rstrip('/')}/{quote(directory_id, safe='')}/oauth2/v2.0/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": client_secret,
                    "scope": SCOPE,
                },
            )
            if aad.status_code != 200:
                raise PowerBIError(f"Azure AD refused the service principal ({aad.status_code}: {_error_text(aad)})")
            access = aad.json()["access_token"]
            generated = http.post(
                f"{api_url.rstrip('/')}/v1.0/myorg/groups/{quote(workspace_id, safe='')}/reports/"
                f"{quote(report_id, safe='')}/GenerateToken",
                json={"accessLevel": "View"},
                headers={"Authorization": f"Bearer {access}"},
            )
        except httpx.HTTPError as exc:
            raise PowerBIError(f"Power BI could not be reached ({type(exc).__name__})") from None
        if generated.status_code != 200:
            raise PowerBIError(
                f"Power BI refused to generate an embed token ({generated.status_code}: {_error_text(generated)})"
            )
        body = generated.json()
    return PowerBIEmbed(
        token=body["token"],
        token_id=body.get("tokenId"),
        expires_at=datetime.fromisoformat(body["expiration"].replace("Z", "+00:00")),
        embed_url=embed_url,
    )


# --------------------------------------------------------------------------------------------------
# the simulator (demo/dev mode only)

SANDBOX = {
    "client_id": "6f1c1d5e-cd00-4e6b-9a11-5ad0b0c0ffee",
    "directory_id": "creditdesk-sandbox.onmicrosoft.com",
    "workspace_id": "f089354e-8366-4e18-aea3-4cb4a3a50b48",
    "report_id": "5b218778-e7a5-4d73-8187-f10824047715",
    "client_secret": "sandbox-pbi-7Q~secret-2026",
}
_ACCESS_TTL = timedelta(minutes=60)
_EMBED_TTL = timedelta(minutes=60)


def _sim_key(settings: Settings) -> str:
    return hmac.new(settings.jwt_key().encode(), b"powerbi-simulator", hashlib.sha256).hexdigest()


def _aad_error(code: str, description: str, status: int) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": description, "error_codes": [7000215]}, status_code=status)


def simulator_router() -> APIRouter:
    """Return the Power BI / Azure AD simulator routes (checks the sandbox service principal)."""
    router = APIRouter(prefix=SIMULATOR_PREFIX, tags=["simulators"], include_in_schema=False)
    router.add_api_route("/sandbox-credentials", sandbox_credentials, methods=["GET"])
    router.add_api_route("/{directory_id}/oauth2/v2.0/token", token, methods=["POST"])
    router.add_api_route(
        "/v1.0/myorg/groups/{group_id}/reports/{report_id}/GenerateToken", generate_token, methods=["POST"]
    )
    router.add_api_route("/reportEmbed", report_embed, methods=["GET"], response_class=HTMLResponse)
    return router


def sandbox_credentials(request: Request) -> dict[str, Any]:
    """Return the settings the simulator accepts, in the shape ``PUT …/dashboards/embed`` takes."""
    base = str(request.base_url).rstrip("/") + SIMULATOR_PREFIX
    query = urlencode({"reportId": SANDBOX["report_id"], "groupId": SANDBOX["workspace_id"]})
    return {
        "provider": "powerbi",
        "report_id": SANDBOX["report_id"],
        "workspace_id": SANDBOX["workspace_id"],
        "client_id": SANDBOX["client_id"],
        "directory_id": SANDBOX["directory_id"],
        "embed_url": f"{base}/reportEmbed?{query}",
        "authority_url": base,
        "api_url": base,
        "credentials": {"client_secret": SANDBOX["client_secret"]},
    }


def token(
    directory_id: str,
    grant_type: Annotated[str, Form()] = "",
    client_id: Annotated[str, Form()] = "",
    client_secret: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "",
) -> JSONResponse:
    """Azure AD client-credentials grant."""
    if grant_type != "client_credentials":
        return _aad_error("unsupported_grant_type", "AADSTS70003: unsupported grant type", 400)
    if directory_id != SANDBOX["directory_id"]:
        return _aad_error("invalid_request", f"AADSTS90002: Tenant '{directory_id}' not found", 400)
    if not (
        hmac.compare_digest(client_id, SANDBOX["client_id"])
        and hmac.compare_digest(client_secret, SANDBOX["client_secret"])
    ):
        return _aad_error("invalid_client", "AADSTS7000215: Invalid client secret provided", 401)
    if scope != SCOPE:
        return _aad_error("invalid_scope", "AADSTS70011: The provided value for scope is not valid", 400)
    now = utcnow()
    access = jwt.encode(
        {
            "aud": RESOURCE,
            "appid": client_id,
            "tid": directory_id,
            "iat": int(now.timestamp()),
            "exp": int((now + _ACCESS_TTL).timestamp()),
        },
        _sim_key(get_settings()),
        algorithm="HS256",
    )
    seconds = int(_ACCESS_TTL.total_seconds()) - 1
    return JSONResponse(
        {"token_type": "Bearer", "expires_in": seconds, "ext_expires_in": seconds, "access_token": access}
    )


def generate_token(group_id: str, report_id: str, authorization: Annotated[str, Header()] = "") -> JSONResponse:
    """Power BI REST ``Reports - Generate Token In Group``."""
    try:
        jwt.decode(
            authorization.removeprefix("Bearer ").strip(),
            _sim_key(get_settings()),
            algorithms=["HS256"],
            audience=RESOURCE,
        )
    except jwt.ExpiredSignatureError:
        return JSONResponse({"error": {"code": "TokenExpired"}}, status_code=403)
    except jwt.PyJWTError:
        return JSONResponse({"error": {"code": "Unauthorized"}}, status_code=401)
    if group_id != SANDBOX["workspace_id"] or report_id != SANDBOX["report_id"]:
        return JSONResponse({"error": {"code": "PowerBIEntityNotFound"}}, status_code=404)
    expires = utcnow() + _EMBED_TTL
    return JSONResponse(
        {
            "@odata.context": "http://wabi-india-central-a-primary-redirect.analysis.windows.net/v1.0/myorg/"
            f"groups/{group_id}/$metadata#Microsoft.PowerBI.ServiceClient.Models.EmbedToken",
            "token": "H4sI" + uuid.uuid4().hex + uuid.uuid4().hex,
            "tokenId": str(uuid.uuid4()),
            "expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )


def report_embed(reportId: str = "", groupId: str = "") -> HTMLResponse:  # noqa: N803 - Power BI's names
    """A placeholder for the Power BI report iframe."""
    return HTMLResponse(
        "<!doctype html><meta charset=utf-8><title>Power BI (simulated)</title>"
        "<body style='font-family:system-ui;margin:2rem;color:#333'><h2>Simulated Power BI report</h2>"
        f"<p>Report <code>{_escape(reportId)}</code> in workspace <code>{_escape(groupId)}</code>.</p>"
        "<p>With a real Power BI tenant, the portal loads this report through the Power BI JavaScript SDK "
        "with the embed token CreditDesk issued.</p></body>"
    )


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def mount_simulator(app: FastAPI, settings: Settings) -> None:
    """Serve the Power BI simulator under /simulators/powerbi in demo/dev mode only."""
    if settings.is_dev_like:
        app.include_router(simulator_router())
