"""One connector per bureau, each speaking its bureau's own wire format."""

from __future__ import annotations

from typing import Any

from creditdesk.bureaus.connectors.base import BureauConfig, BureauConnector, ConnectionCheck
from creditdesk.bureaus.connectors.cibil import CibilConnector
from creditdesk.bureaus.connectors.crif import CrifConnector
from creditdesk.bureaus.connectors.experian import ExperianConnector

CONNECTORS: dict[str, type[BureauConnector]] = {
    "cibil": CibilConnector,
    "experian": ExperianConnector,
    "crif": CrifConnector,
}


def make_connector(config: BureauConfig, **kwargs: Any) -> BureauConnector:
    """Build the connector for ``config.bureau`` (kwargs: tenant_id, client, transport, caller)."""
    return CONNECTORS[config.bureau](config, **kwargs)


__all__ = [
    "CONNECTORS",
    "BureauConfig",
    "BureauConnector",
    "CibilConnector",
    "ConnectionCheck",
    "CrifConnector",
    "ExperianConnector",
    "make_connector",
]
