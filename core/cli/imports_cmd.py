"""``marketlounge import-taxonomy`` / ``import-companies`` / ``import-market``: files → DB."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from core.cli.common import cli_errors, console, err_console
from core.errors import UserError

if TYPE_CHECKING:
    from core.imports.report import ImportReport

_MAX_WARNINGS = 20
TENANT_HELP = "Tenant to import into (tenant_<letters, digits, _>); created if missing."
ENCODING_HELP = "Text encoding of a CSV (strict); try latin-1 for old Excel exports."
PROGRESS_HELP = "Show progress bars on stderr."


def register(app: typer.Typer) -> None:
    """Add the three import commands to the root app."""
    app.command("import-taxonomy")(import_taxonomy_cmd)
    app.command("import-companies")(import_companies_cmd)
    app.command("import-market")(import_market_cmd)


def parse_language_columns(values: list[str] | None, option: str) -> dict[str, str] | None:
    """``["fr=label_fr", "en=label_en"]`` → ``{"fr": "label_fr", "en": "label_en"}``.

    >>> parse_language_columns(["fr=Libellé", "en = Label"], "--label-col")
    {'fr': 'Libellé', 'en': 'Label'}
    >>> parse_language_columns(None, "--label-col") is None
    True
    """
    if not values:
        return None
    mapping: dict[str, str] = {}
    for value in values:
        lang, sep, column = value.partition("=")
        if not sep or not lang.strip() or not column.strip():
            raise UserError(f"{option} {value!r}: write LANG=COLUMN, e.g. {option} fr=label_fr")
        mapping[lang.strip().lower()] = column.strip()
    return mapping


def _print_report(report: ImportReport) -> None:
    """The summary line, then the warnings (at most 20) on stderr."""
    console.print(report.summary(), highlight=False, soft_wrap=True)
    for warning in report.warnings[:_MAX_WARNINGS]:
        err_console.print(
            f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True
        )
    if len(report.warnings) > _MAX_WARNINGS:
        err_console.print(f"… and {len(report.warnings) - _MAX_WARNINGS} more warnings")


def _prepare(tenant: str) -> None:
    """Refuse a bad tenant id before touching the database, then upgrade the schema."""
    from core.db.migrate import upgrade_to_head
    from core.tenancy import validate_tenant_id

    validate_tenant_id(tenant)
    upgrade_to_head()


@cli_errors
def import_taxonomy_cmd(
    path: Path = typer.Argument(..., help="CSV or .xlsx file with one node per row."),
    tenant: str = typer.Option(..., "--tenant", "-t", help=TENANT_HELP),
    taxonomy: str | None = typer.Option(
        None, help="Taxonomy name; default cpv/naf when the codes look like one, else custom."
    ),
    code_col: str = typer.Option("code", help="Column of the node code."),
    parent_col: str | None = typer.Option(
        None, help="Column of the parent code. Default: parent_code or parent if present."
    ),
    level_col: str | None = typer.Option(
        None, help="Column of the level number. Default: level if present, else tree depth."
    ),
    label_col: list[str] | None = typer.Option(
        None,
        help="LANG=COLUMN, repeatable (--label-col fr=label_fr --label-col en=label_en). "
        "Default: every label_<lang> column.",
    ),
    description_col: list[str] | None = typer.Option(
        None, help="LANG=COLUMN, repeatable. Default: every description_<lang> column."
    ),
    type_col: str | None = typer.Option(
        None, help="Column of the node type. Default: node_type/type, else named by level."
    ),
    encoding: str = typer.Option("utf-8", help=ENCODING_HELP),
    progress: bool = typer.Option(True, help=PROGRESS_HELP),
) -> None:
    """Import a taxonomy (CPV, NAF or your own tree) into the tenant's glossary.

    Nodes are upserted by code: new codes are created, changed ones get a new version,
    identical ones are left alone, so importing the same file twice changes nothing. The
    whole file is checked first (encoding, columns, duplicate codes, unknown parents,
    cycles, rows without a label); on any problem nothing is written and every problem is
    listed with its row.

    Example: marketlounge import-taxonomy ../shared/data/cpv_2008.csv --tenant tenant_demo
    """
    from core.db import session_scope
    from core.imports.taxonomy import TaxonomyColumns, import_taxonomy

    columns = TaxonomyColumns(
        code=code_col,
        parent=parent_col,
        level=level_col,
        labels=parse_language_columns(label_col, "--label-col"),
        descriptions=parse_language_columns(description_col, "--description-col"),
        type=type_col,
    )
    _prepare(tenant)
    with session_scope() as session:
        report = import_taxonomy(
            session,
            tenant,
            path,
            taxonomy=taxonomy,
            columns=columns,
            encoding=encoding,
            progress=progress,
        )
    _print_report(report)


@cli_errors
def import_companies_cmd(
    path: Path = typer.Argument(..., help="CSV or .xlsx file in the company schema."),
    tenant: str = typer.Option(..., "--tenant", "-t", help=TENANT_HELP),
    encoding: str = typer.Option("utf-8", help=ENCODING_HELP),
    progress: bool = typer.Option(True, help=PROGRESS_HELP),
) -> None:
    """Import company profiles, upserted by SIREN.

    Columns: siren and name (required), naf_code, description, products (|-separated),
    departement, region, website, source. SIRENs are checksum-validated; an empty cell
    leaves the stored value as it is. Nothing is written if any row is wrong.

    Example: marketlounge import-companies data/sample/companies_sample.csv -t tenant_demo
    """
    from core.db import session_scope
    from core.imports.companies import import_companies

    _prepare(tenant)
    with session_scope() as session:
        report = import_companies(session, tenant, path, encoding=encoding, progress=progress)
    _print_report(report)


@cli_errors
def import_market_cmd(
    path: Path = typer.Argument(
        ..., help="The DECP contracts CSV as published, or a file in the market schema."
    ),
    tenant: str = typer.Option(..., "--tenant", "-t", help=TENANT_HELP),
    kind: str = typer.Option(
        "auto",
        help="auto: the file's kind column (DECP contracts are demands); demand or offer: "
        "every row is that kind.",
    ),
    encoding: str = typer.Option("utf-8", help=ENCODING_HELP),
    progress: bool = typer.Option(True, help=PROGRESS_HELP),
) -> None:
    """Import offers and demands, upserted by external_ref.

    A DECP contracts file is recognised by its columns: each contract becomes a demand
    (CPV code, place → département and région, date, amount, buyer) and each winning
    supplier with a valid SIRET a company profile linked to it; ids that are not SIRETs are
    skipped with a warning. A file in the market schema (kind, external_ref, text, …) is
    refused with every problem listed if any row is wrong.

    Example: marketlounge import-market ../shared/data/decp_contracts_dev.csv -t tenant_demo
    """
    from core.db import session_scope
    from core.imports.market import import_market

    if kind not in ("auto", "demand", "offer"):
        raise UserError(f"--kind {kind!r}: use auto, demand or offer")
    _prepare(tenant)
    with session_scope() as session:
        report = import_market(
            session,
            tenant,
            path,
            kind=kind,  # type: ignore[arg-type]
            encoding=encoding,
            progress=progress,
        )
    _print_report(report)
