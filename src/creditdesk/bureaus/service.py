"""Compatibility only: what ``scoring.pipeline`` still imports from here (delete with its last import).

The credential store and the enabled list are :mod:`creditdesk.bureaus.config`, the tenant's merge
rule :mod:`creditdesk.bureaus.merge_rule`, pulls for scoring :mod:`creditdesk.bureaus.application_pulls`,
key rotation ``creditdesk.kit.crypto.reseal_all``.
"""

from __future__ import annotations

from creditdesk.bureaus.application_pulls import BureauPullOutcome, pull_for_application
from creditdesk.bureaus.config import cached_enabled_bureaus, enabled_bureaus

__all__ = ["BureauPullOutcome", "cached_enabled_bureaus", "enabled_bureaus", "pull_for_application"]
