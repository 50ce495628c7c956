"""How a job handler says what kind of failure it hit."""

from __future__ import annotations


class PermanentJobError(Exception):
    """Retrying cannot help (bad input, missing data): the job fails at once, with this message."""


class TransientJobError(Exception):
    """Worth retrying (a service was briefly unavailable)."""
