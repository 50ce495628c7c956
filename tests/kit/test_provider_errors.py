"""The provider-error family: one base for every room's connector failures, each room's codes kept."""

from __future__ import annotations

import pytest

from creditdesk.bureaus import errors as bureaus
from creditdesk.kit import provider_errors as kit
from creditdesk.kit.resilience import TransientError
from creditdesk.payments import errors as payments

#: (room's class, family class, code, transient)
ROOMS = [
    (bureaus.BureauConfigError, kit.ProviderConfigError, "config_error", False),
    (bureaus.BureauAuthError, kit.ProviderAuthError, "auth_error", False),
    (bureaus.BureauRequestRejected, kit.ProviderRejected, "request_rejected", False),
    (bureaus.BureauBadResponse, kit.ProviderBadResponse, "bad_response", False),
    (bureaus.BureauUnavailable, kit.ProviderUnavailable, "unavailable", True),
    (bureaus.BureauCircuitOpen, kit.ProviderCircuitOpen, "circuit_open", False),
    (payments.GatewayAuthError, kit.ProviderAuthError, "auth_error", False),
    (payments.GatewayNotFound, kit.ProviderNotFound, "not_found", False),
    (payments.GatewayRejected, kit.ProviderRejected, "request_rejected", False),
    (payments.GatewayBadResponse, kit.ProviderBadResponse, "bad_response", False),
    (payments.GatewayUnavailable, kit.ProviderUnavailable, "unavailable", True),
    (payments.GatewayCircuitOpen, kit.ProviderCircuitOpen, "circuit_open", False),
    (payments.WebhookSignatureInvalid, kit.ProviderSignatureInvalid, "signature_invalid", False),
]


def _make(cls: type[kit.ProviderError]) -> kit.ProviderError:
    if issubclass(cls, bureaus.BureauError):
        return cls("cibil", "the bureau said no")
    return cls("the bureau said no", gateway_code="BAD_REQUEST_ERROR")  # type: ignore[call-arg]


@pytest.mark.parametrize(("cls", "family", "code", "transient"), ROOMS, ids=[c[0].__name__ for c in ROOMS])
def test_each_rooms_error_is_its_family_member_with_its_code(cls, family, code, transient):
    error = _make(cls)
    assert isinstance(error, family) and isinstance(error, kit.ProviderError)
    assert error.code == code and error.transient is transient
    assert isinstance(error, TransientError) is transient
    assert str(error) == error.message == "the bureau said no"


def test_the_rooms_keep_their_own_fields_and_base_codes():
    bureau = bureaus.BureauUnavailable("crif", "timed out")
    assert bureau.bureau == bureau.provider == "crif" and bureau.provider_code is None
    gateway = payments.GatewayRejected("amount too small", gateway_code="BAD_REQUEST_ERROR")
    assert gateway.gateway_code == gateway.provider_code == "BAD_REQUEST_ERROR" and gateway.provider is None
    assert bureaus.BureauError("cibil", "x").code == "bureau_error"
    assert payments.GatewayError("x").code == "gateway_error"
    # one handler catches every room's outage, and only outages
    caught = []
    for error in (bureau, payments.GatewayUnavailable("down"), gateway):
        try:
            raise error
        except kit.ProviderUnavailable as exc:
            caught.append(exc.code)
        except kit.ProviderError as exc:
            caught.append("permanent:" + exc.code)
    assert caught == ["unavailable", "unavailable", "permanent:request_rejected"]


def test_a_new_connector_starts_from_the_family():
    timeout = kit.ProviderTimeout("no answer in 5 s", provider="kyc-sim")
    assert isinstance(timeout, kit.ProviderUnavailable) and timeout.transient and timeout.code == "timeout"
    assert kit.ProviderError("x").code == "provider_error" and not kit.ProviderError("x").transient
