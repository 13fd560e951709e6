"""Lexical candidates: every label, synonym or example text, scored against a query.

Why not one ``rapidfuzz.process.extract`` over all strings? Measured on this machine, the
cheapest scorer (``ratio``) takes 27 ms over 380k strings (100k concepts × their labels and
synonyms), and a whole-string ratio is meaningless when a 20-word need is compared with a
3-word label. So the full pass works on *tokens*, and rapidfuzz does the fuzzy parts:

1. **Full pass** (all entries, sparse): each normalised query token is looked up in the
   vocabulary — exactly, or, when unknown (a typo), with ``rapidfuzz.process.extract`` over
   the vocabulary of similar length (``fuzz.ratio``, ``score_cutoff``). Matched tokens add
   their IDF weight to every entry containing them (one sparse column sum). The coarse score
   of an entry combines how much of the *label* the query covers with how much of the *query*
   the label covers.
2. **Fine pass** (the best few hundred entries): ``fuzz.token_sort_ratio`` on the normalised
   strings refines the coarse score, rewarding labels about as long as the need itself.

Scores are 0..100. An entry whose normalised text equals the normalised query is an *exact
hit*, which fusion pins to the top.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

FUZZY_MIN_TOKEN_LEN = 4
"""Shorter unknown tokens are not fuzzy-matched (too many false friends)."""
FUZZY_CUTOFF = 84.0
FUZZY_MAX_TOKENS = 4
"""At most this many unknown tokens of one query are fuzzy-matched (the longest first)."""
"""``fuzz.ratio`` a typo must reach to stand for a vocabulary token (1 edit in 6+ letters)."""
FINE_POOL = 150
"""Entries re-scored by the finer scorer."""
LABEL_COVERAGE_EXPONENT = 0.45
"""Coarse score = label_coverage^0.45 × query_coverage^0.55 (tuned on the dev pairs)."""
FINE_WEIGHT = 0.2
"""Share of ``token_sort_ratio`` in the final score of the fine pool."""


@dataclass(frozen=True)
class QueryTerms:
    """The query's tokens resolved against the vocabulary (exact or fuzzy)."""

    vocab_ids: np.ndarray  # int32 vocabulary ids
    sims: np.ndarray  # float32 similarity 0..1 of each id (1.0 exact)
    weight: float  # total IDF mass of the query (the denominator of query coverage)
    fuzzy: dict[str, str]  # query token → vocabulary token used for it (typos)


@dataclass(frozen=True)
class LexicalScores:
    """Best entry per owner (concept or example row) for one query."""

    owner_score: np.ndarray  # float32 per owner, 0..100 (0 = no token in common)
    owner_entry: np.ndarray  # int64 best entry per owner (-1 when none)
    fuzzy: dict[str, str]


class LexicalIndex:
    """Token index over a fixed list of texts, each owned by a row (a concept or example).

    Built once per index version by the matcher and read concurrently afterwards (it is
    never mutated after ``__init__``).

    Args:
        normalized: normalised text of each entry (``core.matching.normalize.normalize``).
        owners: owner row of each entry (e.g. the concept row the label belongs to).
        n_owners: number of owner rows.

    >>> idx = LexicalIndex(["usinag titan", "usinag", "tole acier"], [0, 1, 2], 3)
    >>> s = idx.search("usinag titan")
    >>> [round(float(x)) for x in s.owner_score]
    [100, 62, 0]
    >>> idx.exact("tole acier")
    [2]
    """

    def __init__(self, normalized: Sequence[str], owners: Sequence[int], n_owners: int) -> None:
        from rapidfuzz import process  # noqa: F401 - fail early if missing

        self.normalized = list(normalized)
        self.owners = np.asarray(owners, dtype=np.int64)
        self.n_owners = int(n_owners)
        n_entries = len(self.normalized)
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        self._exact: dict[str, list[int]] = {}
        for entry, text in enumerate(self.normalized):
            if text:
                self._exact.setdefault(text, []).append(entry)
            for token in dict.fromkeys(text.split()):  # ordered: same ids in every process
                cols.append(vocab.setdefault(token, len(vocab)))
                rows.append(entry)
        self.vocab = vocab
        self.vocab_list = list(vocab)
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=len(vocab))
        self.idf = np.log1p(max(n_entries, 1) / np.maximum(df, 1)).astype(np.float32)
        data = self.idf[np.asarray(cols, dtype=np.int64)] if cols else np.zeros(0, np.float32)
        self.matrix = sparse.csc_matrix(
            (data, (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))),
            shape=(n_entries, len(vocab)),
            dtype=np.float32,
        )
        self.entry_weight = np.asarray(self.matrix.sum(axis=1)).ravel().astype(np.float32)
        self.max_idf = float(self.idf.max()) if len(self.idf) else 1.0
        by_len: dict[int, list[str]] = {}
        for token in self.vocab_list:
            by_len.setdefault(len(token), []).append(token)
        self._by_len = by_len
        self._pools: dict[int, list[str]] = {}
        self._fuzzy_cache: dict[str, tuple[str, float] | None] = {}

    def __len__(self) -> int:
        return len(self.normalized)

    def exact(self, normalized_query: str) -> list[int]:
        """Entries whose normalised text equals the normalised query."""
        return list(self._exact.get(normalized_query, ()))

    def resolve(self, normalized_query: str) -> QueryTerms:
        """Map query tokens to vocabulary ids, fuzzy-matching unknown tokens (typos)."""

        ids: dict[int, float] = {}
        fuzzy: dict[str, str] = {}
        unknown: list[str] = []
        weight = 0.0
        for token in dict.fromkeys(normalized_query.split()):
            vid = self.vocab.get(token)
            if vid is not None:
                ids[vid] = 1.0
                weight += float(self.idf[vid])
                continue
            weight += self.max_idf
            if len(token) >= FUZZY_MIN_TOKEN_LEN and not token.isdigit():
                unknown.append(token)
        for token in sorted(unknown, key=len, reverse=True)[:FUZZY_MAX_TOKENS]:
            found = self._fuzzy(token)
            if found is not None:
                word, sim = found
                vid = self.vocab[word]
                if sim > ids.get(vid, 0.0):
                    ids[vid] = sim
                fuzzy[token] = word
        vocab_ids = np.fromiter(ids.keys(), dtype=np.int32, count=len(ids))
        sims = np.fromiter(ids.values(), dtype=np.float32, count=len(ids))
        return QueryTerms(vocab_ids, sims, max(weight, 1e-6), fuzzy)

    def _fuzzy(self, token: str) -> tuple[str, float] | None:
        """The closest vocabulary word of similar length (cached per token)."""
        from rapidfuzz import fuzz, process

        if token in self._fuzzy_cache:
            return self._fuzzy_cache[token]
        pool = self._pools.get(len(token))
        if pool is None:
            pool = [
                word
                for size in range(len(token) - 1, len(token) + 2)
                for word in self._by_len.get(size, ())
            ]
            self._pools[len(token)] = pool
        best = process.extractOne(token, pool, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        found = (best[0], float(best[1]) / 100.0) if best is not None else None
        if len(self._fuzzy_cache) > 50_000:
            self._fuzzy_cache.clear()
        self._fuzzy_cache[token] = found
        return found

    def coarse(self, terms: QueryTerms) -> tuple[np.ndarray, np.ndarray]:
        """``(entries, coarse score 0..1)`` of the entries sharing a token with the query.

        One pass over the posting lists of the query's tokens (CSC columns), so the cost
        grows with how common the query's words are, not with the number of entries.
        """
        n_entries = len(self.normalized)
        if not len(terms.vocab_ids) or not n_entries:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        indptr, indices, data = self.matrix.indptr, self.matrix.indices, self.matrix.data
        spans = [(indptr[v], indptr[v + 1]) for v in terms.vocab_ids.tolist()]
        entries = np.concatenate([indices[a:b] for a, b in spans])
        weights = np.concatenate(
            [data[a:b] * sim for (a, b), sim in zip(spans, terms.sims.tolist(), strict=True)]
        )
        overlap = np.bincount(entries, weights=weights, minlength=n_entries)
        touched = np.flatnonzero(overlap)
        hit = overlap[touched].astype(np.float32)
        label_cov = np.minimum(1.0, hit / np.maximum(self.entry_weight[touched], 1e-6))
        query_cov = np.minimum(1.0, hit / terms.weight)
        score = np.power(label_cov, LABEL_COVERAGE_EXPONENT) * np.power(
            query_cov, 1.0 - LABEL_COVERAGE_EXPONENT
        )
        return touched, score.astype(np.float32)

    def search(
        self,
        normalized_query: str,
        *,
        allowed: np.ndarray | None = None,
        fine_pool: int = FINE_POOL,
    ) -> LexicalScores:
        """Score every owner by its best entry (0..100).

        Args:
            normalized_query: the query after ``normalize``.
            allowed: optional boolean mask over owners; others score 0.
            fine_pool: how many of the best entries the finer scorer re-scores.
        """
        from rapidfuzz import fuzz

        terms = self.resolve(normalized_query)
        touched, coarse = self.coarse(terms)
        if allowed is not None and len(touched):
            keep = allowed[self.owners[touched]]
            touched, coarse = touched[keep], coarse[keep]
        score = coarse * (100.0 * (1.0 - FINE_WEIGHT))
        if len(touched) > fine_pool:
            pool = np.argpartition(-score, fine_pool - 1)[:fine_pool]
        else:
            pool = np.arange(len(touched))
        if len(pool):
            refined = np.fromiter(
                (
                    fuzz.token_sort_ratio(normalized_query, self.normalized[int(entry)])
                    for entry in touched[pool]
                ),
                dtype=np.float32,
                count=len(pool),
            )
            score[pool] += FINE_WEIGHT * refined
        for entry in self._exact.get(normalized_query, ()):
            at = int(np.searchsorted(touched, entry))  # touched is sorted
            if at < len(touched) and touched[at] == entry:
                score[at] = 100.0
        owner_score = np.zeros(self.n_owners, dtype=np.float32)
        owner_entry = np.full(self.n_owners, -1, dtype=np.int64)
        if len(touched):
            order = np.argsort(score, kind="stable")
            owner_score[self.owners[touched[order]]] = score[order]
            owner_entry[self.owners[touched[order]]] = touched[order]
        return LexicalScores(owner_score, owner_entry, terms.fuzzy)


def top_rows(scores: np.ndarray, limit: int) -> np.ndarray:
    """Indices of the ``limit`` highest positive scores, best first (ties: lower index).

    >>> top_rows(np.array([0.2, 0.0, 0.9, 0.5]), 2).tolist()
    [2, 3]
    """
    positive = np.flatnonzero(scores > 0)
    if len(positive) > limit:
        part = np.argpartition(-scores[positive], limit - 1)[:limit]
        positive = positive[part]
    order = np.lexsort((positive, -scores[positive]))
    return positive[order]


def idf_weight_sum(index: LexicalIndex, normalized: str) -> float:
    """Total IDF of a text's known tokens (useful to explain a lexical score).

    >>> idx = LexicalIndex(["a b"], [0], 1)
    >>> idf_weight_sum(idx, "a b") > 0
    True
    """
    return math.fsum(
        float(index.idf[index.vocab[t]]) for t in set(normalized.split()) if t in index.vocab
    )
