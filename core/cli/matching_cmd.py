"""``marketlounge match`` / ``index`` / ``eval`` / ``eval-prepare``: the hybrid matcher."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from core.cli.common import cli_errors, console, err_console, is_interactive

TENANT_HELP = "Tenant id (tenant_<letters, digits, _>), e.g. tenant_demo."


def register(app: typer.Typer) -> None:
    """Add ``match``, ``index``, ``eval`` and ``eval-prepare`` to the root app."""
    app.command("match")(match)
    app.command("index")(index)
    app.command("eval")(evaluate)
    app.command("eval-prepare")(eval_prepare)


@cli_errors
def match(
    query: str = typer.Argument(..., help="The need, French or English: 'usinage titane'."),
    tenant: str = typer.Option(..., "--tenant", "-t", help=TENANT_HELP),
    company: int | None = typer.Option(
        None, "--company", help="Only concepts this company (company_id) is activated on."
    ),
    top_k: int = typer.Option(10, "--top-k", "-k", help="Shortlist length (1..MATCH_MAX_TOP_K)."),
    only_activated: bool = typer.Option(
        False, "--only-activated", help="Only concepts with at least one activated company."
    ),
    branch: str | None = typer.Option(
        None, "--branch", help="Only concepts under this glossary code or path prefix."
    ),
    fusion: str = typer.Option(
        "weighted", "--fusion", help="weighted (scores, default 0.6/0.4) or rrf (ranks)."
    ),
    lexical_weight: float | None = typer.Option(
        None, help="Weight of the lexical score (default MATCH_LEXICAL_WEIGHT)."
    ),
    vector_weight: float | None = typer.Option(
        None, help="Weight of the vector score (default MATCH_VECTOR_WEIGHT)."
    ),
    status: list[str] = typer.Option(
        ["validated"], "--status", help="Concept statuses to search (repeat the option)."
    ),
    rerank: bool = typer.Option(False, "--rerank", help="Ask the LLM to rerank (needs a key)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the cache."),
    as_json: bool = typer.Option(False, "--json", help="Print the full result as JSON."),
) -> None:
    """Match a free-text need to the tenant's concepts, with companies and explanations.

    Prints a table (rank, code, label, score, sources, companies) and, under it, the French
    explanation of each line; --json prints everything (both languages, scores, ranks).
    The match is logged (source "cli").

    Example: marketlounge match "maintenance de compresseurs" --tenant tenant_demo --top-k 5
    """
    from core.db import session_scope
    from core.db.migrate import upgrade_to_head
    from core.matching.service import get_matcher
    from core.matching.types import FusionOptions, MatchOptions

    upgrade_to_head()
    matcher = get_matcher()
    defaults = matcher.default_options().fusion
    options = MatchOptions(
        top_k=top_k,
        company_id=company,
        only_activated=only_activated,
        branch=branch,
        statuses=tuple(status),
        fusion=FusionOptions(
            method=fusion,  # type: ignore[arg-type]  # validated by the matcher
            lexical_weight=defaults.lexical_weight if lexical_weight is None else lexical_weight,
            vector_weight=defaults.vector_weight if vector_weight is None else vector_weight,
            rrf_k=defaults.rrf_k,
        ),
        rerank=rerank,
        use_cache=not no_cache,
    )
    with session_scope() as session:
        result = matcher.match(session, tenant, query, options, source="cli")
    if as_json:
        console.print_json(json.dumps(result.to_dict(), ensure_ascii=False, default=str))
        return
    table = Table(title=escape(result.summary_fr), show_lines=False)
    for column, justify in (("#", "right"), ("code", "left"), ("concept", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    table.add_column("score", justify="right")
    table.add_column("sources")
    table.add_column("entreprises / companies")
    for rank, item in enumerate(result.shortlist, start=1):
        names = ", ".join(c.name for c in item.companies[:3])
        more = len(item.companies) - 3
        table.add_row(
            str(rank),
            escape(item.code or ""),
            escape(item.label),
            f"{item.score:.2f}",
            "+".join(item.sources),
            escape(names + (f" (+{more})" if more > 0 else "")),
        )
    console.print(table)
    for rank, item in enumerate(result.shortlist, start=1):
        if item.explanation:
            console.print(f"[dim]{rank}.[/] {escape(item.explanation.sentence_fr)}")
    for warning in result.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}")
    backend = result.vector_backend
    console.print(
        f"[dim]{result.latency_ms:.1f} ms · cache {'hit' if result.cache_hit else 'miss'} · "
        f"vector {backend} · index {result.index_version} · request {result.request_id}[/]"
    )


@cli_errors
def index(
    tenant: str = typer.Option(..., "--tenant", "-t", help=TENANT_HELP),
    recall: bool = typer.Option(
        True, "--recall/--no-recall", help="Also measure recall@10 against exact search."
    ),
) -> None:
    """Build the tenant's FAISS index from the embeddings of its validated concepts.

    Exact search below HNSW_THRESHOLD concepts, HNSW above. Files go to
    FAISS_INDEX_DIR/<tenant>/<model>/ with a manifest.json; running matchers pick the new
    index up on their next request.

    Example: marketlounge index --tenant tenant_demo
    """
    from core.db import session_scope
    from core.db.migrate import upgrade_to_head
    from core.matching.index import build_index, index_recall

    upgrade_to_head()
    with session_scope() as session:
        manifest = build_index(session, tenant, progress=is_interactive())
        measured = index_recall(session, tenant, k=10) if recall else None
    console.print(
        f"index {manifest.version}: {manifest.count} concepts, {manifest.index_type}, "
        f"model {manifest.model}, built in {manifest.build_seconds:.2f} s"
        + (f", recall@10 {measured:.3f}" if measured is not None else "")
    )


@cli_errors
def evaluate(
    file: Path = typer.Argument(..., help="CSV with columns text, expected_code[, lang]."),
    tenant: str = typer.Option(..., "--tenant", "-t", help=TENANT_HELP),
    json_path: Path | None = typer.Option(
        None, "--json", help='Write {"n", "methods", "loose"} metrics to this file.'
    ),
    limit: int | None = typer.Option(None, "--limit", help="Only the first N pairs."),
    examples: bool = typer.Option(
        True, "--examples/--no-examples", help="Use the tenant's labelled examples as evidence."
    ),
) -> None:
    """Recall@1/5/10, MRR and nDCG@10 of lexical, vector, weighted and RRF, side by side.

    "exact" credits only the expected code; "loose" also its parent or a child. Pairs whose
    expected code is not a concept of the tenant are counted and skipped.

    Example: marketlounge eval runs/eval_holdout.csv --tenant tenant_eval --json runs/eval.json
    """
    from core.db import session_scope
    from core.db.migrate import upgrade_to_head
    from core.evaluation.harness import METHODS, evaluate, read_pairs
    from core.evaluation.metrics import METRIC_NAMES

    pairs = read_pairs(file, limit=limit)
    upgrade_to_head()
    with session_scope() as session:
        report = evaluate(session, tenant, pairs, progress=is_interactive(), use_examples=examples)
    for title, block in (("exact code", report.methods), ("loose (parent/child)", report.loose)):
        table = Table(title=f"{title} — n = {report.n}")
        table.add_column("method")
        for name in METRIC_NAMES:
            table.add_column(name, justify="right")
        for method in METHODS:
            table.add_row(method, *(f"{block[method][name]:.3f}" for name in METRIC_NAMES))
        console.print(table)
    if report.unknown_codes:
        err_console.print(
            f"[yellow]warning:[/] {report.unknown_codes} pair(s) skipped: expected code not a "
            f"concept of {tenant} (e.g. {', '.join(report.unknown_examples[:5])})"
        )
    if report.leaked:
        err_console.print(
            f"[yellow]warning:[/] {report.leaked} evaluated text(s) are also concept examples of "
            f"{tenant}: the figures are optimistic (see eval-prepare's buyer split)"
        )
    console.print(f"[dim]{report.seconds:.1f} s[/]")
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
        console.print(f"report written to {json_path}")


@cli_errors
def eval_prepare(
    tenant: str = typer.Option(..., "--tenant", "-t", help=TENANT_HELP),
    taxonomy: Path | None = typer.Option(
        None,
        "--taxonomy",
        help="Taxonomy CSV (code, parent_code, label_fr, label_en). "
        "Default: cpv_2008.csv in MARKETLOUNGE_SHARED_DATA_DIR.",
    ),
    contracts: Path | None = typer.Option(
        None,
        "--contracts",
        help="Labelled contracts (DECP columns). Default: "
        "decp_contracts_dev.csv in MARKETLOUNGE_SHARED_DATA_DIR.",
    ),
    out: Path = typer.Option(
        Path("runs/eval_holdout.csv"), "--out", help="Where to write the held-out pairs."
    ),
    holdout: float = typer.Option(
        0.5, "--holdout", help="Share of buyers held out for evaluation (0..1)."
    ),
    examples: bool = typer.Option(
        True, "--examples/--no-examples", help="Add the other buyers' contracts as examples."
    ),
) -> None:
    """Set up an evaluation tenant: the whole taxonomy as validated concepts, embedded and
    indexed, plus labelled contracts of *other buyers* as concept examples.

    Contracts are split by buyer (SIREN): held-out buyers' contracts are written to --out as
    evaluation pairs and are never examples, so figures are not inflated by near-duplicate
    wordings of the same buyer. Run `marketlounge eval <out> --tenant <tenant>` next.

    Example: marketlounge eval-prepare --tenant tenant_eval
    """
    from core.config import get_settings
    from core.db import session_scope
    from core.db.migrate import upgrade_to_head
    from core.evaluation.seed import (
        read_contracts,
        read_taxonomy,
        seed_concepts,
        seed_examples,
        split_by_buyer,
        write_pairs,
    )
    from core.matching.index import build_index
    from core.matching.store import embed_concepts, embed_examples
    from core.tenancy import validate_tenant_id

    validate_tenant_id(tenant)
    settings = get_settings()
    taxonomy = taxonomy or settings.shared_data_dir / "cpv_2008.csv"
    contracts = contracts or settings.shared_data_dir / "decp_contracts_dev.csv"
    rows = read_taxonomy(taxonomy)
    items = read_contracts(contracts)
    example_items, held = split_by_buyer(items, holdout_share=holdout)
    upgrade_to_head()
    progress = is_interactive()
    with session_scope() as session:
        codes = seed_concepts(session, tenant, rows)
        added = seed_examples(session, tenant, example_items, codes) if examples else 0
        embedded = embed_concepts(session, tenant, progress=progress)
        embedded_examples = embed_examples(session, tenant, progress=progress)
    with session_scope() as session:
        manifest = build_index(session, tenant, progress=progress)
    written = write_pairs(out, held)
    console.print(
        f"{tenant}: {len(codes)} concepts ({embedded} embedded now), {added} examples added "
        f"({embedded_examples} embedded now), index {manifest.index_type} of {manifest.count}; "
        f"{written} held-out pairs written to {out}"
    )
