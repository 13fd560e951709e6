"""Storage: engine, sessions, the embedded server and migrations."""

from core.db.engine import get_engine, get_sessionmaker, reset_engines, session_scope

__all__ = ["get_engine", "get_sessionmaker", "reset_engines", "session_scope"]
