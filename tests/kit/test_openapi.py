"""The OpenAPI document describes what the API answers: error shapes, statuses, security, Allow."""

from __future__ import annotations

import re

from tests.factories import bearer, make_tenant, make_user

from creditdesk.kit.openapi import DECIMAL_STRING, PUBLIC


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "put", "post", "delete", "patch"):
                yield path, method, op


def test_every_operation_documents_its_errors_in_the_one_error_shape(client):
    spec = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert set(spec["components"]["securitySchemes"]) == {"bearer", "apiKey"}
    error = {"$ref": "#/components/schemas/Error"}
    for path, method, op in _operations(spec):
        responses = op["responses"]
        if path in ("/healthz", "/readyz"):
            continue
        for status in ("400", "422", "429", "503"):
            assert responses[status]["content"]["application/json"]["schema"] == error, (path, method, status)
        if (path, method) in PUBLIC:
            assert "security" not in op
            assert "401" in responses, (path, method)  # a wrong password, code or refresh token
        elif path.startswith("/api/v1/me/"):  # a borrower's own token; never an API key
            assert {"401", "403", "404"} <= set(responses), (path, method)
            assert op["security"] == [{"bearer": []}]
        else:
            assert {"401", "403", "404"} <= set(responses), (path, method)
            assert op["security"] == [{"bearer": []}, {"apiKey": []}]
        if "requestBody" in op:
            assert "413" in responses, (path, method)


def test_a_validation_error_matches_its_documented_shape(client, session):
    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    session.commit()
    r = client.put(f"/api/v1/tenants/{tenant.slug}/policy", json={"lgd": "lots"}, headers=bearer(admin))
    assert r.status_code == 422
    body = r.json()
    assert set(body) >= {"error", "detail", "fields"} and {f["field"] for f in body["fields"]} == {"body.lgd"}


def test_decimals_written_as_strings_are_documented_as_the_server_reads_them(client):
    spec = client.get("/openapi.json").json()
    amount = spec["components"]["schemas"]["LoanRequest"]["properties"]["amount"]
    strings = [b for b in amount["anyOf"] if b.get("type") == "string"]
    assert strings and strings[0]["pattern"] == DECIMAL_STRING
    assert not re.match(DECIMAL_STRING, "") and re.match(DECIMAL_STRING, "300000.50")


def test_a_wrong_method_names_every_method_the_path_answers(client):
    r = client.request("OPTIONS", "/api/v1/tenants/demo-nbfc/policy")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, PUT"
    assert r.json()["error"] == "MethodNotAllowed"
    r = client.request("DELETE", "/api/v1/tenants/demo-nbfc/batches/template.csv")
    assert r.headers["allow"] == "GET"  # the literal path, not /batches/{batch_id}


def test_a_date_filter_must_be_iso_8601(client, session):
    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    session.commit()
    url = f"/api/v1/tenants/{tenant.slug}/audit"
    refused = client.get(url, params={"created_to": "9"}, headers=bearer(admin))
    assert refused.status_code == 422 and "ISO 8601" in refused.json()["detail"]
    assert client.get(url, params={"created_to": "2026-11-01"}, headers=bearer(admin)).status_code == 200


def test_an_offset_beyond_a_64_bit_integer_is_a_422_naming_the_parameter(client, session):
    admin = make_user(session, None, "platform_admin")
    session.commit()
    r = client.get("/api/v1/ops/dead-letters", params={"offset": 2**63}, headers=bearer(admin))
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "query.offset"


def test_odd_inputs_found_by_fuzzing_are_4xx(client, session):
    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    session.commit()
    base, auth = f"/api/v1/tenants/{tenant.slug}", bearer(admin)
    # a day is YYYY-MM-DD, not a number of seconds
    assert client.get(f"{base}/portfolio/loans", params={"as_of": "7.25e-308"}, headers=auth).status_code == 422
    # a stray carriage return inside an unquoted CSV field: a readable error, not a crash
    statement = b'date,amount\r\n2026-01-01,"1\r00"\r\n2026-01-02,5\rx,6\n'
    r = client.post(f"{base}/alt-data/analyse", files={"file": ("s.csv", statement, "text/csv")}, headers=auth)
    assert r.status_code == 200 and {e["field"] for e in r.json()["errors"]} == {"amount", "date"}, r.text
    r = client.post(
        f"{base}/batches/preview", files={"file": ("b.csv", b'name,pan\r\n"a\rb",x\rq\n', "text/csv")}, headers=auth
    )
    assert r.status_code in (200, 422), r.text
