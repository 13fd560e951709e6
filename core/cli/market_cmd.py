"""``marketlounge market …``: classify offers/demands, print tension, write the HTML report."""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from core.cli.common import cli_errors, console, is_interactive

TENANT_HELP = "Tenant to analyse (tenant_<letters, digits, _>), e.g. tenant_demo."
FROM_HELP = "First day included, YYYY-MM-DD (dated demands and offers only). Default: all."
TO_HELP = "Last day included, YYYY-MM-DD. Default: all."
REGION_HELP = "Only this French région: INSEE code (53) or name (Bretagne). Default: all."
BRANCH_HELP = "Only concepts under this glossary code or path (e.g. 50000000). Default: all."
FREQ_HELP = "Period granularity for growth: Y (year), H (half-year), Q (quarter), M (month)."
MIN_COUNT_HELP = "Fewer demands than this → flagged as a small sample (indicative only)."
DATE_FORMATS = ["%Y-%m-%d"]

market_app = typer.Typer(
    help=(
        "Market tension on the tenant's offers and demands: classify them onto concepts, "
        "print the tension index, write a standalone HTML report."
    ),
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add ``market classify``, ``market to-classify``, ``market tension``, ``market report``."""
    market_app.command("classify")(classify_cmd)
    market_app.command("to-classify")(to_classify_cmd)
    market_app.command("tension")(tension_cmd)
    market_app.command("report")(report_cmd)
    app.add_typer(market_app, name="market")


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def _prepare(tenant: str) -> None:
    from core.db.migrate import upgrade_to_head
    from core.tenancy import validate_tenant_id

    validate_tenant_id(tenant)
    upgrade_to_head()


def _num(value: object, digits: int = 2) -> str:
    """Table cell for a number ('–' when missing).

    >>> _num(2.5), _num(float("nan")), _num(float("inf")), _num(3)
    ('2.50', '–', '∞', '3')
    """
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        if math.isinf(value):
            return "∞"
        return f"{value:.{digits}f}"
    return str(value)


@cli_errors
def classify_cmd(
    tenant: str = typer.Option(..., "--tenant", "-t", help=TENANT_HELP),
    kind: str = typer.Option("all", help="demand, offer or all."),
    threshold: float = typer.Option(
        0.5, help="Lowest matcher score (0..1) accepted; below, the item goes to classify."
    ),
    all_items: bool = typer.Option(
        False, "--all", help="Classify again every item not classified by a curator."
    ),
) -> None:
    """Put offers and demands without concepts onto concepts.

    A known source code (the CPV code of a contract) is used first (confidence 1.0; a
    glossary code with no concept of its own goes to its nearest ancestor, 0.9); otherwise
    the matcher reads the text. Below --threshold the item is listed by
    `marketlounge market to-classify` for curators.

    Example: marketlounge market classify --tenant tenant_demo --threshold 0.6
    """
    from core.db import session_scope
    from core.errors import UserError
    from core.market.classification import classify_items

    kinds = ("demand", "offer") if kind == "all" else (kind,)
    if kind not in ("all", "demand", "offer"):
        raise UserError(f"--kind {kind!r}: use demand, offer or all")
    _prepare(tenant)
    with session_scope() as session:
        for name in kinds:
            report = classify_items(
                session,
                tenant,
                kind=name,  # type: ignore[arg-type]
                threshold=threshold,
                only_unclassified=not all_items,
                progress=is_interactive(),
            )
            console.print(report.summary(), highlight=False, soft_wrap=True)


@cli_errors
def to_classify_cmd(
    tenant: str = typer.Option(..., "--tenant", "-t", help=TENANT_HELP),
    limit: int = typer.Option(50, min=1, help="Rows shown."),
) -> None:
    """List offers and demands waiting for a curator (matcher not confident enough).

    Example: marketlounge market to-classify --tenant tenant_demo
    """
    from core.db import session_scope
    from core.market.classification import to_classify

    _prepare(tenant)
    with session_scope() as session:
        frame = to_classify(session, tenant)
    if frame.empty:
        console.print("nothing to classify / rien à classer")
        return
    table = Table(title=f"To classify / à classer ({len(frame)})")
    for column in ("kind", "item_id", "confidence", "text", "candidates"):
        table.add_column(column, overflow="fold")
    for _, row in frame.head(limit).iterrows():
        table.add_row(
            row["kind"],
            str(row["item_id"]),
            _num(row["confidence"]),
            str(row["text"])[:80],
            row["candidates"],
        )
    console.print(table)


@cli_errors
def tension_cmd(
    tenant: str = typer.Option(..., "--tenant", "-t", help=TENANT_HELP),
    top: int = typer.Option(20, min=1, help="Rows shown (most tense first)."),
    by: str = typer.Option("concept", help="concept, branch or region."),
    level: int | None = typer.Option(None, min=1, help="With --by branch: only this depth."),
    period_from: datetime | None = typer.Option(None, formats=DATE_FORMATS, help=FROM_HELP),
    period_to: datetime | None = typer.Option(None, formats=DATE_FORMATS, help=TO_HELP),
    region: str | None = typer.Option(None, help=REGION_HELP),
    branch: str | None = typer.Option(None, help=BRANCH_HELP),
    freq: str = typer.Option("Q", help=FREQ_HELP),
    min_count: int = typer.Option(5, min=1, help=MIN_COUNT_HELP),
    csv: Path | None = typer.Option(None, help="Also write the full table to this CSV file."),
) -> None:
    """Print the composite tension index and its driver, most tense first.

    Units with enough demands are listed first; small samples follow, marked '~'. The index
    averages standardised components (demand/supply, demand dynamics, supplier
    concentration, unmet demand), each weighed by its credibility n/(n+min-count).

    Example: marketlounge market tension --tenant tenant_demo --top 10 --region Bretagne
    """
    from core.db import session_scope
    from core.market.facts import MarketFilters, load_facts
    from core.market.tension import ranked, tension_index

    _prepare(tenant)
    filters = MarketFilters(_day(period_from), _day(period_to), region, branch)
    with session_scope() as session:
        facts = load_facts(session, tenant, filters, freq=freq)
        index = tension_index(facts, by=by, level=level, min_count=min_count)
    if csv is not None:
        index.to_csv(csv, index=False)
        console.print(f"wrote {len(index)} rows to {csv}", soft_wrap=True)
    if index.empty:
        console.print(
            "no demand on a concept here: import demands (marketlounge import-market) and "
            "run `marketlounge market classify`"
        )
        return
    periods = f"{index['previous_period'].iloc[0]} → {index['current_period'].iloc[0]}"
    table = Table(
        title=f"Tension — {tenant} — {facts.filters.describe()} — {periods}",
        caption=(
            "~ small sample: indicative only / petit effectif : indicatif · "
            "dem. = demands, sup. = distinct suppliers"
        ),
    )
    name_col = {"concept": "label", "branch": "branch_label", "region": "region_name"}[by]
    key_col = {"concept": "code", "branch": "branch_code", "region": "region"}[by]
    table.add_column("", min_width=1)
    table.add_column("code", no_wrap=True)
    table.add_column("name", overflow="ellipsis", no_wrap=True, max_width=34)
    table.add_column("index", justify="right", no_wrap=True)
    table.add_column("driver", overflow="fold", min_width=12)
    table.add_column("dem.", justify="right", min_width=4)
    table.add_column("sup.", justify="right", min_width=4)
    table.add_column("ratio [95% CI]", no_wrap=True)
    for _, row in ranked(index).head(top).iterrows():
        table.add_row(
            "~" if row["low_confidence"] else "",
            str(row[key_col]),
            str(row[name_col]),
            f"{row['tension_index']:+.2f}",
            row["driver_label_en"],
            str(row["demands"]),
            str(row["suppliers"]),
            f"{_num(row['ratio'])} [{_num(row['ratio_low'])}–{_num(row['ratio_high'])}]",
            style="dim" if row["low_confidence"] else None,
        )
    Console(width=max(console.width, 130)).print(table)  # readable when piped too
    if facts.unclassified_demands:
        console.print(f"{facts.unclassified_demands} demand(s) on no concept were left out")


@cli_errors
def report_cmd(
    tenant: str = typer.Option(..., "--tenant", "-t", help=TENANT_HELP),
    out: Path = typer.Option(Path("market_report.html"), "--out", "-o", help="HTML file."),
    period_from: datetime | None = typer.Option(None, formats=DATE_FORMATS, help=FROM_HELP),
    period_to: datetime | None = typer.Option(None, formats=DATE_FORMATS, help=TO_HELP),
    region: str | None = typer.Option(None, help=REGION_HELP),
    branch: str | None = typer.Option(None, help=BRANCH_HELP),
    freq: str = typer.Option("Q", help=FREQ_HELP),
    min_count: int = typer.Option(5, min=1, help=MIN_COUNT_HELP),
    search: bool = typer.Option(
        True, help="Use 'searched but not found' queries from the match logs as a component."
    ),
) -> None:
    """Write a standalone HTML tension report (opens offline: plotly.js is embedded).

    Same indicators and charts as the workbench page, with a French/English explanation of
    the index and its drivers. Default output: ./market_report.html.

    Example: marketlounge market report --tenant tenant_demo --out report.html --region 84
    """
    from core.db import session_scope
    from core.market.report import build_report

    _prepare(tenant)
    with session_scope() as session:
        path = build_report(
            session,
            tenant,
            out,
            period_from=_day(period_from),
            period_to=_day(period_to),
            region=region,
            branch=branch,
            freq=freq,
            include_search=search,
            min_count=min_count,
        )
    size = path.stat().st_size / 1e6
    console.print(f"wrote {path} ({size:.1f} MB, opens offline)", soft_wrap=True)
