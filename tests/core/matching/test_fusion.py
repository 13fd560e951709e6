"""Fusion laws (hypothesis): order invariance, monotonicity, range, the RRF formula."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.matching.fusion import (
    adaptive_cutoff,
    calibrate_cosine,
    check_weights,
    minmax,
    rrf,
    rrf_max,
    weighted,
)

unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
keys = st.integers(min_value=0, max_value=30)
source_scores = st.dictionaries(keys, unit, max_size=15)
weights = st.tuples(
    st.floats(min_value=0.0, max_value=10.0), st.floats(min_value=0.01, max_value=10.0)
)


def _shuffled(mapping: dict, seed: int) -> dict:
    items = list(mapping.items())
    random.Random(seed).shuffle(items)
    return dict(items)


@given(source_scores, source_scores, weights, st.integers(0, 1000))
def test_weighted_is_order_invariant(lex, vec, ws, seed) -> None:
    w = {"lexical": ws[0], "vector": ws[1]}
    a = weighted({"lexical": lex, "vector": vec}, weights=w)
    b = weighted(
        _shuffled({"vector": _shuffled(vec, seed), "lexical": _shuffled(lex, seed + 1)}, seed),
        weights=_shuffled(w, seed),
    )
    assert a == b
    assert list(a) == list(b)  # same ranking, ties included


@given(source_scores, source_scores, weights)
def test_weighted_scores_are_in_range(lex, vec, ws) -> None:
    fused = weighted({"lexical": lex, "vector": vec}, weights={"lexical": ws[0], "vector": ws[1]})
    assert set(fused) == set(lex) | set(vec)
    assert all(0.0 <= s <= 1.0 for s in fused.values())
    assert list(fused.values()) == sorted(fused.values(), reverse=True)


@given(source_scores, source_scores, weights, keys, unit)
def test_weighted_is_monotone(lex, vec, ws, key, bump) -> None:
    w = {"lexical": ws[0], "vector": ws[1]}
    before = weighted({"lexical": lex, "vector": vec}, weights=w)
    raised = dict(lex)
    raised[key] = max(raised.get(key, 0.0), bump)
    after = weighted({"lexical": raised, "vector": vec}, weights=w)
    assert after[key] >= before.get(key, 0.0)
    for other, score in before.items():
        if other != key:
            assert after[other] == score


def test_weighted_known_answer() -> None:
    fused = weighted(
        {"lexical": {"a": 1.0, "b": 0.5}, "vector": {"b": 1.0, "c": 0.25}},
        weights={"lexical": 0.6, "vector": 0.4},
    )
    assert fused == pytest.approx({"b": 0.7, "a": 0.6, "c": 0.1})


@pytest.mark.parametrize("bad", [{"lexical": 0, "vector": 0}, {"lexical": -1, "vector": 1}])
def test_bad_weights_are_refused(bad) -> None:
    with pytest.raises(ValueError, match="fusion weight"):
        check_weights(bad)


rankings = st.lists(st.lists(keys, unique=True, max_size=12), min_size=1, max_size=4)


@given(rankings, st.integers(min_value=1, max_value=200))
def test_rrf_follows_its_formula(lists, k) -> None:
    fused = rrf(lists, k=k)
    for key, score in fused.items():
        expected = math.fsum(
            1.0 / (k + ranked.index(key) + 1) for ranked in lists if key in ranked
        )
        assert score == pytest.approx(expected, rel=1e-12)
        assert 0 < score <= rrf_max(len(lists), k=k) + 1e-12


@given(rankings, st.integers(min_value=1, max_value=100), st.integers(0, 1000))
def test_rrf_is_order_invariant(lists, k, seed) -> None:
    shuffled = list(lists)
    random.Random(seed).shuffle(shuffled)
    assert rrf(lists, k=k) == rrf(shuffled, k=k)
    assert rrf(lists, k=k) == rrf({f"s{i}": r for i, r in enumerate(lists)}, k=k)


@given(st.lists(keys, unique=True, min_size=2, max_size=12), st.integers(1, 100))
def test_rrf_rewards_better_ranks(ranked, k) -> None:
    fused = rrf([ranked], k=k)
    assert list(fused) == ranked


def test_rrf_refuses_bad_k() -> None:
    with pytest.raises(ValueError, match="k must be"):
        rrf([["a"]], k=0)


@given(st.dictionaries(keys, st.floats(-100, 100), min_size=1, max_size=20))
def test_minmax_range_and_order(scores) -> None:
    out = minmax(scores)
    assert all(0.0 <= v <= 1.0 for v in out.values())
    order = sorted(scores, key=scores.__getitem__)
    assert [out[k] for k in order] == sorted(out.values())


@given(st.floats(-1, 1), st.floats(-0.5, 0.9))
def test_calibrated_cosine_in_range(cos, floor) -> None:
    assert 0.0 <= calibrate_cosine(cos, floor=floor) <= 1.0


@given(st.lists(unit, max_size=30))
def test_cutoff_keeps_a_prefix_of_strong_scores(scores) -> None:
    ordered = sorted(scores, reverse=True)
    kept = adaptive_cutoff(ordered, floor=0.2, relative=0.5)
    assert 0 <= kept <= len(ordered)
    for value in ordered[:kept]:
        assert value >= 0.2
    for value in ordered[kept:]:
        assert value < max(0.2, 0.5 * ordered[0]) or kept == 0


arrays = st.lists(st.floats(min_value=-0.5, max_value=1.5, allow_nan=False), max_size=20)


@given(arrays, st.data(), weights)
def test_array_fusion_gives_the_scalar_floats(lex, data, ws) -> None:
    """The ranking's numpy path computes exactly what the scalar functions define."""
    import numpy as np

    from core.matching.fusion import (
        calibrate_cosines,
        combine_evidence,
        combine_evidence_arrays,
        rrf_arrays,
        weighted_arrays,
    )

    vec = data.draw(st.lists(st.floats(-0.5, 1.5, allow_nan=False), min_size=len(lex),
                             max_size=len(lex)))  # fmt: skip
    w = {"lexical": ws[0], "vector": ws[1]}
    scalar = weighted({"lexical": dict(enumerate(lex)), "vector": dict(enumerate(vec))}, weights=w)
    fast = weighted_arrays({"lexical": np.array(lex), "vector": np.array(vec)}, weights=w)
    assert [scalar[i] for i in range(len(lex))] == fast.tolist()
    assert calibrate_cosines(np.array(lex), floor=0.15).tolist() == [
        calibrate_cosine(x, floor=0.15) for x in lex
    ]
    assert combine_evidence_arrays(np.array(lex), np.array(vec), bonus=0.2).tolist() == [
        combine_evidence(a, b, bonus=0.2) for a, b in zip(lex, vec, strict=True)
    ]
    ranks_a = data.draw(st.permutations(list(range(1, len(lex) + 1))))
    list_a = sorted(range(len(lex)), key=lambda i: ranks_a[i])
    list_b = [i for i in list_a[::-1] if i % 3]  # another order, some rows absent
    ranks_b = [list_b.index(i) + 1 if i in list_b else 0 for i in range(len(lex))]
    expected = rrf({"a": list_a, "b": list_b}, k=60)
    got = rrf_arrays([np.array(ranks_a), np.array(ranks_b)], k=60)
    assert [expected.get(i, 0.0) for i in range(len(lex))] == got.tolist()
