"""#12 item 4: deeply nested JSON is refused before any parser recurses — 4xx in the one error shape, never 500."""

from __future__ import annotations

import json

import pytest
from tests.factories import bearer, make_tenant, make_user

from creditdesk.kit import jsonlimits

#: The reproduction: 1,000 nested arrays, a 2 KB body.
NESTED = b"[" * 1000 + b"]" * 1000


def _nested_object(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


def _depth_by_parsing(value: object) -> int:
    if isinstance(value, dict | list):
        children = value.values() if isinstance(value, dict) else value
        return 1 + max((_depth_by_parsing(c) for c in children), default=0)
    return 0


@pytest.mark.parametrize(
    "doc",
    [
        {"applicant": {"name": "A", "tags": [["x"], []]}},
        {"text": 'brackets [[{{ and "quotes" inside strings nest nothing', "n": [1, [2, [3]]]},
        {'k\\"[': ["\\", '[\\"', {"x": []}]},
        [],
        "[[[",
        7,
    ],
)
def test_depth_matches_the_parsed_document(doc):
    assert jsonlimits.depth(json.dumps(doc)) == _depth_by_parsing(doc)


def test_unclosed_brackets_count_too_and_the_limit_is_inclusive():
    assert jsonlimits.depth(b"[" * 5000) == 5000  # malformed, but a recursive parser would still descend
    jsonlimits.check_depth(_nested_object(64), 64)
    with pytest.raises(jsonlimits.TooDeep, match="the limit is 64"):
        jsonlimits.loads(_nested_object(65), 64)


def _assert_refused(r, status: int) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) >= {"error", "detail", "request_id"}
    assert "64" in body["detail"] and "nested" in body["detail"]


def test_nested_login_body_is_a_400_not_a_recursion_error(client):
    assert len(NESTED) == 2000
    for ctype in ("application/json", "application/json; charset=utf-8", None):
        headers = {"Content-Type": ctype} if ctype else {}
        r = client.post("/api/v1/auth/token", content=NESTED, headers=headers)
        _assert_refused(r, 400)
        assert r.json()["error"] == "BadRequest"
    r = client.post("/api/v1/auth/token", content=_nested_object(1000), headers={"Content-Type": "application/json"})
    _assert_refused(r, 400)
    # a body within the limit still reaches the route (and is judged there)
    r = client.post("/api/v1/auth/token", json={"email": "nobody@example.com", "password": "x" * 12})
    assert r.status_code == 401


@pytest.fixture
def officer(session):
    tenant = make_tenant(session)
    user = make_user(session, tenant, "field_officer")
    session.commit()
    return tenant, bearer(user)


def test_nested_bodies_and_uploads_on_every_parsing_route(client, officer):
    tenant, headers = officer
    base = f"/api/v1/tenants/{tenant.slug}"
    r = client.post(f"{base}/applications", content=NESTED, headers={**headers, "Content-Type": "application/json"})
    _assert_refused(r, 400)
    for route in ("batches/preview", "batches", "alt-data/analyse"):
        r = client.post(f"{base}/{route}", files={"file": ("deep.json", NESTED, "application/json")}, headers=headers)
        _assert_refused(r, 422)
    # a statement guessed to be JSON from its first byte, without a name or type saying so
    r = client.post(f"{base}/alt-data/analyse", files={"file": ("upload", NESTED)}, headers=headers)
    _assert_refused(r, 422)
