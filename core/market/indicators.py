"""Market indicators, one function each, every one a pandas DataFrame with one row per unit.

All take :class:`~core.market.facts.MarketFacts` (load once with ``load_facts``) and ``by``
(``"concept"``, ``"branch"``, ``"region"``, ``"period"`` or a tuple such as
``("region", "period")``). Each row carries ``n`` (the count the value rests on) and
``low_confidence`` (``n < min_count``); shares and ratios carry 95 % intervals. Small samples
are flagged, never presented as certain.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from core.errors import UserError
from core.market.facts import MarketFacts
from core.market.periods import growth_periods
from core.market.stats import (
    DEFAULT_CONFIDENCE,
    growth_rate,
    hhi,
    log_ratio,
    poisson_ratio_interval,
    top_share,
    wilson_interval,
)
from core.market.units import MIN_COUNT, By, attach_labels, expand, keys_of, normalise_by


def _finish(
    facts: MarketFacts, result: pd.DataFrame, keys: list[str], sort: str, min_count: int
) -> pd.DataFrame:
    """Flag small samples, add labels and sort (largest first, keys as tie-break)."""
    result = result.copy()
    result["n"] = result["n"].astype("int64")
    result["low_confidence"] = result["n"] < min_count
    result = attach_labels(
        result,
        keys,
        concepts=facts.concepts,
        branches=facts.branches,
        branch_labels=facts.branch_labels,
    )
    return result.sort_values([sort, *keys], ascending=[False] + [True] * len(keys)).reset_index(
        drop=True
    )


def _empty_groups(keys: list[str], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=keys + columns)


def demand_volume(
    facts: MarketFacts, *, by: By = "concept", level: int | None = None, min_count: int = MIN_COUNT
) -> pd.DataFrame:
    """Number of distinct demands per unit, with their total amount in euros.

    Returns:
        keys, labels, ``demands``, ``amount_eur`` (sum over demands with an amount),
        ``n`` (= demands), ``low_confidence``.
    """
    rows, keys = expand(facts.demands, facts.branches, by, level=level)
    if rows.empty:
        result = _empty_groups(keys, ["demands", "amount_eur", "n"])
    else:
        distinct = rows.drop_duplicates([*keys, "demand_id"])
        grouped = distinct.groupby(keys, dropna=False)
        result = pd.DataFrame(
            {
                "demands": grouped["demand_id"].nunique(),
                "amount_eur": grouped["amount_eur"].sum(min_count=1),
            }
        ).reset_index()
        result["n"] = result["demands"]
    result["demands"] = result["demands"].astype("int64")
    return _finish(facts, result, keys, "demands", min_count)


def supply_volume(
    facts: MarketFacts, *, by: By = "concept", level: int | None = None, min_count: int = MIN_COUNT
) -> pd.DataFrame:
    """Distinct suppliers per unit (each company once, whatever its evidence) and offers.

    Returns:
        keys, labels, ``suppliers`` (distinct suppliers with an award, an offer or an
        activation), ``awarded_suppliers``, ``offering_suppliers``, ``activated_suppliers``,
        ``offers`` (Offer rows), ``n`` (= suppliers), ``low_confidence``. Period views hold
        no activations (they are undated).
    """
    rows, keys = expand(facts.supply, facts.branches, by, level=level)
    columns = [
        "suppliers",
        "awarded_suppliers",
        "offering_suppliers",
        "activated_suppliers",
        "offers",
    ]
    if rows.empty:
        result = _empty_groups(keys, columns)
    else:
        grouped = rows.groupby(keys, dropna=False)
        parts = {"suppliers": grouped["supplier_key"].nunique()}
        for kind, name in (
            ("award", "awarded_suppliers"),
            ("offer", "offering_suppliers"),
            ("activation", "activated_suppliers"),
        ):
            subset = rows[rows["kind"] == kind]
            parts[name] = subset.groupby(keys, dropna=False)["supplier_key"].nunique()
        offers = rows[rows["kind"] == "offer"]
        parts["offers"] = offers.groupby(keys, dropna=False)["offer_id"].nunique()
        result = pd.DataFrame(parts).fillna(0).reset_index()
    for column in columns:
        result[column] = result[column].astype("int64")
    result["n"] = result["suppliers"]
    return _finish(facts, result, keys, "suppliers", min_count)


def demand_supply_ratio(
    facts: MarketFacts,
    *,
    by: By = "concept",
    level: int | None = None,
    min_count: int = MIN_COUNT,
    confidence: float = DEFAULT_CONFIDENCE,
) -> pd.DataFrame:
    """Demands per distinct supplier: the tightness of the market (3 demands, 1 supplier → 3).

    The interval treats both counts as Poisson (see ``stats.poisson_ratio_interval``); with no
    supplier the ratio is undefined (``nan``, ``no_supply`` true) and the upper bound infinite.

    Returns:
        keys, labels, ``demands``, ``suppliers``, ``ratio``, ``ratio_low``, ``ratio_high``,
        ``no_supply``, ``n`` (= demands), ``low_confidence``.
    """
    keys = keys_of(by)
    demand = demand_volume(facts, by=by, level=level)[[*keys, "demands"]]
    supply = supply_volume(facts, by=by, level=level)[[*keys, "suppliers"]]
    result = demand.merge(supply, on=keys, how="outer")
    result[["demands", "suppliers"]] = result[["demands", "suppliers"]].fillna(0).astype("int64")
    result["ratio"] = result["demands"] / result["suppliers"].where(result["suppliers"] > 0)
    bounds = [
        poisson_ratio_interval(d, s, confidence)
        for d, s in zip(result["demands"], result["suppliers"], strict=True)
    ]
    result["ratio_low"] = [b[0] for b in bounds]
    result["ratio_high"] = [b[1] for b in bounds]
    result["no_supply"] = result["suppliers"] == 0
    result["n"] = result["demands"]
    return _finish(facts, result, keys, "demands", min_count)


def _met_flags(facts: MarketFacts) -> pd.Series:
    """Per demand row: does a supplier exist for it (the unmet-demand rule, see below)."""
    demands = facts.demands
    if demands.empty:
        return pd.Series([], dtype=bool)
    supply = facts.supply
    local = set(zip(supply["concept_id"], supply["region"], strict=True))
    anywhere = set(supply["concept_id"])
    unknown = set(supply.loc[supply["region"] == "?", "concept_id"])
    met = []
    for concept_id, region, awarded in zip(
        demands["concept_id"], demands["region"], demands["n_awarded"], strict=True
    ):
        if awarded > 0:
            met.append(True)
        elif region == "?":
            met.append(concept_id in anywhere)
        else:
            met.append((concept_id, region) in local or concept_id in unknown)
    return pd.Series(met, index=demands.index, dtype=bool)


def unmet_demand_share(
    facts: MarketFacts,
    *,
    by: By = "concept",
    level: int | None = None,
    min_count: int = MIN_COUNT,
    confidence: float = DEFAULT_CONFIDENCE,
) -> pd.DataFrame:
    """Share of demands with no matching supplier, with its Wilson interval.

    Rule: a demand is *met* on a concept when it has an awarded supplier, or when some
    supplier has evidence on that concept in the demand's région (a company located there
    and activated on it, an offer there, a contract won there). Suppliers of unknown région
    count everywhere, and a demand of unknown région is met by a supplier anywhere — so the
    share is never overstated. A demand on several concepts of one branch is unmet in the
    branch only when it is unmet on all of them.

    Returns:
        keys, labels, ``demands``, ``unmet``, ``unmet_share``, ``unmet_low``, ``unmet_high``,
        ``n`` (= demands), ``low_confidence``.
    """
    frame = facts.demands.assign(met=_met_flags(facts))
    rows, keys = expand(frame, facts.branches, by, level=level)
    if rows.empty:
        result = _empty_groups(keys, ["demands", "unmet"])
    else:
        per_demand = rows.groupby([*keys, "demand_id"], dropna=False)["met"].any().reset_index()
        per_demand["unmet"] = ~per_demand["met"]
        grouped = per_demand.groupby(keys, dropna=False)
        result = pd.DataFrame(
            {"demands": grouped["demand_id"].nunique(), "unmet": grouped["unmet"].sum()}
        ).reset_index()
    result[["demands", "unmet"]] = result[["demands", "unmet"]].astype("int64")
    result["unmet_share"] = result["unmet"] / result["demands"].where(result["demands"] > 0)
    bounds = [
        wilson_interval(u, d, confidence)
        for u, d in zip(result["unmet"], result["demands"], strict=True)
    ]
    result["unmet_low"] = [b[0] for b in bounds]
    result["unmet_high"] = [b[1] for b in bounds]
    result["n"] = result["demands"]
    return _finish(facts, result, keys, "unmet_share", min_count)


def supplier_concentration(
    facts: MarketFacts,
    *,
    by: By = "concept",
    level: int | None = None,
    min_count: int = MIN_COUNT,
    top: int = 3,
) -> pd.DataFrame:
    """How concentrated supply is: HHI and top-3 share of suppliers.

    Shares are each supplier's number of contracts won in the unit (a contract won jointly
    counts for each winner). A unit with no award falls back to offers and activations
    (each offer and each activation weighs 1); ``basis`` says which was used.

    Returns:
        keys, labels, ``basis`` (awards | offers_activations), ``suppliers``, ``hhi``
        (0..1), ``top3_share``, ``n`` (awards, or offers + activations), ``low_confidence``.
    """
    rows, keys = expand(facts.supply, facts.branches, by, level=level)
    records: list[dict[str, object]] = []
    if not rows.empty:
        rows = rows.assign(
            item=np.where(
                rows["kind"] == "award",
                "d" + rows["demand_id"].astype("string"),
                np.where(
                    rows["kind"] == "offer",
                    "o" + rows["offer_id"].astype("string"),
                    "a",
                ),
            )
        )
        for unit, group in rows.groupby(keys, dropna=False):
            unit_values = unit if isinstance(unit, tuple) else (unit,)
            awards = group[group["kind"] == "award"]
            basis = "awards" if not awards.empty else "offers_activations"
            used = awards if not awards.empty else group
            weights = used.drop_duplicates(["supplier_key", "item"]).groupby("supplier_key").size()
            records.append(
                {
                    **dict(zip(keys, unit_values, strict=True)),
                    "basis": basis,
                    "suppliers": int(len(weights)),
                    "hhi": hhi(weights.tolist()),
                    "top3_share": top_share(weights.tolist(), k=top),
                    "n": int(weights.sum()),
                }
            )
    columns = ["basis", "suppliers", "hhi", "top3_share", "n"]
    result = pd.DataFrame(records, columns=keys + columns)
    return _finish(facts, result, keys, "hhi", min_count)


def _growth(
    facts: MarketFacts,
    *,
    counted: pd.DataFrame,
    count_column: str,
    by: By,
    level: int | None,
    previous: str | None,
    current: str | None,
    min_count: int,
    confidence: float,
) -> pd.DataFrame:
    dims = normalise_by(by)
    if "period" in dims:
        raise UserError("growth compares two periods: group it by concept, branch or région")
    keys = keys_of(dims)
    columns = [
        "previous_period",
        "current_period",
        "previous",
        "current",
        "growth",
        "log_change",
        "rate_ratio_low",
        "rate_ratio_high",
        "n",
    ]
    chosen = growth_periods(facts.demand_counts_by_period(), previous=previous, current=current)
    units, _ = expand(counted, facts.branches, dims, level=level)
    if chosen is None or units.empty:
        result = _empty_groups(keys, columns)
        return _finish(facts, result, keys, "n", min_count)
    prev_label, cur_label = chosen
    all_units = units[keys].drop_duplicates()
    dated, _ = expand(counted, facts.branches, (*dims, "period"), level=level)
    dated = dated[dated["period"].isin([prev_label, cur_label])]
    counts = (
        dated.groupby([*keys, "period"], dropna=False)[count_column]
        .nunique()
        .unstack("period")
        .reindex(columns=[prev_label, cur_label])
        .fillna(0)
        .reset_index()
        if not dated.empty
        else pd.DataFrame(columns=[*keys, prev_label, cur_label])
    )
    result = all_units.merge(counts, on=keys, how="left").fillna({prev_label: 0, cur_label: 0})
    result = result.rename(columns={prev_label: "previous", cur_label: "current"})
    result[["previous", "current"]] = result[["previous", "current"]].astype("int64")
    result["previous_period"] = prev_label
    result["current_period"] = cur_label
    result["growth"] = [
        growth_rate(c, p) for c, p in zip(result["current"], result["previous"], strict=True)
    ]
    result["log_change"] = [
        log_ratio(c, p) for c, p in zip(result["current"], result["previous"], strict=True)
    ]
    bounds = [
        poisson_ratio_interval(c, p, confidence)
        for c, p in zip(result["current"], result["previous"], strict=True)
    ]
    result["rate_ratio_low"] = [b[0] for b in bounds]
    result["rate_ratio_high"] = [b[1] for b in bounds]
    result["n"] = result["previous"] + result["current"]
    return _finish(facts, result[keys + columns], keys, "n", min_count)


def demand_growth(
    facts: MarketFacts,
    *,
    by: By = "concept",
    level: int | None = None,
    previous: str | None = None,
    current: str | None = None,
    min_count: int = MIN_COUNT,
    confidence: float = DEFAULT_CONFIDENCE,
) -> pd.DataFrame:
    """Period-over-period change of the number of demands (2 → 4 is +100 %).

    Args:
        facts: the market.
        by: concept, branch or région (not period: two periods are compared).
        level: branch depth to keep.
        previous, current: period labels at the facts' granularity (``"2018-Q4"``,
            ``"2019-Q1"``; ``"2018"``, ``"2019"`` with ``freq="Y"``). By default ``current`` is
            the latest period holding at least 10 % of the busiest period's demands and
            ``previous`` the period just before (see ``periods.growth_periods``).
        min_count: ``previous + current`` below this is flagged.
        confidence: level of the rate-ratio interval.

    Returns:
        keys, labels, ``previous_period``, ``current_period``, ``previous``, ``current``,
        ``growth`` (``current/previous - 1``, nan from 0), ``log_change`` (smoothed log
        ratio, finite), ``rate_ratio_low/high`` (interval of ``current/previous``), ``n``,
        ``low_confidence``. Every unit of the facts appears, with zeros when idle.
    """
    return _growth(
        facts,
        counted=facts.demands,
        count_column="demand_id",
        by=by,
        level=level,
        previous=previous,
        current=current,
        min_count=min_count,
        confidence=confidence,
    )


def supply_growth(
    facts: MarketFacts,
    *,
    by: By = "concept",
    level: int | None = None,
    previous: str | None = None,
    current: str | None = None,
    min_count: int = MIN_COUNT,
    confidence: float = DEFAULT_CONFIDENCE,
) -> pd.DataFrame:
    """Period-over-period change of distinct active suppliers (awards and offers, dated).

    Same periods and columns as :func:`demand_growth`; activations are undated stock and do
    not move growth.
    """
    dated = facts.supply[facts.supply["kind"] != "activation"]
    return _growth(
        facts,
        counted=dated,
        count_column="supplier_key",
        by=by,
        level=level,
        previous=previous,
        current=current,
        min_count=min_count,
        confidence=confidence,
    )


def branch_rollup(
    facts: MarketFacts, *, level: int | None = None, min_count: int = MIN_COUNT
) -> pd.DataFrame:
    """Demand and supply of every glossary code, rolled up from the concepts below it.

    A concept's counts roll up to every ancestor code on its path; distinct demands and
    suppliers are counted, so a parent never double counts an item in two children.

    Returns:
        ``branch_code``, ``depth``, labels, ``demands``, ``suppliers``, ``ratio`` and its
        interval, ``n``, ``low_confidence``.
    """
    return demand_supply_ratio(facts, by="branch", level=level, min_count=min_count)


def ratio_is_finite(value: float) -> bool:
    """Whether a ratio can be drawn as a point (not nan, not infinite).

    >>> ratio_is_finite(3.0), ratio_is_finite(float("inf")), ratio_is_finite(float("nan"))
    (True, False, False)
    """
    return not (math.isnan(value) or math.isinf(value))
