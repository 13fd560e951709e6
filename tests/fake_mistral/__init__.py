"""A local fake of Mistral's chat API, scripted per test, served by uvicorn on loopback.

Tests drive the REAL ``mistralai`` client against it: nothing leaves 127.0.0.1.
"""

from tests.fake_mistral.app import (
    API_KEY,
    Behaviour,
    FakeMistralState,
    RecordedRequest,
    bad_envelope,
    create_app,
    drop,
    malformed,
    ok,
    rate_limited,
    server_error,
    slow,
    status,
)
from tests.fake_mistral.server import FakeMistralServer, run_fake_mistral

__all__ = [
    "API_KEY",
    "Behaviour",
    "FakeMistralServer",
    "FakeMistralState",
    "RecordedRequest",
    "bad_envelope",
    "create_app",
    "drop",
    "malformed",
    "ok",
    "rate_limited",
    "run_fake_mistral",
    "server_error",
    "slow",
    "status",
]
