"""Build step 5: the matcher's metrics on a labelled file, recall@k curves, worst queries.

The metrics table is the evaluation harness' (``core.evaluation.harness.evaluate``: recall@1/
5/10, MRR, nDCG@10 per method, exact and loose credit). The harness returns averages only,
so this step ranks each query once more with ``Matcher.rankings`` to draw recall@k per method
and to pick the worst queries, which ``Matcher.why_not`` then explains.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from core.builds.common import Stopwatch, build_tenant
from core.builds.params import resolve_path
from core.builds.results import EvaluationResult

CURVE_KS = (1, 2, 3, 5, 10, 20, 50)
MAIN_METHOD = "weighted"
"""The method whose failures are listed as the worst queries (the matcher's default)."""


def run_evaluation(
    session: Session,
    tenant_id: str,
    *,
    eval_path: str | Path,
    limit: int | None = None,
    exclude_examples: bool = True,
    worst: int = 10,
    progress: bool = False,
) -> EvaluationResult:
    """Evaluate the tenant's matcher on ``text, expected_code[, lang]`` pairs.

    Only validated concepts are searched (the matcher's default), so run the dico step with
    ``auto_validate`` (or curate) first. A text that is also one of the tenant's concept
    examples would be found by its own copy: ``exclude_examples`` leaves those out (counted
    as ``excluded``), so the metrics describe unseen texts — on the sample, the contracts the
    dico step held out.

    Args:
        session: an open session (read only: nothing is logged).
        tenant_id: whose concepts.
        eval_path: the labelled CSV.
        limit: only the first ``limit`` pairs (before exclusion).
        exclude_examples: skip pairs whose text is a concept example of the tenant.
        worst: how many of the worst queries to explain.
        progress: progress bars.

    Returns:
        The metrics table, the recall@k curve per method and the worst queries explained.
    """
    from core.evaluation.harness import METHODS, evaluate, read_pairs
    from core.matching.normalize import normalize
    from core.matching.service import get_matcher

    watch = Stopwatch()
    build_tenant(session, tenant_id)
    pairs = read_pairs(resolve_path(eval_path), limit=limit)
    matcher = get_matcher()
    catalog = matcher.catalog(session, tenant_id)
    excluded = 0
    if exclude_examples and catalog.examples is not None:
        seen = {normalize(text) for text in catalog.examples.texts}
        kept = [pair for pair in pairs if normalize(pair.text) not in seen]
        excluded, pairs = len(pairs) - len(kept), kept
    report = evaluate(session, tenant_id, pairs, matcher=matcher, progress=progress)
    code_of = {int(cid): catalog.codes[row] for cid, row in catalog.row_of.items()}
    id_of = {code: cid for cid, code in code_of.items() if code}
    usable = [pair for pair in pairs if pair.expected_code in id_of]
    vectors = matcher.encoder.encode_queries([p.text for p in usable], progress=progress)
    ranks: dict[str, list[int | None]] = {method: [] for method in METHODS}
    firsts: list[int | None] = []
    for pair, vector in zip(usable, vectors, strict=True):
        ranked = matcher.rankings(session, tenant_id, pair.text, query_vector=vector)
        for method in METHODS:
            ranks[method].append(_rank_of(ranked[method], id_of[pair.expected_code]))
        firsts.append(ranked[MAIN_METHOD][0] if ranked[MAIN_METHOD] else None)
    curve = recall_curve(ranks)
    worst_rows = _worst(
        session, tenant_id, matcher, usable, ranks[MAIN_METHOD], firsts, id_of, worst
    )
    metrics = metrics_table(report.methods, report.loose)
    weighted = report.methods.get(MAIN_METHOD, {})
    counts: dict[str, int | float] = {
        "queries": report.n,
        "excluded": excluded,
        "unknown_codes": report.unknown_codes,
        "leaked": report.leaked,
        "recall@1": weighted.get("recall@1", 0.0),
        "recall@10": weighted.get("recall@10", 0.0),
        "mrr": weighted.get("mrr", 0.0),
    }
    warnings = []
    if report.unknown_codes:
        warnings.append(
            f"{report.unknown_codes} pair(s) expect a code with no validated concept "
            f"(e.g. {', '.join(report.unknown_examples[:5])}): not evaluated"
        )
    if report.leaked:
        warnings.append(
            f"{report.leaked} evaluated text(s) are also concept examples: optimistic metrics"
        )
    if not report.n:
        warnings.append("no pair left to evaluate: check the file's codes and exclude_examples")
    raw: dict[str, Any] = {**report.to_json(), "leaked": report.leaked, "excluded": excluded,
                           "unknown_codes": report.unknown_codes}  # fmt: skip
    return EvaluationResult(
        tenant_id=tenant_id,
        counts=counts,
        duration_s=watch.elapsed,
        warnings=warnings,
        metrics=metrics,
        curve=curve,
        worst=worst_rows,
        raw=raw,
    )


def _rank_of(ids: list[int], wanted: int) -> int | None:
    """1-based rank of ``wanted`` in ``ids``.

    >>> _rank_of([5, 7, 9], 9), _rank_of([5], 1) is None
    (3, True)
    """
    for rank, concept_id in enumerate(ids, start=1):
        if concept_id == wanted:
            return rank
    return None


def recall_curve(
    ranks: dict[str, list[int | None]], ks: tuple[int, ...] = CURVE_KS
) -> pd.DataFrame:
    """recall@k for each method and k (``method, k, recall``).

    >>> recall_curve({"m": [1, 3, None]}, ks=(1, 3)).values.tolist()
    [['m', 1, 0.3333], ['m', 3, 0.6667]]
    """
    rows = []
    for method, values in ranks.items():
        for k in ks:
            hits = sum(1 for r in values if r is not None and r <= k)
            rows.append({"method": method, "k": k,
                         "recall": round(hits / len(values), 4) if values else 0.0})  # fmt: skip
    return pd.DataFrame(rows, columns=["method", "k", "recall"])


def metrics_table(
    exact: dict[str, dict[str, float]], loose: dict[str, dict[str, float]]
) -> pd.DataFrame:
    """One row per method and credit, one column per metric.

    >>> metrics_table({"rrf": {"mrr": 0.5}}, {"rrf": {"mrr": 0.7}}).values.tolist()
    [['rrf', 'exact', 0.5], ['rrf', 'loose', 0.7]]
    """
    rows = [
        {"method": method, "credit": credit, **values}
        for method in exact
        for credit, values in (("exact", exact[method]), ("loose", loose.get(method, {})))
    ]
    return pd.DataFrame(rows)


def _worst(
    session: Session,
    tenant_id: str,
    matcher: Any,
    pairs: list[Any],
    ranks: list[int | None],
    firsts: list[int | None],
    id_of: dict[str, int],
    limit: int,
) -> pd.DataFrame:
    """The queries whose expected concept ranks lowest, with the matcher's "why not"."""
    from core.matching.catalog import display_label

    columns = ["text", "expected", "rank", "first", "stage", "why"]
    order = sorted(range(len(pairs)), key=lambda i: (-(ranks[i] or 10**9), pairs[i].text))
    catalog = matcher.catalog(session, tenant_id)
    rows = []
    for i in order[:limit]:
        if ranks[i] == 1:
            break
        pair = pairs[i]
        expected_id = id_of[pair.expected_code]
        why = matcher.why_not(session, tenant_id, pair.text, expected_id)
        first = firsts[i]
        first_text = ""
        if first is not None and first in catalog.row_of:
            row = catalog.row_of[first]
            first_text = f"{catalog.codes[row]} · {display_label(catalog.labels[row], 'fr')}"
        rows.append(
            {"text": pair.text[:140], "expected": f"{pair.expected_code} · {why.label}",
             "rank": ranks[i], "first": first_text, "stage": why.stage,
             "why": why.sentence_en}
        )  # fmt: skip
    table = pd.DataFrame(rows, columns=columns)
    table["rank"] = table["rank"].astype("Int64")  # None stays <NA>, not NaN
    return table
