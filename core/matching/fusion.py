"""Score fusion: pure functions that turn per-source scores into one ranking.

Two methods, chosen per request:

* :func:`weighted` — a weighted mean of scores already normalised to ``0..1`` (lexical score
  / 100, calibrated cosine). It keeps *how strong* each piece of evidence is, which is what the
  adaptive cut-off needs.
* :func:`rrf` — reciprocal rank fusion, ``Σ 1 / (k + rank)``: only ranks matter, so it needs no
  calibration and is robust when one source's scores are on an odd scale.

Results never depend on the order of the inputs: sources are added in name order, and RRF
sums with :func:`math.fsum`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

import numpy as np

K = TypeVar("K", bound=Hashable)


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Validate fusion weights and scale them to sum to 1.

    Raises:
        ValueError: a weight is negative or not finite, or they are all zero.

    >>> check_weights({"lexical": 3, "vector": 1})
    {'lexical': 0.75, 'vector': 0.25}
    >>> check_weights({"lexical": 0, "vector": 0})
    Traceback (most recent call last):
    ...
    ValueError: fusion weights must not all be zero (got lexical=0, vector=0)
    """
    for name, value in weights.items():
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"fusion weight {name}={value} must be a finite number >= 0")
    total = math.fsum(weights.values())
    if total <= 0:
        shown = ", ".join(f"{n}={v:g}" for n, v in weights.items())
        raise ValueError(f"fusion weights must not all be zero (got {shown})")
    return {name: value / total for name, value in weights.items()}


def minmax(scores: Mapping[K, float]) -> dict[K, float]:
    """Rescale to ``0..1`` by the list's own minimum and maximum (all 1.0 when flat).

    >>> minmax({"a": 10.0, "b": 30.0, "c": 20.0})
    {'a': 0.0, 'b': 1.0, 'c': 0.5}
    >>> minmax({"a": 5.0})
    {'a': 1.0}
    """
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high - low <= 1e-12:
        return dict.fromkeys(scores, 1.0)
    return {key: (value - low) / (high - low) for key, value in scores.items()}


def calibrate_cosine(cosine: float, *, floor: float, ceiling: float = 1.0) -> float:
    """Map a cosine to ``0..1`` linearly between the model's "unrelated" floor and a ceiling.

    Unlike :func:`minmax`, this keeps absolute strength: a weak best hit stays weak.

    >>> round(calibrate_cosine(0.6, floor=0.2), 6)
    0.5
    >>> calibrate_cosine(0.1, floor=0.2)
    0.0
    """
    if ceiling <= floor:
        raise ValueError(f"ceiling {ceiling} must be above floor {floor}")
    return min(1.0, max(0.0, (cosine - floor) / (ceiling - floor)))


def combine_evidence(primary: float, secondary: float, *, bonus: float) -> float:
    """Two pieces of evidence for the same concept (its label, a labelled example), 0..1 each.

    The stronger one counts fully and the weaker adds ``bonus`` × itself: agreement raises
    the score, a concept with no example is not penalised, and the result stays in 0..1.

    >>> combine_evidence(0.8, 0.5, bonus=0.5), combine_evidence(0.8, 0.0, bonus=0.5)
    (1.0, 0.8)
    >>> combine_evidence(0.4, 0.2, bonus=0.5)
    0.5
    """
    high, low = max(primary, secondary), min(primary, secondary)
    return min(1.0, max(0.0, high + bonus * max(0.0, low)))


def calibrate_cosines(cosines: np.ndarray, *, floor: float, ceiling: float = 1.0) -> np.ndarray:
    """:func:`calibrate_cosine` over an array (float64), for the ranking's hot path.

    >>> calibrate_cosines(np.array([0.1, 0.6, 1.2]), floor=0.2).round(6).tolist()
    [0.0, 0.5, 1.0]
    """
    if ceiling <= floor:
        raise ValueError(f"ceiling {ceiling} must be above floor {floor}")
    values = (np.asarray(cosines, dtype=np.float64) - floor) / (ceiling - floor)
    return np.minimum(1.0, np.maximum(0.0, values))


def combine_evidence_arrays(
    primary: np.ndarray, secondary: np.ndarray, *, bonus: float
) -> np.ndarray:
    """:func:`combine_evidence` element-wise.

    >>> combine_evidence_arrays(np.array([0.8, 0.4]), np.array([0.5, 0.2]), bonus=0.5).tolist()
    [1.0, 0.5]
    """
    high, low = np.maximum(primary, secondary), np.minimum(primary, secondary)
    return np.minimum(1.0, np.maximum(0.0, high + bonus * np.maximum(0.0, low)))


def weighted(
    scores: Mapping[str, Mapping[K, float]], *, weights: Mapping[str, float]
) -> dict[K, float]:
    """Weighted mean of normalised scores; a key missing from a source scores 0 there.

    Args:
        scores: source name → {key: score in 0..1}.
        weights: source name → weight >= 0 (scaled to sum 1; sources without a weight count 0).

    Returns:
        key → fused score in ``0..1``.

    >>> weighted({"lexical": {"a": 1.0, "b": 0.5}, "vector": {"b": 1.0}},
    ...          weights={"lexical": 0.6, "vector": 0.4})
    {'b': 0.7, 'a': 0.6}
    """
    norm = check_weights(weights)
    # sources in name order: the same additions in the same order, whatever the input order
    sources = [(norm.get(name, 0.0), scores[name]) for name in sorted(scores)]
    keys: set[K] = set()
    for _, source_scores in sources:
        keys.update(source_scores)
    fused: dict[K, float] = {}
    for key in keys:
        total = 0.0
        for weight, source_scores in sources:
            value = source_scores.get(key, 0.0)
            total += weight * (0.0 if value <= 0.0 else 1.0 if value >= 1.0 else float(value))
        fused[key] = min(1.0, total)
    return _sorted_desc(fused)


def weighted_arrays(
    scores: Mapping[str, np.ndarray], *, weights: Mapping[str, float]
) -> np.ndarray:
    """:func:`weighted` over aligned arrays (one score per candidate and source), unsorted.

    Same arithmetic in the same order as :func:`weighted`, so both give identical floats.

    >>> weighted_arrays({"lexical": np.array([1.0, 0.5]), "vector": np.array([0.0, 1.0])},
    ...                 weights={"lexical": 0.6, "vector": 0.4}).tolist()
    [0.6, 0.7]
    """
    norm = check_weights(weights)
    total: np.ndarray | None = None
    for name in sorted(scores):
        values = np.asarray(scores[name], dtype=np.float64)
        part = norm.get(name, 0.0) * np.minimum(1.0, np.maximum(0.0, values))
        total = part if total is None else total + part
    if total is None:
        return np.zeros(0)
    return np.minimum(1.0, total)


def rrf(
    rankings: Mapping[str, Sequence[K]] | Iterable[Sequence[K]], *, k: int = 60
) -> dict[K, float]:
    """Reciprocal rank fusion: ``score(d) = Σ_lists 1 / (k + rank_d)`` with 1-based ranks.

    Args:
        rankings: ranked lists (best first), as a sequence or a mapping source → list.
        k: the RRF constant (60 in the original paper); larger flattens the rank curve.

    >>> rrf([["a", "b"], ["b", "c"]], k=60) == {"b": 1/62 + 1/61, "a": 1/61, "c": 1/62}
    True
    """
    if k < 1:
        raise ValueError(f"RRF k must be >= 1, got {k}")
    lists = rankings.values() if isinstance(rankings, Mapping) else rankings
    parts: dict[K, list[float]] = {}
    for ranked in lists:
        for rank, key in enumerate(ranked, start=1):
            parts.setdefault(key, []).append(1.0 / (k + rank))
    return _sorted_desc({key: math.fsum(values) for key, values in parts.items()})


def rrf_arrays(ranks: Sequence[np.ndarray], *, k: int = 60) -> np.ndarray:
    """:func:`rrf` from aligned 1-based rank arrays (0 = absent from that list), unsorted.

    >>> rrf_arrays([np.array([1, 2, 0]), np.array([0, 1, 2])], k=60).tolist() == [
    ...     1/61, 1/62 + 1/61, 1/62]
    True
    """
    if k < 1:
        raise ValueError(f"RRF k must be >= 1, got {k}")
    total = np.zeros(len(ranks[0]) if ranks else 0)
    for ranked in ranks:
        ranked = np.asarray(ranked)
        total = total + np.where(ranked > 0, 1.0 / (k + np.maximum(ranked, 1)), 0.0)
    return total


def rrf_max(n_lists: int, *, k: int = 60) -> float:
    """The largest RRF score possible (first in every list), to rescale RRF to ``0..1``.

    >>> round(rrf_max(2, k=60), 6)
    0.032787
    """
    return n_lists / (k + 1)


def _sorted_desc(scores: dict[K, float]) -> dict[K, float]:
    """Best first; ties broken by the key's repr so the order is deterministic."""
    return dict(sorted(scores.items(), key=lambda item: (-item[1], repr(item[0]))))


def adaptive_cutoff(
    scores: Sequence[float], *, floor: float = 0.2, relative: float = 0.5, keep_min: int = 1
) -> int:
    """How many of the (descending) ``scores`` to keep, so a weak tail is not returned.

    The rule: keep a candidate when its score is at least ``floor`` (absolute evidence) and
    at least ``relative × best`` (not much weaker than the best). Candidates pinned first (exact
    hits) count as kept by the caller; ``keep_min`` keeps at least that many above the floor.

    >>> adaptive_cutoff([0.9, 0.8, 0.5, 0.3, 0.1])
    3
    >>> adaptive_cutoff([0.15, 0.1])
    0
    """
    if not scores:
        return 0
    best = scores[0]
    bar = max(floor, relative * best)
    kept = sum(1 for value in scores if value >= bar)
    above_floor = sum(1 for value in scores if value >= floor)
    return max(kept, min(keep_min, above_floor))
