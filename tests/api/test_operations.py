"""/health, /ready (ok, degraded, down) and /metrics."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.api_helpers import PUMPS, SeededTenant, auth, free_port


def test_health_is_always_ok(client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert uuid.UUID(response.headers["X-Request-ID"])


def test_ready_reports_each_dependency(client, tenant_a: SeededTenant) -> None:
    client.post("/match", json={"query": "pompes"}, headers=auth(tenant_a))
    response = client.get("/ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["cache"]["status"] == "ok"
    assert "in-process" in body["checks"]["cache"]["detail"]
    assert body["checks"]["matcher"]["status"] == "ok"
    assert "loaded; indexes held:" in body["checks"]["matcher"]["detail"]
    assert f"{tenant_a.tenant_id} (faiss " in body["checks"]["matcher"]["detail"]
    assert body["checks"]["llm"]["status"] == "disabled"  # no MISTRAL_API_KEY in tests
    assert body["matcher"]


def test_redis_down_is_degraded_but_matching_answers(api_settings, tenant_a: SeededTenant) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    app = create_app(api_settings.model_copy(update={"redis_url": closed}))
    with TestClient(app) as test_client:
        ready = test_client.get("/ready")
        match = test_client.post(
            "/match", json={"query": tenant_a.labels[PUMPS]["fr"]}, headers=auth(tenant_a)
        )
        metrics = test_client.get("/metrics").text
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert ready.json()["checks"]["cache"]["status"] == "degraded"
    assert "Redis unreachable" in ready.json()["checks"]["cache"]["detail"]
    assert match.status_code == 200, match.text
    assert match.json()["shortlist"][0]["concept_id"] == tenant_a.concept_ids[PUMPS]
    assert any("Redis" in warning for warning in match.json()["warnings"])
    assert 'marketlounge_redis_fallback_total{component="ratelimit"} 1.0' in metrics


def test_database_down_is_503(api_settings) -> None:
    dead = f"postgresql://nobody:nothing@127.0.0.1:{free_port()}/none"
    app = create_app(api_settings.model_copy(update={"database_url": dead}))
    with TestClient(app) as test_client:
        ready = test_client.get("/ready")
        health = test_client.get("/health")
    assert health.status_code == 200
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "down"
    assert body["checks"]["database"]["status"] == "down"
    assert "nothing" not in ready.text  # the password never shows


def test_metrics_count_requests_latency_cache_and_errors(
    api_settings, tenant_a: SeededTenant
) -> None:
    query = {"query": f"pompes {uuid.uuid4().hex[:8]}"}
    with TestClient(create_app(api_settings)) as test_client:
        first = test_client.post("/match", json=query, headers=auth(tenant_a))
        second = test_client.post("/v1/match", json=query, headers=auth(tenant_a))
        test_client.get("/concepts", headers={"X-API-Key": "wrong"})
        response = test_client.get("/metrics")
    assert (first.json()["cache"], second.json()["cache"]) == ("miss", "hit")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert (
        'marketlounge_http_requests_total{method="POST",route="/match",status="200"} 1.0' in text
    )
    assert (
        'marketlounge_http_requests_total{method="POST",route="/v1/match",status="200"} 1.0'
        in text
    )
    assert (
        'marketlounge_http_requests_total{method="GET",route="/concepts",status="401"} 1.0' in text
    )
    assert 'marketlounge_match_cache_total{result="hit"} 1.0' in text
    assert 'marketlounge_match_cache_total{result="miss"} 1.0' in text
    assert 'marketlounge_http_errors_total{kind="client",route="/concepts"} 1.0' in text
    assert (
        'marketlounge_http_request_duration_seconds_count{method="POST",route="/match"} 1.0'
        in text
    )
    assert "marketlounge_http_request_duration_seconds_bucket" in text


def test_cors_origins_come_from_settings(api_settings) -> None:
    app = create_app(api_settings.model_copy(update={"api_cors_origins": ["https://a.example"]}))
    with TestClient(app) as test_client:
        allowed = test_client.options(
            "/match",
            headers={"Origin": "https://a.example", "Access-Control-Request-Method": "POST"},
        )
        other = test_client.get("/health", headers={"Origin": "https://evil.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://a.example"
    assert "access-control-allow-origin" not in other.headers
