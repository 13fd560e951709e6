"""``marketlounge init`` / ``status`` / ``tenant``: the database and its tenants."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlalchemy import select

from core.cli.common import cli_errors, console
from core.config import get_settings


def register(app: typer.Typer) -> None:
    """Add ``init``, ``status`` and ``tenant create`` to the root app."""
    app.command("init")(init)
    app.command("status")(status)
    tenant_app = typer.Typer(help="Create or list tenants.", no_args_is_help=True)
    tenant_app.command("create")(tenant_create)
    tenant_app.command("list")(tenant_list)
    app.add_typer(tenant_app, name="tenant")


@cli_errors
def init() -> None:
    """Create the pgvector extension and upgrade the schema to the latest migration.

    Safe to run many times and from several processes at once. With no DATABASE_URL this
    starts the embedded PostgreSQL in MARKETLOUNGE_DATA_DIR.
    """
    from core.db.migrate import upgrade_to_head

    revision = upgrade_to_head()
    settings = get_settings()
    where = (
        "external database (DATABASE_URL)"
        if settings.database_url
        else (f"embedded PostgreSQL in {settings.pg_data_dir}")
    )
    console.print(f"schema at revision [bold]{revision}[/] on {where}")


@cli_errors
def status(
    tenant: str | None = typer.Option(None, "--tenant", "-t", help="Only this tenant."),
) -> None:
    """Show row counts per tenant and table: what is in the database."""
    from core.db import session_scope
    from core.db.migrate import upgrade_to_head
    from core.reporting import tenant_counts

    upgrade_to_head()
    with session_scope() as session:
        counts = tenant_counts(session, tenant)
    if not counts:
        console.print("no tenant yet: run `marketlounge demo` or an import command")
        return
    columns = sorted({name for row in counts.values() for name in row})
    table = Table(title="Rows per tenant")
    table.add_column("tenant")
    for name in columns:
        table.add_column(name, justify="right")
    for tenant_id, row in counts.items():
        table.add_row(tenant_id, *(str(row.get(name, 0)) for name in columns))
    console.print(table)


@cli_errors
def tenant_create(
    tenant_id: str = typer.Argument(..., help="tenant_<letters, digits, _>"),
    name: str | None = typer.Option(None, help="Display name."),
) -> None:
    """Create a tenant (idempotent)."""
    from core.db import session_scope
    from core.db.migrate import upgrade_to_head
    from core.tenancy import ensure_tenant, validate_tenant_id

    validate_tenant_id(tenant_id)
    upgrade_to_head()
    with session_scope() as session:
        ensure_tenant(session, tenant_id, name=name)
    console.print(f"tenant {tenant_id} ready")


@cli_errors
def tenant_list() -> None:
    """List tenants."""
    from core.db import session_scope
    from core.db.migrate import upgrade_to_head
    from core.models import Tenant

    upgrade_to_head()
    with session_scope() as session:
        rows = session.execute(select(Tenant.tenant_id, Tenant.name).order_by(Tenant.tenant_id))
        for tenant_id, name in rows:
            console.print(f"{tenant_id}\t{name}")
