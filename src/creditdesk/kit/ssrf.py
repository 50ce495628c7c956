"""Refuse outbound URLs (bureau endpoints, webhooks) that would make the server call into its own network (SSRF).

A tenant configures the URL CreditDesk calls with the tenant's credentials, so a hostile or careless
URL could aim the server at ``http://169.254.169.254/`` (cloud metadata), ``http://127.0.0.1:6379``
or an internal admin page. Outside demo/dev mode every address the host resolves to must be a public
(globally routable, non-multicast) one, unless ``CREDITDESK_ALLOW_PRIVATE_ENDPOINTS`` is set (a
lender whose bureau gateway sits on a private link).

The check runs when a URL is saved and again before every call (the host's DNS may have changed).
Redirects are never followed by the connectors, so a public URL cannot bounce the call inward.
Residual risk: a DNS answer that changes between this check and the connection (rebinding) — see
docs/bureaus.md for the network-level egress rule we recommend in production.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from creditdesk.config import Settings

Resolver = Callable[..., list[tuple[Any, ...]]]


#: host names of this machine, as a demo configuration names them
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "0.0.0.0", "::1", "::"})  # noqa: S104 - host names compared, not bound


def points_at_local(url: str, path: str) -> bool:
    """Whether ``url`` is on this machine and ends with ``path`` (a demo configuration aimed at our own simulator)."""
    parts = urlsplit(url)
    return (parts.hostname or "") in LOCAL_HOSTS and parts.path.rstrip("/").endswith(path)


class UnsafeEndpoint(ValueError):
    """The URL is not an acceptable outbound endpoint; the message says why."""


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url_shape(url: str) -> str:
    """Return ``url`` stripped if it is an absolute http(s) URL with a host and no embedded credentials."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise UnsafeEndpoint(f"not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise UnsafeEndpoint("must be an http:// or https:// URL")
    if not parts.hostname:
        raise UnsafeEndpoint("must name a host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeEndpoint("must not contain credentials; put them in the credentials fields")
    if parts.fragment:
        raise UnsafeEndpoint("must not contain a #fragment")
    return url


def check_endpoint(url: str, *, allow_private: bool, resolve: Resolver = socket.getaddrinfo) -> str:
    """Return the cleaned URL, or raise UnsafeEndpoint when it is malformed or reaches a non-public address."""
    url = check_url_shape(url)
    if allow_private:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    try:
        infos = resolve(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise UnsafeEndpoint(f"host {host!r} cannot be resolved ({exc.__class__.__name__})") from None
    addresses = sorted({info[4][0] for info in infos})
    if not addresses:
        raise UnsafeEndpoint(f"host {host!r} cannot be resolved")
    private = [a for a in addresses if not _is_public(a)]
    if private:
        raise UnsafeEndpoint(
            f"host {host!r} resolves to a private, loopback or link-local address ({private[0]}); "
            "outbound endpoints must be public (set CREDITDESK_ALLOW_PRIVATE_ENDPOINTS to allow private ones)"
        )
    return url


def check_provider_url(url: str, settings: Settings) -> str:
    """A provider's base URL if this deployment may call it (simulators live on this host in demo/dev)."""
    if settings.is_dev_like:
        return check_url_shape(url)
    return check_endpoint(url, allow_private=settings.allow_private_endpoints)
