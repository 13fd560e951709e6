"""Pytest fixtures around the fake: import them into an area's ``conftest.py``.

``fake_mistral`` is session-scoped (one server per run); ``fake`` resets its script and log
for each test; ``llm_settings`` / ``llm`` give settings and a fresh facade pointing at it
(short timeouts and backoff so failure tests stay quick).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fake_mistral.server import FakeMistralServer, run_fake_mistral


@pytest.fixture(scope="session")
def fake_mistral() -> Iterator[FakeMistralServer]:
    """One fake Mistral server for the whole run."""
    with run_fake_mistral() as server:
        yield server


@pytest.fixture
def fake(fake_mistral: FakeMistralServer) -> FakeMistralServer:
    """The fake with an empty script and log."""
    fake_mistral.state.reset()
    return fake_mistral


@pytest.fixture
def llm_settings(fake: FakeMistralServer, settings: Any) -> Any:
    """Settings pointing the client at the fake, with quick timeouts, retries and breaker."""
    return settings.model_copy(
        update={
            "mistral_api_key": fake.api_key,
            "mistral_server_url": fake.url,
            "mistral_model": "fake-small",
            "mistral_rerank_model": "fake-rerank",
            "mistral_timeout_seconds": 1.0,
            "mistral_max_retries": 2,
            "mistral_backoff_seconds": 0.01,
            "mistral_retry_after_max_seconds": 0.2,
            "mistral_circuit_failures": 5,
            "mistral_circuit_cooldown_seconds": 0.3,
        }
    )


@pytest.fixture
def llm(llm_settings: Any) -> Iterator[Any]:
    """A fresh facade (own breaker and counters) talking to the fake."""
    from core.llm import LLM

    facade = LLM(llm_settings)
    yield facade
    facade.close()
