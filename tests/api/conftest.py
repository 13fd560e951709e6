"""API fixtures: two real tenants (CPV division 42 concepts, real DECP suppliers, embeddings,
a FAISS index), one API key each, and the real app served through ``TestClient``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.api_helpers import (
    HIGH_LIMIT,
    LIFTING,
    PUMPS,
    SeededTenant,
    cpv_rows,
    fresh_tenant_id,
    seed_tenant,
)


@pytest.fixture(scope="session")
def tenant_a(engine: object) -> SeededTenant:
    """Division 42 (levels 1-3, 48 concepts), real suppliers activated on two concepts."""
    return seed_tenant(fresh_tenant_id("apia"), cpv_rows(), activate={PUMPS: [0, 1], LIFTING: [2]})


@pytest.fixture(scope="session")
def tenant_b(engine: object) -> SeededTenant:
    """Another tenant with the same labels (so a leak would show) and its own ids."""
    return seed_tenant(fresh_tenant_id("apib"), cpv_rows()[:12], activate={PUMPS: [3]})


@pytest.fixture(scope="session")
def api_settings(settings: object) -> object:
    """The test settings with a rate limit the shared apps never reach."""
    return settings.model_copy(update={"api_rate_limit_per_minute": HIGH_LIMIT})  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def client(
    api_settings: object, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> Iterator[object]:
    """The real app (lifespan run: matcher and model loaded) on the test database."""
    from fastapi.testclient import TestClient

    from api.main import create_app

    with TestClient(create_app(api_settings)) as test_client:  # type: ignore[arg-type]
        yield test_client
