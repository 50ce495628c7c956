"""Logs mask PANs and phone numbers and never carry secrets; error bodies carry the trace id."""

from __future__ import annotations

import io
import json
import logging

from creditdesk.kit.observability import mask_text, scrub_processor


def test_masking():
    assert mask_text("PAN ABCPV1234K phone +919812345678") == "PAN XXXXXXX4K phone XXXXXX5678"
    out = scrub_processor(
        None, "info", {"event": "x", "password": "hunter2", "body": {"api_key": "k", "pan": "ABCPV1234K"}}
    )
    assert out["password"] == "[redacted]" and out["body"]["api_key"] == "[redacted]"
    assert out["body"]["pan"] == "XXXXXXX4K"


def test_identifiers_that_contain_ten_digits_are_not_taken_for_phone_numbers():
    user_id = "619b27b6-3718-4236-b214-3a6123456789"
    request_id = "d144e46eaee4099a2487841c9812345678ef"
    assert mask_text(f"user {user_id} request {request_id}") == f"user {user_id} request {request_id}"
    assert mask_text("call 9812345678, or 91-9812345678") == "call XXXXXX5678, or XXXXXX5678"


def test_trace_id_in_error_matches_log_line(client):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.getLogger().handlers[0].formatter)
    logging.getLogger().addHandler(handler)
    try:
        r = client.get("/api/v1/auth/me")
    finally:
        logging.getLogger().removeHandler(handler)
    assert r.status_code == 401
    trace_id = r.json()["trace_id"]
    assert len(trace_id) == 32
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("event") == "request" and line.get("route") == "/api/v1/auth/me"]
    assert access and access[0]["trace_id"] == trace_id
