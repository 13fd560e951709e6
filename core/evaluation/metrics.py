"""Ranking metrics for one relevant item per query (pure functions, no I/O).

Each function takes the 1-based rank of the first relevant item, or ``None`` when it was not
retrieved, so the same numbers serve the exact and the "loose" credit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")

METRIC_NAMES = ("recall@1", "recall@5", "recall@10", "mrr", "ndcg@10")
"""The metrics the harness reports, in display order."""


def first_relevant_rank(ranked: Sequence[T], relevant: Callable[[T], bool]) -> int | None:
    """1-based rank of the first item for which ``relevant`` is true (``None`` if none).

    >>> first_relevant_rank(["a", "b", "c"], lambda x: x in {"b", "c"})
    2
    >>> first_relevant_rank(["a"], lambda x: x == "z") is None
    True
    """
    for rank, item in enumerate(ranked, start=1):
        if relevant(item):
            return rank
    return None


def recall_at(rank: int | None, k: int) -> float:
    """1.0 when the relevant item is in the top ``k``.

    >>> recall_at(3, 5), recall_at(6, 5), recall_at(None, 5)
    (1.0, 0.0, 0.0)
    """
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None) -> float:
    """``1 / rank`` (0 when not retrieved): averaged, the MRR.

    >>> reciprocal_rank(4), reciprocal_rank(None)
    (0.25, 0.0)
    """
    return 0.0 if rank is None else 1.0 / rank


def ndcg_at(rank: int | None, k: int = 10) -> float:
    """nDCG@k with one relevant item: ``1 / log2(rank + 1)`` inside the top ``k``.

    >>> ndcg_at(1), round(ndcg_at(3), 4), ndcg_at(11)
    (1.0, 0.5, 0.0)
    """
    if rank is None or rank > k:
        return 0.0
    return 1.0 / math.log2(rank + 1)


def summarize(ranks: Iterable[int | None]) -> dict[str, float]:
    """Mean of every metric over queries (all zeros for no query).

    >>> summarize([1, 2, None, 7])
    {'recall@1': 0.25, 'recall@5': 0.5, 'recall@10': 0.75, 'mrr': 0.4107, 'ndcg@10': 0.4911}
    """
    values = list(ranks)
    if not values:
        return dict.fromkeys(METRIC_NAMES, 0.0)
    n = len(values)
    sums = {
        "recall@1": math.fsum(recall_at(r, 1) for r in values),
        "recall@5": math.fsum(recall_at(r, 5) for r in values),
        "recall@10": math.fsum(recall_at(r, 10) for r in values),
        "mrr": math.fsum(reciprocal_rank(r) for r in values),
        "ndcg@10": math.fsum(ndcg_at(r, 10) for r in values),
    }
    return {name: round(sums[name] / n, 4) for name in METRIC_NAMES}
