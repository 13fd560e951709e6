"""What the first cell of every build notebook calls: settings, schema, tenant, display."""

from __future__ import annotations

import os
from dataclasses import dataclass

from core.config import get_settings


@dataclass(frozen=True)
class NotebookContext:
    """Where this notebook's kernel reads and writes (shown under the setup cell)."""

    tenant_id: str
    database: str
    embedding_model: str
    llm: str

    def __str__(self) -> str:
        return (
            f"tenant {self.tenant_id} · database: {self.database} · "
            f"model: {self.embedding_model} · LLM: {self.llm}"
        )

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:
        printer.text(str(self))  # type: ignore[attr-defined]


def prepare_notebook(tenant_id: str, *, embedding_model: str | None = None) -> NotebookContext:
    """Make the kernel ready for a build: model choice, schema, tenant, tables and plots.

    Args:
        tenant_id: the notebook's tenant (``tenant_demo`` is created on first use, any
            other tenant must exist).
        embedding_model: overrides ``EMBEDDING_MODEL`` for this kernel (None: keep it).
    """
    from core.builds.runner import prepare_tenant

    if embedding_model:
        os.environ["EMBEDDING_MODEL"] = embedding_model
        get_settings.cache_clear()
    _configure_display()
    prepare_tenant(tenant_id)
    settings = get_settings()
    database = (
        "DATABASE_URL"
        if settings.database_url
        else f"embedded PostgreSQL in {settings.pg_data_dir}"
    )
    llm = "configured" if settings.mistral_api_key else "not configured (degraded mode)"
    return NotebookContext(tenant_id, database, settings.embedding_model, llm)


def _configure_display() -> None:
    """Readable tables; plotly figures as JSON (JupyterLab draws them, files stay small);
    no model-loading bars or ipywidgets notices in the outputs."""
    import warnings

    import pandas as pd
    import plotly.io as pio

    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    warnings.filterwarnings("ignore", message="IProgress not found")

    pd.set_option("display.max_rows", 60)
    pd.set_option("display.max_colwidth", 120)
    pio.renderers.default = "plotly_mimetype"
