"""One query through the hybrid pipeline: candidates, fusion, pinning and cut-off.

Pure ranking logic over a :class:`~core.matching.catalog.Catalog` and a vector source; no
caching, logging or companies here (``core.matching.service`` adds those).

Candidate sources:

* **lexical** — labels and synonyms (``core.matching.lexical``), every language;
* **vector** — cosine of the query with the concept embeddings (FAISS, or pgvector);
* **example** — texts already labelled with a concept (past demands, contracts): scored both
  lexically and by cosine, and credited to their concept, discounted a little because an
  example is evidence for a concept, not the concept itself.

Fusion uses the best of (label, example) per concept and per source, the weaker adding a
share of itself; further examples of the same concept that share the request's words add to
the example evidence (``EXAMPLE_AGREEMENT``). Whatever the fusion
method, every candidate also gets a *confidence*: the weighted mean of its normalised scores
(lexical / 100 and calibrated cosine). The **adaptive cut-off** keeps a candidate only if its
confidence is at least ``CUTOFF_FLOOR`` and at least ``CUTOFF_RELATIVE`` × the best
confidence, so a weak tail is not returned as a match. **Exact hits** (the normalised query
equals a normalised label or synonym) are pinned first with score 1.0 and never cut.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from core.matching import fusion
from core.matching.catalog import Catalog
from core.matching.lexical import top_rows

RANKING_VERSION = 2
"""Bumped when scoring changes, so cached results of the old scoring are not served."""
LEXICAL_POOL = 100
"""Concepts taken from the lexical list into fusion."""
VECTOR_POOL = 100
"""Concepts taken from the vector list into fusion."""
EXAMPLE_POOL = 50
"""Nearest examples (by cosine) credited to their concepts."""
EXAMPLE_LEXICAL_DISCOUNT = 1.0
"""An example's lexical score counts as much as a label's (tuned on the dev pairs)."""
EXAMPLE_VECTOR_DISCOUNT = 0.95
"""An example's cosine counts a little less than the concept's own."""
EXAMPLE_LEXICAL_BONUS = 0.6
EXAMPLE_VECTOR_BONUS = 0.2
"""When a concept's label *and* one of its examples match, the weaker adds this share (see
``fusion.combine_evidence``)."""
EXAMPLE_AGREEMENT = 0.33
"""Each further example of a concept sharing the request's words adds this × (its score /
100)² × 100 to the best one's score (capped at 100): three past demands worded like the
request are stronger evidence than one. Tuned on the dev pairs (10k concepts, 1,287
held-out texts): weighted nDCG@10 0.290 → 0.300, both halves of the split improving."""
EXACT_SUBSET_MAX = 4096
"""With a filter leaving at most this many concepts, cosines are computed exactly for them."""
CUTOFF_FLOOR = 0.25
CUTOFF_RELATIVE = 0.55


@dataclass(frozen=True)
class VectorHits:
    """Cosines from the vector source for some catalog rows (best first)."""

    rows: np.ndarray  # int64 catalog rows
    cosines: np.ndarray  # float32


@dataclass(frozen=True)
class VectorSource:
    """How to get cosines for a query: a nearest-neighbour search and exact gap filling."""

    backend: str  # faiss | pgvector | none
    search: Callable[[np.ndarray, int], VectorHits]  # (query, k) → filtered nearest rows
    exact: Callable[[np.ndarray, np.ndarray], np.ndarray]  # (query, rows) → cosines (nan=none)
    note: tuple[str, str] | None = None  # why not FAISS, (fr, en): in warnings and explanations


@dataclass(frozen=True)
class Evidence:
    """Where a candidate's lexical or vector score came from."""

    kind: str  # label | synonym | example
    text: str
    lang: str | None
    others: int = 0  # other examples of the same concept that also share the request's words


class _LazyEvidence(Mapping[int, "Evidence"]):
    """Evidence per candidate row, computed when asked: only the shortlist is explained."""

    def __init__(self, rows: list[int], compute: Callable[[int], Evidence]) -> None:
        self._rows = dict.fromkeys(rows)
        self._compute = compute
        self._done: dict[int, Evidence] = {}

    def __getitem__(self, row: int) -> Evidence:
        if row not in self._rows:
            raise KeyError(row)
        found = self._done.get(row)
        if found is None:
            found = self._done[row] = self._compute(row)
        return found

    def __iter__(self) -> Iterator[int]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


@dataclass
class Ranking:
    """Every candidate of one query, fused and ordered (before top-k and rerank)."""

    order: list[int]  # catalog rows, pinned exact hits first, then by fused score
    fused: dict[int, float]  # display score 0..1 of the chosen method (exact hits 1.0)
    confidence: dict[int, float]  # weighted evidence 0..1 (used by the cut-off)
    lexical: dict[int, float]  # best lexical score 0..100 (label, synonym or example)
    cosine: dict[int, float]  # best cosine (concept or example); missing when unknown
    lexical_norm: dict[int, float]
    vector_norm: dict[int, float]
    lexical_rank: dict[int, int]
    vector_rank: dict[int, int]
    lexical_evidence: Mapping[int, Evidence]  # computed on first access (few rows are shown)
    vector_evidence: Mapping[int, Evidence]
    exact: set[int]
    kept: list[int]  # ``order`` after the cut-off
    cutoff: float
    method: str
    weights: dict[str, float]
    fuzzy: dict[str, str] = field(default_factory=dict)

    def sources(self, row: int) -> list[str]:
        """Which candidate lists this row came from (lexical, vector, example)."""
        found = []
        if row in self.lexical_rank and self.lexical_evidence[row].kind != "example":
            found.append("lexical")
        if row in self.vector_rank and self.vector_evidence[row].kind != "example":
            found.append("vector")
        if any(
            ev.kind == "example"
            for ev in (self.lexical_evidence.get(row), self.vector_evidence.get(row))
            if ev is not None and (row in self.lexical_rank or row in self.vector_rank)
        ):
            found.append("example")
        return found or ["lexical"]


def _fill(own_cos: np.ndarray, vectors: VectorSource, query: np.ndarray, rows: np.ndarray) -> None:
    """Compute the exact cosines of ``rows`` still unknown (NaN) in ``own_cos``, in place."""
    gaps = rows[np.isnan(own_cos[rows])]
    if len(gaps):
        own_cos[gaps] = vectors.exact(query, gaps)


def _vector_norm(own: np.ndarray, example: np.ndarray, cosine_floor: float) -> np.ndarray:
    """Vector evidence 0..1 per row: calibrated own cosine and best example, combined.

    Unknown cosines (NaN, -inf) count as -1, which calibrates to 0.
    """
    own_norm = fusion.calibrate_cosines(np.where(np.isfinite(own), own, -1.0), floor=cosine_floor)
    ex_norm = fusion.calibrate_cosines(
        np.where(np.isfinite(example), example, -1.0), floor=cosine_floor
    )
    return fusion.combine_evidence_arrays(own_norm, ex_norm, bonus=EXAMPLE_VECTOR_BONUS)


def _ranks_of(rows: list[int], ranks: dict[int, int]) -> np.ndarray:
    """1-based rank of each row in one candidate list (0 = not in it)."""
    return np.fromiter((ranks.get(r, 0) for r in rows), dtype=np.int64, count=len(rows))


def rank(
    catalog: Catalog,
    normalized_query: str,
    query_vector: np.ndarray | None,
    vectors: VectorSource,
    *,
    allowed: np.ndarray | None,
    method: str,
    weights: dict[str, float],
    rrf_k: int,
    cosine_floor: float,
    use_examples: bool = True,
) -> Ranking:
    """Rank the catalog's concepts for one query.

    Args:
        catalog: the tenant's snapshot.
        normalized_query: ``normalize(query)``.
        query_vector: the query's embedding (``None``: lexical only).
        vectors: the vector source (FAISS or pgvector), already restricted to ``allowed``.
        allowed: boolean mask over catalog rows (statuses and filters); ``None`` = all.
        method: ``weighted`` or ``rrf``.
        weights: ``{"lexical": w, "vector": w}``; also used for the confidence.
        rrf_k: RRF constant.
        cosine_floor: the encoder's "unrelated" cosine, for calibration.
        use_examples: credit labelled examples to their concepts.
    """
    n = len(catalog)
    norm_weights = fusion.check_weights(weights)
    # ---- lexical: labels and synonyms, then examples credited to their concept ----------
    lex = catalog.lexical.search(normalized_query, allowed=allowed)
    label_score = lex.owner_score
    example_score = np.zeros(n, dtype=np.float32)
    example_row = np.full(n, -1, dtype=np.int64)  # best matching example of each concept
    example_votes = np.zeros(n, dtype=np.int64)  # examples of each concept sharing a word
    fuzzy = dict(lex.fuzzy)
    examples = catalog.examples if use_examples else None
    ex_allowed = None
    if examples is not None:
        ex_allowed = allowed[examples.concept_row] if allowed is not None else None
        ex_lex = examples.lexical.search(normalized_query, allowed=ex_allowed)
        fuzzy.update(ex_lex.fuzzy)
        credited = ex_lex.owner_score * EXAMPLE_LEXICAL_DISCOUNT
        positive = np.flatnonzero(credited > 0)
        if len(positive):
            by_score = positive[np.argsort(credited[positive], kind="stable")]
            example_score[examples.concept_row[by_score]] = credited[by_score]  # last = best
            example_row[examples.concept_row[by_score]] = by_score
            # several earlier texts of one concept sharing the request's words agree
            owners = examples.concept_row[positive]
            shares = np.bincount(owners, weights=(credited[positive] / 100.0) ** 2, minlength=n)
            others = np.maximum(0.0, shares - (example_score / 100.0) ** 2)
            example_score = np.minimum(
                100.0, example_score + EXAMPLE_AGREEMENT * 100.0 * others
            ).astype(np.float32)
            example_votes = np.bincount(owners, minlength=n)
    high = np.maximum(label_score, example_score)
    low = np.minimum(label_score, example_score)
    lex_score = np.minimum(100.0, high + EXAMPLE_LEXICAL_BONUS * low)
    lexical_list = [int(r) for r in top_rows(lex_score, LEXICAL_POOL)]

    # ---- vector: concept embeddings, then examples ---------------------------------------
    # Dense per-row arrays (NaN / -inf = unknown): one numpy pass instead of dict work per
    # candidate, which cost more than the searches themselves at 10k concepts.
    own_cos = np.full(n, np.nan)  # the concept's own cosine (float64)
    example_cos = np.full(n, -np.inf)  # best discounted cosine of one of its examples
    example_src = np.full(n, -1, dtype=np.int64)  # that example's row
    candidates = np.zeros(0, dtype=np.int64)
    qv = query_vector if vectors.backend != "none" else None
    if qv is not None:
        hits = vectors.search(qv, VECTOR_POOL)
        own_cos[hits.rows] = hits.cosines
        candidates = hits.rows.astype(np.int64)
        if examples is not None:
            nearest = examples.nearest(qv, EXAMPLE_POOL, ex_allowed)
            ex_rows = nearest[0].astype(np.int64)
            values = nearest[1] * EXAMPLE_VECTOR_DISCOUNT
            # best value per concept (the first listed on ties)
            owners = examples.concept_row[ex_rows]
            by_owner = np.lexsort((np.arange(len(values)), -values, owners))
            with_example, first = np.unique(owners[by_owner], return_index=True)
            example_cos[with_example] = values[by_owner[first]]
            example_src[with_example] = ex_rows[by_owner[first]]
            _fill(own_cos, vectors, qv, with_example)
            candidates = np.concatenate([candidates, with_example])
    candidates = np.unique(candidates)
    vector_score = _vector_norm(own_cos[candidates], example_cos[candidates], cosine_floor)
    vector_list = candidates[np.lexsort((candidates, -vector_score))][:VECTOR_POOL].tolist()

    # ---- union, gap filling, normalisation -------------------------------------------------
    union = list(dict.fromkeys(lexical_list + vector_list))
    rows = np.asarray(union, dtype=np.int64)
    if qv is not None:
        _fill(own_cos, vectors, qv, rows)
    own, ex = own_cos[rows], example_cos[rows]
    best_cos = np.maximum(np.where(np.isfinite(own), own, -1.0), np.maximum(ex, -1.0))
    has_cos = np.isfinite(own) | np.isfinite(ex)
    cos = dict(zip(rows[has_cos].tolist(), best_cos[has_cos].tolist(), strict=True))
    lex_values = lex_score[rows].astype(np.float64)
    lex_norm_values = lex_values / 100.0
    vec_norm_values = _vector_norm(own, ex, cosine_floor)
    conf_values = fusion.weighted_arrays(
        {"lexical": lex_norm_values, "vector": vec_norm_values}, weights=norm_weights
    )
    row_list = rows.tolist()
    lexical = dict(zip(row_list, lex_values.tolist(), strict=True))
    lexical_norm = dict(zip(row_list, lex_norm_values.tolist(), strict=True))
    vector_norm = dict(zip(row_list, vec_norm_values.tolist(), strict=True))
    confidence = dict(zip(row_list, conf_values.tolist(), strict=True))
    lexical_rank = {r: i for i, r in enumerate(lexical_list, start=1)}
    vector_rank = {r: i for i, r in enumerate(vector_list, start=1)}
    if method == "rrf":
        fused_values = fusion.rrf_arrays(
            [_ranks_of(row_list, lexical_rank), _ranks_of(row_list, vector_rank)], k=rrf_k
        ) / fusion.rrf_max(2, k=rrf_k)
        fused = dict(zip(row_list, fused_values.tolist(), strict=True))
    else:
        fused = dict(confidence)

    # ---- exact hits pinned, then order and cut-off ----------------------------------------
    exact_rows = {
        int(catalog.lexical.owners[e])
        for e in catalog.lexical.exact(normalized_query)
        if allowed is None or allowed[catalog.lexical.owners[e]]
    }
    for row in exact_rows:
        if row not in fused:
            union.append(row)
            lexical[row] = 100.0
            lexical_norm[row] = 1.0
            vector_norm.setdefault(row, 0.0)
        fused[row] = 1.0
        confidence[row] = 1.0
    order = sorted(union, key=lambda r: (r not in exact_rows, -fused.get(r, 0.0), r))
    best = max((confidence.get(r, 0.0) for r in order), default=0.0)
    cutoff = max(CUTOFF_FLOOR, CUTOFF_RELATIVE * best)
    kept = [r for r in order if r in exact_rows or confidence.get(r, 0.0) >= cutoff]

    def lexical_evidence(row: int) -> Evidence:
        if example_score[row] > label_score[row] and examples is not None:
            return Evidence(
                "example",
                examples.texts[int(example_row[row])],
                None,
                others=max(0, int(example_votes[row]) - 1),
            )
        entry = int(lex.owner_entry[row])
        if entry < 0:
            return Evidence("label", "", None)
        return Evidence(
            catalog.entry_kind[entry], catalog.entry_text[entry], catalog.entry_lang[entry]
        )

    def vector_evidence(row: int) -> Evidence:
        if examples is not None and example_src[row] >= 0:
            mine = own_cos[row]
            if example_cos[row] > (mine if np.isfinite(mine) else -1.0):
                return Evidence("example", examples.texts[int(example_src[row])], None)
        return Evidence("concept", "", None)

    return Ranking(
        order=order,
        fused=fused,
        confidence=confidence,
        lexical=lexical,
        cosine=cos,
        lexical_norm=lexical_norm,
        vector_norm=vector_norm,
        lexical_rank=lexical_rank,
        vector_rank=vector_rank,
        lexical_evidence=_LazyEvidence(union, lexical_evidence),
        vector_evidence=_LazyEvidence(union, vector_evidence),
        exact=exact_rows,
        kept=kept,
        cutoff=cutoff,
        method=method,
        weights=norm_weights,
        fuzzy=fuzzy,
    )
