"""``marketlounge user create|list|disable``: workbench logins."""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from core.cli.common import cli_errors, console
from core.errors import UserError


def register(app: typer.Typer) -> None:
    """Add the ``user`` command group to the root app."""
    user_app = typer.Typer(
        help="Workbench logins: create, list or disable users (roles curator, analyst, admin).",
        no_args_is_help=True,
    )
    user_app.command("create")(user_create)
    user_app.command("list")(user_list)
    user_app.command("disable")(user_disable)
    user_app.command("demo")(user_demo)
    app.add_typer(user_app, name="user")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt("password", hide_input=True)
    second = typer.prompt("repeat password", hide_input=True)
    if first != second:
        raise UserError("the two passwords differ; nothing was written")
    return str(first)


@cli_errors
def user_create(
    username: str = typer.Argument(..., help="Login name (letters, digits, _ . @ -)."),
    role: str = typer.Option(..., "--role", "-r", help="curator | analyst | admin."),
    tenant: list[str] = typer.Option(
        ..., "--tenant", "-t", help="Tenant the user may open; repeat for several."
    ),
    display_name: str | None = typer.Option(None, "--name", help="Name shown in the sidebar."),
    password_stdin: bool = typer.Option(
        False,
        "--password-stdin",
        help="Read the password from the first line of stdin (scripts) instead of prompting.",
    ),
    update: bool = typer.Option(
        False, "--update", help="Reset password, role and tenants of an existing user."
    ),
) -> None:
    """Create a workbench user with an argon2-hashed password (at least 8 characters).

    Example: echo 's3cret-pass' | marketlounge user create marie --role curator
    --tenant tenant_demo --password-stdin
    """
    from core.db import session_scope
    from core.db.migrate import upgrade_to_head
    from core.users import create_user, validate_role, validate_username

    validate_username(username)
    validate_role(role)
    password = _read_password(password_stdin)
    upgrade_to_head()
    with session_scope() as session:
        identity = create_user(
            session,
            username,
            password,
            role=role,
            tenant_ids=tenant,
            display_name=display_name,
            update=update,
        )
    verb = "updated" if update else "created"
    console.print(
        f"user {identity.username} {verb}: role {identity.role}, "
        f"tenants {', '.join(identity.tenant_ids)}"
    )


@cli_errors
def user_list() -> None:
    """List active workbench users with their role and tenants."""
    from core.db import session_scope
    from core.db.migrate import upgrade_to_head
    from core.users import list_users

    upgrade_to_head()
    with session_scope() as session:
        users = list_users(session)
    if not users:
        console.print("no user yet: marketlounge user create NAME --role curator --tenant T")
        return
    table = Table(title="Workbench users")
    for column in ("username", "role", "tenants", "name"):
        table.add_column(column)
    for user in users:
        table.add_row(
            user.username, user.role, ", ".join(user.tenant_ids), user.display_name or ""
        )
    console.print(table)


@cli_errors
def user_disable(username: str = typer.Argument(..., help="Login name to disable.")) -> None:
    """Disable a login (its curation history keeps the name)."""
    from core.db import session_scope
    from core.db.migrate import upgrade_to_head
    from core.users import deactivate_user

    upgrade_to_head()
    with session_scope() as session:
        deactivate_user(session, username)
    console.print(f"user {username} disabled")


@cli_errors
def user_demo(
    tenant: str = typer.Option("tenant_demo", "--tenant", "-t", help="Tenant to open."),
) -> None:
    """Create the documented demo logins (curator, analyst, admin) on a tenant; idempotent.

    Example: marketlounge user demo --tenant tenant_demo
    """
    from core.db import session_scope
    from core.db.migrate import upgrade_to_head
    from core.users import ensure_demo_users

    upgrade_to_head()
    with session_scope() as session:
        logins = ensure_demo_users(session, tenant)
    console.print("demo logins (change them on a shared installation):")
    for username, password, role in logins:
        console.print(f"  {username} / {password}  ({role})")
