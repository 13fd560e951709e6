"""Known answers for the small statistics behind the indicators."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.market.stats import (
    growth_rate,
    hhi,
    log_ratio,
    poisson_ratio_interval,
    standardise,
    top_share,
    wilson_interval,
)

Z95 = 1.959963984540054


def test_wilson_interval_of_one_half_matches_the_formula_by_hand() -> None:
    # p = 1/2, n = 2: centre = (p + z²/2n) / (1 + z²/n) = 1/2; half-width below.
    denom = 1 + Z95**2 / 2
    half = Z95 * math.sqrt(0.25 / 2 + Z95**2 / 16) / denom
    lo, hi = wilson_interval(1, 2)
    assert lo == pytest.approx(0.5 - half) == pytest.approx(0.0945, abs=1e-4)
    assert hi == pytest.approx(0.5 + half) == pytest.approx(0.9055, abs=1e-4)


def test_wilson_interval_is_inside_0_1_at_the_edges() -> None:
    lo, hi = wilson_interval(0, 3)
    assert lo == 0.0
    assert 0 < hi < 1
    lo, hi = wilson_interval(3, 3)
    assert 0 < lo < 1
    assert hi == 1.0


def test_hhi_and_top_share_known_answers() -> None:
    assert hhi([1, 1]) == pytest.approx(0.5)
    assert hhi([2, 1]) == pytest.approx(5 / 9)
    assert hhi([1, 1, 1, 1]) == pytest.approx(0.25)
    assert top_share([4, 3, 2, 1], k=3) == pytest.approx(0.9)


def test_growth_of_two_to_four_is_plus_100_percent() -> None:
    assert growth_rate(4, 2) == pytest.approx(1.0)
    assert growth_rate(1, 2) == pytest.approx(-0.5)
    assert math.isnan(growth_rate(3, 0))
    assert log_ratio(4, 2) == pytest.approx(math.log(4.5 / 2.5))


def test_ratio_interval_contains_the_ratio_and_is_open_without_supply() -> None:
    lo, hi = poisson_ratio_interval(3, 1)
    # Wilson bounds on p = 3/4 mapped through p / (1 - p)
    p_lo, p_hi = wilson_interval(3, 4)
    assert lo == pytest.approx(p_lo / (1 - p_lo))
    assert hi == pytest.approx(p_hi / (1 - p_hi))
    assert lo < 3 < hi
    assert poisson_ratio_interval(5, 0)[1] == math.inf


@given(
    k=st.integers(min_value=0, max_value=500),
    extra=st.integers(min_value=0, max_value=500),
)
def test_wilson_interval_contains_the_share(k: int, extra: int) -> None:
    n = k + extra
    if n == 0:
        return
    lo, hi = wilson_interval(k, n)
    assert 0 <= lo <= k / n + 1e-12
    assert k / n - 1e-12 <= hi <= 1


@given(st.lists(st.floats(min_value=0.01, max_value=1e6), min_size=1, max_size=30))
def test_hhi_lies_between_one_over_n_and_one(weights: list[float]) -> None:
    value = hhi(weights)
    assert 1 / len(weights) - 1e-9 <= value <= 1 + 1e-9


def test_standardise_gives_mean_zero_unit_variance() -> None:
    z = standardise([1.0, 2.0, 3.0, 10.0])
    assert z.mean() == pytest.approx(0.0)
    assert z.std(ddof=0) == pytest.approx(1.0)
    assert standardise([5.0]).tolist() == [0.0]
