"""Foundation: settings, tenant ids, migrations."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.tenancy import InvalidTenantError, validate_tenant_id


@pytest.mark.parametrize("bad", ["", "demo", "tenant_", "tenant-x", "tenant_é", "TENANT_x", 3])
def test_invalid_tenant_ids_are_refused(bad: object) -> None:
    with pytest.raises(InvalidTenantError, match="must match"):
        validate_tenant_id(bad)


def test_migrations_are_idempotent_and_pgvector_is_there(engine) -> None:
    from core.db.migrate import current_revision, head_revision, upgrade_to_head

    assert upgrade_to_head() == head_revision()
    assert upgrade_to_head() == head_revision()
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        version = conn.execute(
            text("select extversion from pg_extension where extname = 'vector'")
        ).scalar()
    assert version is not None


def test_models_match_migrations(engine) -> None:
    from alembic import command

    from core.db.migrate import alembic_config

    command.check(alembic_config())  # raises if the models drifted from the migrations
