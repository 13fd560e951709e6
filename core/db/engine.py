"""SQLAlchemy engine and sessions. Callers own the transaction: ``with session_scope() as s``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from core.config import Settings, get_settings
from core.db.embedded import embedded_url

_lock = threading.Lock()
_engines: dict[str, tuple[Engine, sessionmaker[Session]]] = {}


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs.

    >>> normalise_url("postgresql://u@h/db")
    'postgresql+psycopg://u@h/db'
    >>> normalise_url("postgres://u@h/db")
    'postgresql+psycopg://u@h/db'
    """
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def database_url(settings: Settings | None = None) -> str:
    """The configured URL, or the embedded server's (started on demand)."""
    settings = settings or get_settings()
    if settings.database_url:
        return normalise_url(settings.database_url)
    return embedded_url(settings.pg_data_dir)


def _entry(settings: Settings) -> tuple[Engine, sessionmaker[Session]]:
    key = f"{settings.database_url or ''}|{settings.pg_data_dir}"
    with _lock:
        if key not in _engines:
            engine = create_engine(
                database_url(settings),
                pool_size=settings.db_pool_size,
                max_overflow=10,
                pool_pre_ping=True,
            )
            _engines[key] = (engine, sessionmaker(bind=engine, expire_on_commit=False))
        return _engines[key]


def get_engine(settings: Settings | None = None) -> Engine:
    """The process-wide engine for the current settings (one pool per database)."""
    return _entry(settings or get_settings())[0]


def get_sessionmaker(settings: Settings | None = None) -> sessionmaker[Session]:
    """The session factory bound to :func:`get_engine`."""
    return _entry(settings or get_settings())[1]


def reset_engines() -> None:
    """Dispose every cached engine (tests switch databases with this)."""
    with _lock:
        for engine, _ in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session_scope(settings: Settings | None = None) -> Iterator[Session]:
    """A session inside one transaction: committed on success, rolled back on any error."""
    factory = get_sessionmaker(settings)
    with factory() as session, session.begin():
        yield session
