"""``marketlounge demo``: the main job (what ``make run`` does), then what to try next."""

from __future__ import annotations

import typer
from rich.table import Table

from core.cli.common import cli_errors, console
from core.tenancy import DEMO_TENANT

NEXT_COMMANDS: list[tuple[str, str]] = [
    ("marketlounge status", "rows per tenant and table"),
    (
        "marketlounge import-taxonomy ../shared/data/cpv_2008.csv --tenant tenant_cpv",
        "the full CPV (9,454 codes) into another tenant",
    ),
    ("marketlounge build all --tenant {tenant}", "glossary → dico → activations → index"),
    ("marketlounge match 'maintenance de compresseurs' --tenant {tenant}", "a hybrid match"),
    ("marketlounge market tension --tenant {tenant}", "the scarcest concepts"),
    ("marketlounge serve api", "the HTTP API"),
    ("marketlounge serve workbench", "the Streamlit workbench"),
]
"""Suggestions printed after the demo; only those whose command exists are shown."""


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the root app."""

    def known_commands() -> set[str]:
        names = {
            c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands
        }
        names |= {g.name or "" for g in app.registered_groups}
        return names

    @app.command("demo")
    @cli_errors
    def demo(
        tenant: str = typer.Option(
            DEMO_TENANT, "--tenant", "-t", help="Tenant to fill (default tenant_demo)."
        ),
        serve: bool = typer.Option(
            False,
            "--serve",
            help="Then print the demo API key and logins and serve the API and the workbench "
            "until Ctrl-C (what `make run` ends with).",
        ),
        skip_import: bool = typer.Option(
            False, "--skip-import", help="Do not re-run the import steps (with --serve)."
        ),
    ) -> None:
        """Run the main job on the shipped real sample (what `make run` does).

        Upgrades the schema, imports data/sample/ (CPV divisions 42 and 50, NAF 28 and 33,
        the DECP contracts of that branch as demands and their winning suppliers as
        companies) into the tenant, then prints what the database holds. Idempotent: a
        second run changes nothing. With no DATABASE_URL it uses the embedded PostgreSQL.

        Example: marketlounge demo
        """
        from core.demo import run_demo

        if serve and skip_import:
            _serve(tenant)
            return
        result = run_demo(
            tenant_id=tenant,
            echo=lambda line: console.print(line, highlight=False, soft_wrap=True),
        )
        table = Table(title=f"What {result['tenant_id']} holds")
        table.add_column("table")
        table.add_column("rows", justify="right")
        for name, count in sorted(result["counts"].items()):
            table.add_row(name, str(count))
        console.print(table)
        console.print(f"done in {result['duration_s']:.1f} s. Next, try:")
        existing = known_commands()
        for command, what in NEXT_COMMANDS:
            if command.split()[1] in existing:
                console.print(
                    f"  {command.format(tenant=tenant)}    # {what}",
                    highlight=False,
                    soft_wrap=True,
                )
        if serve:
            _serve(tenant)


def _serve(tenant: str) -> None:
    from core.demo_serve import prepare_access, print_access, serve_both

    def echo(line: str) -> None:
        console.print(line, highlight=False, soft_wrap=True, markup=False)

    print_access(prepare_access(tenant), echo)
    raise typer.Exit(serve_both(echo))
