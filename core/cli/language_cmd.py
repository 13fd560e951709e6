"""``marketlounge translate`` / ``export-glossary`` / ``labels-check`` / ``llm-status``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from core.cli.common import cli_errors, console, err_console, is_interactive

TENANT_HELP = "Tenant whose glossary and concepts to use (tenant_<letters, digits, _>)."


def register(app: typer.Typer) -> None:
    """Add the language, SEO and LLM commands to the root app."""
    app.command("translate")(translate_cmd)
    app.command("export-glossary")(export_glossary_cmd)
    app.command("labels-check")(labels_check_cmd)
    app.command("llm-status")(llm_status_cmd)


@cli_errors
def translate_cmd(
    tenant: str = typer.Option(..., "--tenant", "-t", help=TENANT_HELP),
    langs: str | None = typer.Option(
        None,
        "--langs",
        "-l",
        help="Target languages, comma-separated (default: LANGUAGES, i.e. fr,en).",
    ),
    what: str = typer.Option(
        "all", "--what", help="glossary (node labels, descriptions), concepts, or all."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Only count what would be translated; no LLM call, no write."
    ),
    batch_size: int = typer.Option(40, min=1, help="Texts per LLM call."),
    show: int = typer.Option(10, min=0, help="Changes to print as examples."),
) -> None:
    """Fill missing labels, synonyms and definitions in other languages (LLM, with provenance).

    Only missing texts, and machine translations whose source text changed, are
    (re)translated; imported and human texts are never replaced. Without MISTRAL_API_KEY
    nothing is written and the work is reported as pending.

    Example: marketlounge translate --tenant tenant_demo --langs en --dry-run
    """
    from core.config import get_settings
    from core.db import session_scope
    from core.language import parse_langs, translate_tenant
    from core.tenancy import validate_tenant_id

    validate_tenant_id(tenant)
    targets = parse_langs(langs, default=get_settings().languages)
    with session_scope() as session:
        report = translate_tenant(
            session,
            tenant,
            targets,
            what=what,  # type: ignore[arg-type]  # checked inside
            dry_run=dry_run,
            progress=is_interactive(),
            batch_size=batch_size,
        )
    for line in report.summary_lines():
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    for lang, counts in report.by_lang().items():
        console.print(f"  {lang}: {counts}", highlight=False, markup=False, soft_wrap=True)
    for change in report.changes[:show]:
        console.print(
            f"  {change['action']:<15} {change['kind']} {change['code']} "
            f"{change['field']}:{change['lang']} ← {change['source_lang']}: "
            f"{change['after'] if change['after'] is not None else change['before']}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if report.failed:
        raise typer.Exit(1)


@cli_errors
def export_glossary_cmd(
    tenant: str = typer.Option(..., "--tenant", "-t", help=TENANT_HELP),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Folder to write (new, empty, or a previous export)."
    ),
    base_url: str = typer.Option(
        "https://example.org/glossary",
        "--base-url",
        help="Public URL where the folder will be served (canonical, hreflang, sitemap).",
    ),
    langs: str | None = typer.Option(
        None, "--langs", "-l", help="Page languages, comma-separated (default: LANGUAGES)."
    ),
    no_llm: bool = typer.Option(
        False, "--no-llm", help="Deterministic meta descriptions even when a key is set."
    ),
    site_name: str | None = typer.Option(None, help="Public name of the glossary."),
) -> None:
    """Write the static public glossary: one page per validated concept and language.

    Pages carry title, meta description, canonical URL, hreflang alternates, OpenGraph tags,
    JSON-LD (DefinedTerm in a DefinedTermSet, BreadcrumbList) and breadcrumbs; the folder
    also gets a language index per language, index.html, sitemap.xml and robots.txt.

    Example: marketlounge export-glossary --tenant tenant_demo --out site/ --base-url
    https://glossaire.example.fr
    """
    from core.db import session_scope
    from core.language import parse_langs
    from core.seo import export_glossary

    with session_scope() as session:
        report = export_glossary(
            session,
            tenant,
            out,
            base_url=base_url,
            langs=parse_langs(langs, default=[]) or None,
            use_llm=not no_llm,
            site_name=site_name,
            progress=is_interactive(),
        )
    for line in report.summary_lines():
        console.print(line, highlight=False, markup=False, soft_wrap=True)


@cli_errors
def labels_check_cmd(
    tenant: str = typer.Option(..., "--tenant", "-t", help=TENANT_HELP),
    langs: str | None = typer.Option(
        None, "--langs", "-l", help="Languages to check (default: LANGUAGES)."
    ),
    csv: Path | None = typer.Option(None, "--csv", help="Also write every issue to this CSV."),
    no_nodes: bool = typer.Option(False, "--no-nodes", help="Check concepts only."),
) -> None:
    """Check labels per language (missing, duplicate, synonym = other label, stale).

    Checks: a missing label in an active language, two concepts with the same label in one
    language, a synonym equal to another concept's label, a machine translation whose source
    text changed since. Prints counts per check and language, and a few examples.

    Example: marketlounge labels-check --tenant tenant_demo --csv label_issues.csv
    """
    from core.config import get_settings
    from core.db import session_scope
    from core.language import parse_langs, quality_report, quality_summary
    from core.tenancy import require_tenant

    with session_scope() as session:
        require_tenant(session, tenant)
        report = quality_report(
            session,
            tenant,
            langs=parse_langs(langs, default=get_settings().languages),
            include_nodes=not no_nodes,
        )
    if report.empty:
        console.print("aucun problème [no issue]", highlight=False)
        return
    console.print(
        quality_summary(report).to_string(index=False),
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    console.print(
        report.head(10).to_string(index=False, max_colwidth=70),
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    if csv is not None:
        report.to_csv(csv, index=False)
        err_console.print(f"{len(report)} issue(s) written to {csv}", highlight=False)


@cli_errors
def llm_status_cmd() -> None:
    """Show whether the LLM is configured, the models, timeouts and this process's counters.

    The API key itself is never printed.

    Example: marketlounge llm-status
    """
    from core.llm import get_llm

    console.print_json(json.dumps(get_llm().status()))
