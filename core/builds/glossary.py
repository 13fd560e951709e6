"""Build step 1: import or refresh a taxonomy into the glossary, then check the tree."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy.orm import Session

from core.builds.common import Stopwatch, build_tenant, dry_run_guard
from core.builds.params import resolve_path
from core.builds.quality import NodeRecord, level_counts, quality_report, quality_summary
from core.builds.results import GlossaryBuildResult
from core.config import get_settings
from core.models import GlossaryNode
from core.tenancy import scoped

if TYPE_CHECKING:  # pragma: no cover
    from core.imports.taxonomy import TaxonomyColumns


def build_glossary(
    session: Session,
    tenant_id: str,
    *,
    taxonomy_path: str | Path,
    taxonomy: str | None = None,
    columns: TaxonomyColumns | None = None,
    encoding: str = "utf-8",
    dry_run: bool = False,
    progress: bool = False,
) -> GlossaryBuildResult:
    """Upsert a taxonomy file into the tenant's glossary and report on the tree's quality.

    The import itself is ``core.imports.taxonomy.import_taxonomy`` (validate everything, then
    upsert by code, bump ``version`` on change); this step adds the quality report
    (cycles, orphans, duplicate codes, missing French/English labels, label clashes) and the
    counts per level that a data scientist checks before building the dictionary.

    Args:
        session: an open session; the caller commits (the notebook cell's ``session_scope``).
        tenant_id: whose glossary (``tenant_demo`` is created on first use).
        taxonomy_path: CSV/XLSX file (relative paths: working dir, then the project root).
        taxonomy: taxonomy name; None lets the importer guess it from the file.
        columns: column mapping for files whose headers differ from the defaults.
        encoding: file encoding.
        dry_run: report what would change and roll everything back.
        progress: show a progress bar.

    Returns:
        Import counts (``created``/``updated``/``unchanged``/``skipped``), node and problem
        counts, the quality tables and the node table for the tree figure.

    Raises:
        NotFoundError: the file or the tenant does not exist.
        ValidationProblems: the file is refused (nothing written).
    """
    from core.imports.taxonomy import import_taxonomy

    watch = Stopwatch()
    build_tenant(session, tenant_id)
    path = resolve_path(taxonomy_path)
    with dry_run_guard(session, dry_run):
        imported = import_taxonomy(
            session,
            tenant_id,
            path,
            taxonomy=taxonomy,
            columns=columns,
            encoding=encoding,
            progress=progress,
        )
        name = _taxonomy_name(imported.kind, taxonomy, path)
        session.flush()
        nodes = list(
            session.scalars(
                scoped(GlossaryNode, tenant_id, GlossaryNode.taxonomy == name)
                .order_by(GlossaryNode.path)
                .execution_options(populate_existing=True)
            )
        )
        records = [NodeRecord(n.code, n.parent_code, n.level, dict(n.labels or {})) for n in nodes]
    languages = [lang for lang in get_settings().languages if lang in ("fr", "en")] or ["fr"]
    quality = quality_report(records, languages)
    summary = quality_summary(quality)
    counts: dict[str, int | float] = {
        "created": imported.created,
        "updated": imported.updated,
        "unchanged": imported.unchanged,
        "skipped": imported.skipped,
        "nodes": len(records),
        "quality_errors": int((quality["severity"] == "error").sum()),
        "quality_warnings": int((quality["severity"] == "warning").sum()),
    }
    table = pd.DataFrame(
        [
            {"code": r.code, "parent_code": r.parent_code, "level": r.level,
             "label": r.labels.get("fr") or r.labels.get("en") or r.code}
            for r in records
        ],
        columns=["code", "parent_code", "level", "label"],
    )  # fmt: skip
    return GlossaryBuildResult(
        tenant_id=tenant_id,
        counts=counts,
        dry_run=dry_run,
        duration_s=watch.elapsed,
        warnings=list(imported.warnings),
        taxonomy=name,
        quality=quality,
        quality_summary=summary,
        levels=level_counts(records),
        nodes=table,
    )


def _taxonomy_name(kind: str, given: str | None, path: Path) -> str:
    """The taxonomy the importer wrote: from its report kind (``taxonomy:cpv``), else a guess.

    >>> _taxonomy_name("taxonomy:cpv", None, Path("x.csv"))
    'cpv'
    >>> _taxonomy_name("taxonomy", "naf", Path("x.csv"))
    'naf'
    """
    if kind.startswith("taxonomy:") and kind.split(":", 1)[1]:
        return kind.split(":", 1)[1]
    if given:
        return given
    return path.stem.split("_")[0].lower()
