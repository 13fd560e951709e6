"""Small statistics the indicators share: intervals, concentration, standard scores.

Pure functions on numbers, so each has a hand-checkable example. Counts in market data are
small, which is why every share and ratio carries an interval instead of a bare point value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from statistics import NormalDist

import numpy as np
import pandas as pd

DEFAULT_CONFIDENCE = 0.95


def z_value(confidence: float = DEFAULT_CONFIDENCE) -> float:
    """Two-sided standard normal quantile for a confidence level.

    >>> round(z_value(0.95), 4)
    1.96
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(
    successes: float, trials: float, confidence: float = DEFAULT_CONFIDENCE
) -> tuple[float, float]:
    """Wilson score interval of a proportion: sane at 0/n, n/n and small n (unlike p ± z·se).

    Args:
        successes: number of items with the property (0..trials).
        trials: number of items; 0 gives ``(nan, nan)``.
        confidence: two-sided level.

    >>> lo, hi = wilson_interval(1, 2)
    >>> round(lo, 4), round(hi, 4)
    (0.0945, 0.9055)
    >>> wilson_interval(0, 0)
    (nan, nan)
    """
    if trials <= 0:
        return (math.nan, math.nan)
    z = z_value(confidence)
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def poisson_ratio_interval(
    numerator: float, denominator: float, confidence: float = DEFAULT_CONFIDENCE
) -> tuple[float, float]:
    """Interval of a ratio of two counts (each taken as Poisson), e.g. demands per supplier.

    Conditional on the total ``n = a + b``, ``a`` is binomial with ``p = ra / (ra + rb)``; the
    Wilson interval of ``p`` maps to the rate ratio by ``p / (1 - p)``. A zero denominator
    gives an infinite upper bound: the data cannot rule out any scarcity.

    >>> lo, hi = poisson_ratio_interval(3, 1)
    >>> lo < 3 < hi
    True
    >>> poisson_ratio_interval(2, 0)[1]
    inf
    >>> poisson_ratio_interval(0, 0)
    (nan, nan)
    """
    lo_p, hi_p = wilson_interval(numerator, numerator + denominator, confidence)
    if math.isnan(lo_p):
        return (math.nan, math.nan)

    def to_ratio(p: float) -> float:
        return math.inf if p >= 1 else p / (1 - p)

    return (to_ratio(lo_p), to_ratio(hi_p))


def hhi(weights: Iterable[float]) -> float:
    """Herfindahl-Hirschman index of market shares (0..1; 1 = one supplier takes all).

    Args:
        weights: each supplier's volume (contracts, offers …); shares are computed here.

    >>> hhi([1, 1])
    0.5
    >>> hhi([3])
    1.0
    >>> round(hhi([2, 1, 1]), 4)
    0.375
    >>> hhi([])
    nan
    """
    values = [float(w) for w in weights if w > 0]
    total = sum(values)
    if total <= 0:
        return math.nan
    return sum((v / total) ** 2 for v in values)


def top_share(weights: Iterable[float], k: int = 3) -> float:
    """Share of the total held by the ``k`` largest suppliers.

    >>> top_share([5, 3, 1, 1])
    0.9
    >>> top_share([1, 1], k=3)
    1.0
    """
    values = sorted((float(w) for w in weights if w > 0), reverse=True)
    total = sum(values)
    if total <= 0:
        return math.nan
    return sum(values[:k]) / total


def log_ratio(current: float, previous: float, prior: float = 0.5) -> float:
    """Smoothed log change ``log((current + prior) / (previous + prior))``.

    Symmetric for rises and falls and finite at zero counts, so it can be standardised
    where a percentage growth (``+inf`` from 0) could not.

    >>> round(log_ratio(4, 2), 4)
    0.5878
    >>> log_ratio(0, 0)
    0.0
    """
    return math.log((current + prior) / (previous + prior))


def growth_rate(current: float, previous: float) -> float:
    """Period-over-period growth ``current / previous - 1`` (``nan`` when previous is 0).

    >>> growth_rate(4, 2)
    1.0
    >>> growth_rate(1, 0)
    nan
    """
    if previous <= 0:
        return math.nan
    return current / previous - 1


def standardise(
    values: Sequence[float] | pd.Series, reference: Sequence[bool] | pd.Series | None = None
) -> pd.Series:
    """z-scores ``(x - mean) / std`` (population std); missing values → 0.

    A missing component is neutral (0) rather than dropping the unit; a constant component
    (std 0) carries no information and is 0 everywhere.

    Args:
        values: one value per unit.
        reference: which units define the mean and spread (e.g. those with enough data, so
            hundreds of one-demand concepts do not define "average"); all units are scored.

    >>> standardise([1.0, 3.0]).tolist()
    [-1.0, 1.0]
    >>> standardise([2.0, 2.0, float("nan")]).tolist()
    [0.0, 0.0, 0.0]
    >>> standardise([1.0, 3.0, 7.0], reference=[True, True, False]).tolist()
    [-1.0, 1.0, 5.0]
    """
    series = pd.Series(values, dtype="float64")
    finite = series.replace([np.inf, -np.inf], np.nan)
    basis = finite
    if reference is not None:
        mask = pd.Series(list(reference), index=series.index, dtype=bool)
        basis = finite[mask]
    mean = basis.mean()
    std = basis.std(ddof=0)
    if basis.count() < 2 or not std or math.isnan(std):
        return pd.Series(0.0, index=series.index)
    return ((finite - mean) / std).fillna(0.0)
