"""``marketlounge apikey create|list|revoke``: API keys of a tenant for ``POST /match``."""

from __future__ import annotations

import typer

from core.cli.common import cli_errors, console, err_console

TENANT_OPTION = typer.Option(..., "--tenant", "-t", help="The tenant the key belongs to.")


def register(app: typer.Typer) -> None:
    """Add the ``apikey`` command group to the root app."""
    key_app = typer.Typer(
        help=(
            "API keys for the HTTP API (POST /match): create (the key is printed once), list, "
            "revoke. Keys are stored hashed; a key only ever reaches its own tenant's data."
        ),
        no_args_is_help=True,
    )
    key_app.command("create")(apikey_create)
    key_app.command("list")(apikey_list)
    key_app.command("revoke")(apikey_revoke)
    app.add_typer(key_app, name="apikey")


@cli_errors
def apikey_create(
    tenant: str = TENANT_OPTION,
    name: str = typer.Option(
        "default", "--name", "-n", help="A label for people, e.g. erp-prod (default: default)."
    ),
) -> None:
    """Create an API key and print it ONCE (only its hash is stored: copy it now).

    Example: marketlounge apikey create --tenant tenant_demo --name erp-prod
    """
    from core.apikeys import create_api_key
    from core.db import session_scope
    from core.db.migrate import upgrade_to_head

    upgrade_to_head()
    with session_scope() as session:
        created = create_api_key(session, tenant, name)
    err_console.print(
        f"API key {created.info.key_prefix} ({created.info.name}) created for {tenant}; "
        "it is shown only once, store it now (clé affichée une seule fois) :"
    )
    print(created.key)


@cli_errors
def apikey_list(
    tenant: str = TENANT_OPTION,
    all_keys: bool = typer.Option(False, "--all", help="Also show revoked keys."),
) -> None:
    """List a tenant's keys: prefix, name, created, last used (never the secret).

    Example: marketlounge apikey list --tenant tenant_demo
    """
    from rich.table import Table

    from core.apikeys import list_api_keys
    from core.db import session_scope
    from core.db.migrate import upgrade_to_head

    upgrade_to_head()
    with session_scope() as session:
        keys = list_api_keys(session, tenant, include_revoked=all_keys)
    if not keys:
        console.print(f"no API key for {tenant}: marketlounge apikey create --tenant {tenant}")
        return
    table = Table(title=f"API keys of {tenant}")
    for column in ("prefix", "name", "created", "last used", "revoked"):
        table.add_column(column)
    for key in keys:
        table.add_row(
            key.key_prefix,
            key.name,
            f"{key.created_at:%Y-%m-%d %H:%M}" if key.created_at else "",
            f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never",
            f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "",
        )
    console.print(table)


@cli_errors
def apikey_revoke(
    prefix: str = typer.Argument(..., help="The key's prefix (from `apikey list`) or the key."),
    tenant: str = TENANT_OPTION,
) -> None:
    """Revoke a key: requests with it get 401 within a few seconds on every server.

    Example: marketlounge apikey revoke 1a2b3c4d --tenant tenant_demo
    """
    from core.apikeys import revoke_api_key
    from core.db import session_scope
    from core.db.migrate import upgrade_to_head

    upgrade_to_head()
    with session_scope() as session:
        info = revoke_api_key(session, tenant, prefix)
    console.print(f"API key {info.key_prefix} ({info.name}) of {tenant} revoked")
