"""Real Redis: shared match cache, rate limits shared by two apps, Redis dying mid-run."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from api.main import create_app
from api.ratelimit import window_of
from tests.api.api_helpers import PUMPS, SeededTenant, auth, free_port

pytestmark = pytest.mark.redis


def wait_for_a_fresh_window(margin: int = 10) -> None:
    """Start a rate-limit test early in a minute, so the window cannot roll over mid-test."""
    left = window_of(time.time())[1]
    if left < margin:
        time.sleep(left + 0.1)


def test_two_app_instances_share_the_match_cache(
    api_settings, redis_url: str, tenant_a: SeededTenant
) -> None:
    from core.matching.service import reset_matchers

    settings = api_settings.model_copy(update={"redis_url": redis_url})
    query = {"query": f"pompes et compresseurs {uuid.uuid4().hex[:6]}"}
    with TestClient(create_app(settings)) as first_app:
        first = first_app.post("/match", json=query, headers=auth(tenant_a))
    reset_matchers()  # the second app builds its own matcher: only Redis is shared
    with TestClient(create_app(settings)) as second_app:
        second = second_app.post("/match", json=query, headers=auth(tenant_a))
    assert (first.json()["cache"], second.json()["cache"]) == ("miss", "hit")
    assert first.json()["shortlist"] == second.json()["shortlist"]
    keys = redis.Redis.from_url(redis_url).keys(f"ml:match:*{tenant_a.tenant_id}*")
    assert keys


def test_rate_limits_are_shared_through_redis_and_answer_429(
    api_settings, redis_url: str, tenant_a: SeededTenant
) -> None:
    settings = api_settings.model_copy(
        update={"redis_url": redis_url, "api_rate_limit_per_minute": 5}
    )
    wait_for_a_fresh_window()
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        codes = [
            client.get("/concepts", headers=auth(tenant_a)).status_code
            for client in (one, two, one, two, one)
        ]
        refused = two.get("/concepts", headers=auth(tenant_a))
        other_key = one.get("/concepts", headers={"X-API-Key": _new_key(tenant_a.tenant_id)})
    assert codes == [200] * 5
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert "retry in" in refused.json()["detail"]
    assert other_key.status_code == 200  # limits are per key


def test_without_redis_each_process_counts_alone(api_settings, tenant_a: SeededTenant) -> None:
    settings = api_settings.model_copy(update={"api_rate_limit_per_minute": 3})
    wait_for_a_fresh_window()
    key = {"X-API-Key": _new_key(tenant_a.tenant_id)}
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        first = [one.get("/concepts", headers=key).status_code for _ in range(4)]
        second = [two.get("/concepts", headers=key).status_code for _ in range(3)]
    assert first == [200, 200, 200, 429]
    assert second == [200, 200, 200]


def _new_key(tenant_id: str) -> str:
    from core.apikeys import create_api_key
    from core.db import session_scope

    with session_scope() as session:
        return create_api_key(session, tenant_id, "rate-limit-test").key


@pytest.fixture
def private_redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A throwaway redis-server on a free loopback port, which the test may kill."""
    port = free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    else:
        process.kill()
        pytest.fail("redis-server did not start")
    yield url, process
    if process.poll() is None:
        process.kill()
        process.wait()


def test_redis_stopping_mid_run_still_answers_200_with_a_warning(
    api_settings, private_redis, tenant_a: SeededTenant
) -> None:
    url, process = private_redis
    settings = api_settings.model_copy(update={"redis_url": url})
    query = {"query": tenant_a.labels[PUMPS]["fr"] + f" {uuid.uuid4().hex[:6]}"}
    with TestClient(create_app(settings)) as test_client:
        before = test_client.post("/match", json=query, headers=auth(tenant_a))
        cached = test_client.post("/match", json=query, headers=auth(tenant_a))
        assert test_client.get("/ready").json()["status"] == "ok"
        process.kill()
        process.wait()
        after = [test_client.post("/match", json=query, headers=auth(tenant_a)) for _ in range(3)]
        ready = test_client.get("/ready")
        concepts = test_client.get("/concepts", headers=auth(tenant_a))
    assert (before.json()["cache"], cached.json()["cache"]) == ("miss", "hit")
    assert before.json()["warnings"] == []
    for response in after:
        assert response.status_code == 200, response.text
        assert response.json()["cache"] == "miss"
        assert any("Redis" in w for w in response.json()["warnings"])
        ids = [item["concept_id"] for item in response.json()["shortlist"]]
        assert ids == [item["concept_id"] for item in before.json()["shortlist"]]
    assert concepts.status_code == 200
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
