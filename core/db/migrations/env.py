"""Alembic environment: runs on the connection handed over by ``core.db.migrate``."""

from __future__ import annotations

from alembic import context

from core.db.engine import get_engine
from core.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Use the caller's connection (which holds the advisory lock) when there is one."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        with get_engine().connect() as own:
            context.configure(connection=own, target_metadata=target_metadata)
            with context.begin_transaction():
                context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
