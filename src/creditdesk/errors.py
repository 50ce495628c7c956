"""The error family. Every failure a client sees is one of these, rendered by one handler as
``{"error": "<Name>", "detail": "<sentence>", "request_id": "..."}``."""

from __future__ import annotations

from typing import Any, ClassVar, TypedDict


class AppError(Exception):
    """Base class: a message for humans and an HTTP status."""

    status: ClassVar[int] = 400
    #: When True the request's transaction is committed despite the error (e.g. a failed-login counter).
    commit_session: ClassVar[bool] = False

    def __init__(self, message: str, *, headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.headers = headers or {}
        self.extra = extra or {}

    @property
    def name(self) -> str:
        """Return the error name shown to clients."""
        return type(self).__name__


class BadRequest(AppError):
    status = 400


class Unauthorized(AppError):
    status = 401

    def __init__(self, message: str = "Not authenticated", **kw: Any):
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kw)


class InvalidCredentials(Unauthorized):
    commit_session = True


class AccountLocked(Unauthorized):
    commit_session = True


class TokenReuseDetected(Unauthorized):
    commit_session = True


class Forbidden(AppError):
    status = 403


class NotFound(AppError):
    status = 404


class Conflict(AppError):
    status = 409


class PayloadTooLarge(AppError):
    status = 413


class ValidationFailed(AppError):
    status = 422


class FieldError(TypedDict):
    """One entry of a 422's ``fields`` — the shape the handler gives pydantic's errors too."""

    field: str
    message: str
    type: str


def field_error(field: str, message: str) -> FieldError:
    """One failed field (``field`` as a client sees it: ``body.caps.sms.per_day``, ``query.as_of``)."""
    return {"field": field, "message": message, "type": "value_error"}


def invalid(errors: list[FieldError]) -> ValidationFailed:
    """The 422 naming every failed field (its detail lists the first five)."""
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return ValidationFailed(detail, extra={"fields": list(errors)})


def invalid_field(field: str, message: str) -> ValidationFailed:
    """The 422 for one failed field."""
    return invalid([field_error(field, message)])


class RateLimited(AppError):
    status = 429


class ServiceUnavailable(AppError):
    status = 503
