"""How a job handler says what kind of failure it hit, and whether to keep what it wrote."""

from __future__ import annotations


class JobError(Exception):
    """A failure a handler names. The worker rolls the job's session back, unless ``keep_state``.

    ``keep_state=True`` means "keep this state and fail": the worker commits what the handler wrote
    (e.g. the record of a delivery attempt) and then fails or retries the job as the subclass says.
    """

    def __init__(self, message: str, *, keep_state: bool = False) -> None:
        super().__init__(message)
        self.keep_state = keep_state


class PermanentJobError(JobError):
    """Retrying cannot help (bad input, missing data): the job fails at once, with this message."""


class TransientJobError(JobError):
    """Worth retrying (a service was briefly unavailable)."""
