"""Run labelled pairs through the matcher and compare retrieval methods side by side.

For every pair (``text``, ``expected_code``) the matcher ranks the tenant's concepts four
ways — lexical only, vector only, weighted fusion, RRF — with no cut-off and no top-k, and
the rank of the expected concept feeds recall@1/5/10, MRR and nDCG@10. The "loose" credit
also accepts the expected concept's parent or one of its children (buyers often pick a code
one level off).
"""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from core.errors import UserError
from core.evaluation.metrics import first_relevant_rank, summarize
from core.matching.normalize import normalize
from core.tenancy import require_tenant

METHODS = ("lexical", "vector", "weighted", "rrf")


@dataclass(frozen=True)
class EvalPair:
    """One labelled text."""

    text: str
    expected_code: str
    lang: str | None = None


def read_pairs(path: str | Path, *, limit: int | None = None) -> list[EvalPair]:
    """Read ``text, expected_code[, lang]`` pairs from a CSV file.

    Raises:
        UserError: the file lacks a required column.
    """
    source = Path(path)
    try:
        handle = source.open(encoding="utf-8", newline="")
    except FileNotFoundError:
        raise UserError(f"evaluation file not found: {source}") from None
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ("text", "expected_code") if c not in (reader.fieldnames or [])]
        if missing:
            raise UserError(
                f"{source}: missing column(s) {', '.join(missing)}; an evaluation file needs "
                "text, expected_code and optionally lang"
            )
        pairs = [
            EvalPair(row["text"].strip(), row["expected_code"].strip(), row.get("lang") or None)
            for row in reader
            if (row.get("text") or "").strip() and (row.get("expected_code") or "").strip()
        ]
    return pairs[:limit] if limit else pairs


@dataclass
class EvalReport:
    """Metrics per method, exact and loose, plus what could not be evaluated."""

    n: int
    methods: dict[str, dict[str, float]]
    loose: dict[str, dict[str, float]]
    unknown_codes: int = 0
    unknown_examples: list[str] = field(default_factory=list)
    leaked: int = 0  # evaluated texts that are also concept examples of the tenant
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The report file's shape: ``{"n", "methods", "loose"}``."""
        return {"n": self.n, "methods": self.methods, "loose": self.loose}


def evaluate(
    session: Session,
    tenant_id: str,
    pairs: Sequence[EvalPair],
    *,
    matcher: Any = None,
    progress: bool = False,
    use_examples: bool = True,
) -> EvalReport:
    """Evaluate the four methods on ``pairs`` for one tenant.

    Args:
        session: an open session (read only).
        tenant_id: the tenant whose concepts carry the expected codes.
        pairs: labelled texts.
        matcher: defaults to ``core.matching.service.get_matcher()``.
        progress: show a progress bar.
        use_examples: let the matcher use the tenant's labelled examples (off: labels only).
    """
    from tqdm.auto import tqdm

    from core.matching.service import get_matcher

    started = time.perf_counter()
    tenant = require_tenant(session, tenant_id)
    matcher = matcher or get_matcher()
    options = replace(matcher.default_options(), use_examples=use_examples)
    catalog = matcher.catalog(session, tenant)
    code_of = {int(cid): catalog.codes[row] for cid, row in catalog.row_of.items()}
    parent_of = {int(cid): catalog.parents[row] for cid, row in catalog.row_of.items()}
    known = {code for code in catalog.codes if code}
    usable = [p for p in pairs if p.expected_code in known]
    unknown = sorted({p.expected_code for p in pairs if p.expected_code not in known})
    example_texts = (
        {normalize(t) for t in catalog.examples.texts} if catalog.examples is not None else set()
    )
    leaked = sum(1 for p in usable if normalize(p.text) in example_texts)
    vectors = matcher.encoder.encode_queries([p.text for p in usable], progress=progress)
    exact: dict[str, list[int | None]] = {m: [] for m in METHODS}
    loose: dict[str, list[int | None]] = {m: [] for m in METHODS}
    parent_by_code = {c: p for c, p in zip(catalog.codes, catalog.parents, strict=True) if c}
    for pair, vector in tqdm(
        list(zip(usable, vectors, strict=True)), desc="evaluating", disable=not progress
    ):
        ranked = matcher.rankings(session, tenant, pair.text, query_vector=vector, options=options)
        want = pair.expected_code
        family = {want, parent_by_code.get(want)} - {None}

        def is_exact(concept_id: int, want: str = want) -> bool:
            return code_of.get(concept_id) == want

        def is_close(concept_id: int, want: str = want, family: set = family) -> bool:
            return code_of.get(concept_id) in family or parent_of.get(concept_id) == want

        for method in METHODS:
            exact[method].append(first_relevant_rank(ranked[method], is_exact))
            loose[method].append(first_relevant_rank(ranked[method], is_close))
    return EvalReport(
        n=len(usable),
        methods={m: summarize(exact[m]) for m in METHODS},
        loose={m: summarize(loose[m]) for m in METHODS},
        unknown_codes=len(pairs) - len(usable),
        unknown_examples=unknown[:10],
        leaked=leaked,
        seconds=round(time.perf_counter() - started, 2),
    )
