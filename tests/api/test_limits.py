"""Body size, query length, top_k bounds, readable 422s, and never a stack trace."""

from __future__ import annotations

import pytest

from tests.api.api_helpers import SeededTenant, auth


def test_a_body_over_the_limit_gets_413_with_the_setting_named(
    client, tenant_a: SeededTenant, api_settings
) -> None:
    size = api_settings.api_max_body_bytes
    body = '{"query": "' + "x" * size + '"}'
    response = client.post(
        "/match",
        content=body,
        headers={**auth(tenant_a), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert "API_MAX_BODY_BYTES" in response.json()["detail"]
    assert str(size) in response.json()["detail"]
    assert response.headers["X-Request-ID"] == response.json()["request_id"]


def test_a_chunked_body_over_the_limit_also_gets_413(client, tenant_a, api_settings) -> None:
    size = api_settings.api_max_body_bytes

    def chunks():
        yield b'{"query": "'
        for _ in range(size // 1000 + 2):
            yield b"y" * 1000
        yield b'"}'

    response = client.post(
        "/match", content=chunks(), headers={**auth(tenant_a), "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "API_MAX_BODY_BYTES" in response.json()["detail"]


def test_a_query_over_the_limit_gets_422_naming_the_field(
    client, tenant_a: SeededTenant, api_settings
) -> None:
    limit = api_settings.match_max_query_chars
    response = client.post("/match", json={"query": "a" * (limit + 1)}, headers=auth(tenant_a))
    assert response.status_code == 422
    body = response.json()
    assert "MATCH_MAX_QUERY_CHARS" in body["detail"]
    assert str(limit) in body["detail"]
    assert body["errors"][0]["field"] == "query"


@pytest.mark.parametrize("top_k", [0, -3, 51, 10_000])
def test_top_k_out_of_bounds_gets_422(client, tenant_a: SeededTenant, top_k: int) -> None:
    response = client.post(
        "/match", json={"query": "pompes", "top_k": top_k}, headers=auth(tenant_a)
    )
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["field"] == "top_k"
    assert "top_k" in body["detail"]


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({}, "query", "required"),
        ({"query": ""}, "query", "at least 1"),
        ({"query": "pompes", "top_k": "ten"}, "top_k", "integer"),
        ({"query": "pompes", "colour": "red"}, "colour", "unknown field"),
        ({"query": "pompes", "fusion": {"method": "max"}}, "fusion.method", "weighted"),
        ({"query": "pompes", "fusion": {"lexical_weight": 2}}, "fusion.lexical_weight", "1"),
        ({"query": "a\x00b"}, "query", "NUL"),
        ({"query": "pompes", "lang": "de"}, "lang", "fr"),
        ({"query": "pompes", "filters": {"statuses": ["live"]}}, "filters.statuses.0", "draft"),
    ],
)
def test_invalid_bodies_get_422_saying_which_field_and_what_to_fix(
    client, tenant_a: SeededTenant, payload: dict, field: str, words: str
) -> None:
    response = client.post("/match", json=payload, headers=auth(tenant_a))
    assert response.status_code == 422
    body = response.json()
    problem = next(p for p in body["errors"] if p["field"] == field)
    assert words in problem["message"]
    assert body["detail"].startswith("invalid request:")
    assert field in body["detail"]


def test_not_json_gets_a_readable_422(client, tenant_a: SeededTenant) -> None:
    response = client.post(
        "/match", content=b"query=pompes", headers={**auth(tenant_a), "Content-Type": "text/plain"}
    )
    assert response.status_code == 422
    assert "JSON" in response.json()["detail"]


def test_an_unexpected_error_is_a_500_without_trace(api_settings, tenant_a) -> None:
    from fastapi.testclient import TestClient

    from api.main import create_app

    app = create_app(api_settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals at /srv/app.py line 3")

    with TestClient(app) as test_client:
        response = test_client.get("/boom")
        metrics = test_client.get("/metrics").text
    assert response.status_code == 500
    assert response.json() == {
        "detail": "internal error",
        "request_id": response.headers["X-Request-ID"],
    }
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert 'marketlounge_http_errors_total{kind="server",route="/boom"} 1.0' in metrics


def test_a_body_that_is_not_utf8_gets_400_saying_what_to_send(client, tenant_a) -> None:
    response = client.post(
        "/match",
        content=b'{"query": "\xff\xfe"}',
        headers={**auth(tenant_a), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "UTF-8" in response.json()["detail"]
