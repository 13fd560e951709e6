"""One query through the hybrid pipeline: candidates, fusion, pinning and cut-off.

Pure ranking logic over a :class:`~core.matching.catalog.Catalog` and a vector source; no
caching, logging or companies here (``core.matching.service`` adds those).

Candidate sources:

* **lexical** — labels and synonyms (``core.matching.lexical``), every language;
* **vector** — cosine of the query with the concept embeddings (FAISS, or pgvector);
* **example** — texts already labelled with a concept (past demands, contracts): scored both
  lexically and by cosine, and credited to their concept, discounted a little because an
  example is evidence for a concept, not the concept itself.

Fusion uses the best of (label, example) per concept and per source. Whatever the fusion
method, every candidate also gets a *confidence*: the weighted mean of its normalised scores
(lexical / 100 and calibrated cosine). The **adaptive cut-off** keeps a candidate only if its
confidence is at least ``CUTOFF_FLOOR`` and at least ``CUTOFF_RELATIVE`` × the best
confidence, so a weak tail is not returned as a match. **Exact hits** (the normalised query
equals a normalised label or synonym) are pinned first with score 1.0 and never cut.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from core.matching import fusion
from core.matching.catalog import Catalog
from core.matching.lexical import top_rows

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
    lexical_evidence: dict[int, Evidence]
    vector_evidence: dict[int, Evidence]
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


def _fill(
    known: dict[int, float], vectors: VectorSource, query: np.ndarray, rows: list[int]
) -> None:
    """Add exact cosines for the rows not yet in ``known`` (in place)."""
    gaps = np.array([r for r in rows if r not in known], dtype=np.int64)
    if len(gaps):
        for row, value in zip(gaps.tolist(), vectors.exact(query, gaps).tolist(), strict=True):
            if np.isfinite(value):
                known[row] = float(value)


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
    high = np.maximum(label_score, example_score)
    low = np.minimum(label_score, example_score)
    lex_score = np.minimum(100.0, high + EXAMPLE_LEXICAL_BONUS * low)
    lexical_list = [int(r) for r in top_rows(lex_score, LEXICAL_POOL)]

    # ---- vector: concept embeddings, then examples ---------------------------------------
    concept_cos: dict[int, float] = {}
    example_cos: dict[int, tuple[float, int]] = {}  # row → (discounted cosine, example row)
    qv = query_vector if vectors.backend != "none" else None
    if qv is not None:
        hits = vectors.search(qv, VECTOR_POOL)
        concept_cos = dict(zip(hits.rows.tolist(), hits.cosines.tolist(), strict=True))
        if examples is not None:
            nearest = examples.nearest(qv, EXAMPLE_POOL, ex_allowed)
            for ex_row_f, sim in zip(nearest[0].tolist(), nearest[1].tolist(), strict=True):
                ex_row = int(ex_row_f)
                row = int(examples.concept_row[ex_row])
                value = float(sim) * EXAMPLE_VECTOR_DISCOUNT
                if value > example_cos.get(row, (-2.0, -1))[0]:
                    example_cos[row] = (value, ex_row)
            _fill(concept_cos, vectors, qv, list(example_cos))

    vector_norms: dict[int, float] = {}

    def vector_evidence_norm(row: int) -> float:
        if row in vector_norms:
            return vector_norms[row]
        own = concept_cos.get(row)
        own_norm = fusion.calibrate_cosine(own, floor=cosine_floor) if own is not None else 0.0
        found = example_cos.get(row)
        ex_norm = fusion.calibrate_cosine(found[0], floor=cosine_floor) if found else 0.0
        value = fusion.combine_evidence(own_norm, ex_norm, bonus=EXAMPLE_VECTOR_BONUS)
        if own is not None:  # final once the concept's own cosine is known
            vector_norms[row] = value
        return value

    candidates = set(concept_cos) | set(example_cos)
    vector_score = {r: vector_evidence_norm(r) for r in candidates}
    vector_list = sorted(candidates, key=lambda r: (-vector_score[r], r))[:VECTOR_POOL]

    # ---- union, gap filling, normalisation -------------------------------------------------
    union = list(dict.fromkeys(lexical_list + vector_list))
    if qv is not None:
        _fill(concept_cos, vectors, qv, union)
    cos = {
        r: max(concept_cos.get(r, -1.0), example_cos.get(r, (-1.0, -1))[0])
        for r in union
        if r in concept_cos or r in example_cos
    }
    vec_source = {
        r: ex_row for r, (value, ex_row) in example_cos.items() if value > concept_cos.get(r, -1.0)
    }
    lexical = {r: float(lex_score[r]) for r in union}
    lexical_norm = {r: lexical[r] / 100.0 for r in union}
    vector_norm = {r: vector_evidence_norm(r) for r in union}
    confidence = fusion.weighted(
        {"lexical": lexical_norm, "vector": vector_norm}, weights=norm_weights
    )
    if method == "rrf":
        lists: dict[str, list[int]] = {"lexical": lexical_list, "vector": vector_list}
        raw: dict[int, float] = fusion.rrf(lists, k=rrf_k)
        top = fusion.rrf_max(2, k=rrf_k)
        fused = {r: raw.get(r, 0.0) / top for r in union}
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
            return Evidence("example", examples.texts[int(example_row[row])], None)
        entry = int(lex.owner_entry[row])
        if entry < 0:
            return Evidence("label", "", None)
        return Evidence(
            catalog.entry_kind[entry], catalog.entry_text[entry], catalog.entry_lang[entry]
        )

    def vector_evidence(row: int) -> Evidence:
        if row in vec_source and examples is not None:
            return Evidence("example", examples.texts[vec_source[row]], None)
        return Evidence("concept", "", None)

    return Ranking(
        order=order,
        fused=fused,
        confidence=confidence,
        lexical=lexical,
        cosine={r: cos[r] for r in union if r in cos},
        lexical_norm=lexical_norm,
        vector_norm=vector_norm,
        lexical_rank={r: i for i, r in enumerate(lexical_list, start=1)},
        vector_rank={r: i for i, r in enumerate(vector_list, start=1)},
        lexical_evidence={r: lexical_evidence(r) for r in union},
        vector_evidence={r: vector_evidence(r) for r in union},
        exact=exact_rows,
        kept=kept,
        cutoff=cutoff,
        method=method,
        weights=norm_weights,
        fuzzy=fuzzy,
    )
