"""The composite tension index and its decomposition, in the spirit of the DARES indicator.

The French labour ministry's statistics office (DARES) measures tension per occupation by
standardising several components across occupations and averaging them, then shows each
component's contribution. Here the units are concepts (or branches, or régions) and the
components, each oriented so that *higher = more tension*, are:

* ``tightness`` — ``log((demands + ½) / (suppliers + ½))``: many demands per supplier;
* ``demand_dynamics`` — smoothed log change of demands between the two growth periods;
* ``supply_dynamics`` (optional) — minus the log change of active suppliers;
* ``concentration`` — HHI of suppliers' shares (few suppliers hold the market);
* ``unmet`` — share of demands with no matching supplier;
* ``search`` (optional) — ``log(1 + searched-but-not-found queries)`` from the query logs.

Each component is standardised over the units (``z = (x - mean) / std``; a missing value is
neutral, 0). When at least three units have enough demands (``min_count``), they alone set
the mean and spread, so a long tail of one-demand concepts does not define "average"; every
unit is still scored. Small samples are shrunk towards average: each z-score is weighed by
its *credibility* ``n / (n + min_count)``, ``n`` being the count that component rests on
(demands + suppliers for tightness, the two periods' counts for dynamics, contracts for
concentration, demands for unmet demand, searches for search) — one contract says little
about concentration. The index is the weighted mean of these scores; a component's
*contribution* is weight × z × credibility / Σ weights, so contributions add up to the index
exactly. The ``driver`` is the component that pushes the index most in its own direction (the
largest contribution for a positive index, the most negative for a negative one).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from core.errors import UserError
from core.market.facts import MarketFacts, MarketFilters, load_facts
from core.market.indicators import (
    demand_growth,
    demand_supply_ratio,
    supplier_concentration,
    supply_growth,
    unmet_demand_share,
)
from core.market.signals import DEFAULT_LOW_SCORE, search_demand_signal
from core.market.stats import DEFAULT_CONFIDENCE, standardise
from core.market.units import MIN_COUNT, By, attach_labels, keys_of, normalise_by


@dataclass(frozen=True)
class Component:
    """One component of the index: its name and what it means, in French and English."""

    name: str
    label_fr: str
    label_en: str
    meaning_fr: str
    meaning_en: str


COMPONENTS: dict[str, Component] = {
    c.name: c
    for c in (
        Component(
            "tightness",
            "Demande / offre",
            "Demand / supply",
            "beaucoup de demandes par fournisseur actif",
            "many demands per active supplier",
        ),
        Component(
            "demand_dynamics",
            "Dynamique de la demande",
            "Demand dynamics",
            "la demande augmente d'une période à l'autre",
            "demand rises from one period to the next",
        ),
        Component(
            "supply_dynamics",
            "Repli de l'offre",
            "Supply decline",
            "le nombre de fournisseurs actifs baisse",
            "the number of active suppliers falls",
        ),
        Component(
            "concentration",
            "Concentration des fournisseurs",
            "Supplier concentration",
            "peu de fournisseurs se partagent le marché (HHI)",
            "few suppliers share the market (HHI)",
        ),
        Component(
            "unmet",
            "Demande non satisfaite",
            "Unmet demand",
            "part des demandes sans fournisseur correspondant",
            "share of demands with no matching supplier",
        ),
        Component(
            "search",
            "Recherches sans réponse",
            "Searched but not found",
            "recherches qui n'ont rien trouvé de convaincant",
            "searches that found nothing convincing",
        ),
    )
}
DEFAULT_COMPONENTS: tuple[str, ...] = ("tightness", "demand_dynamics", "concentration", "unmet")
MIN_REFERENCE_UNITS = 3
"""Units with enough demands needed before they alone define the mean and spread."""


def _check_components(
    components: Sequence[str], weights: Mapping[str, float] | None
) -> dict[str, float]:
    """Validate component names and weights; return ``{component: weight}``.

    >>> _check_components(["tightness", "unmet"], {"unmet": 2})
    {'tightness': 1.0, 'unmet': 2.0}
    """
    if not components:
        raise UserError(f"choose at least one component among {', '.join(COMPONENTS)}")
    unknown = [c for c in components if c not in COMPONENTS]
    if unknown:
        raise UserError(f"unknown component(s) {', '.join(unknown)}: use {', '.join(COMPONENTS)}")
    weights = dict(weights or {})
    extra = [w for w in weights if w not in components]
    if extra:
        raise UserError(f"weights given for component(s) not used: {', '.join(extra)}")
    chosen = {c: float(weights.get(c, 1.0)) for c in dict.fromkeys(components)}
    if any(w < 0 for w in chosen.values()) or sum(chosen.values()) <= 0:
        raise UserError("component weights must be ≥ 0 and not all 0")
    return chosen


def _search_by_unit(
    facts: MarketFacts, search: pd.DataFrame, keys: list[str], level: int | None
) -> pd.DataFrame:
    """Not-found searches per unit (concepts, or rolled up to branches); nan for régions."""
    signal = search.dropna(subset=["concept_id"]).astype({"concept_id": "int64"})
    signal = signal[["concept_id", "searches", "not_found"]].astype(
        {"searches": "float64", "not_found": "float64"}
    )
    if keys == ["concept_id"]:
        return signal
    if keys == ["branch_code"]:
        branches = facts.branches
        if level is not None:
            branches = branches[branches["depth"] == level]
        rolled = signal.merge(branches[["concept_id", "branch_code"]], on="concept_id")
        return rolled.groupby("branch_code", as_index=False)[["searches", "not_found"]].sum()
    return pd.DataFrame(
        {**{k: pd.Series(dtype="object") for k in keys}, "searches": [], "not_found": []}
    ).astype({"searches": "float64", "not_found": "float64"})


def tension_index(
    facts: MarketFacts,
    *,
    by: By = "concept",
    level: int | None = None,
    components: Sequence[str] = DEFAULT_COMPONENTS,
    weights: Mapping[str, float] | None = None,
    search: pd.DataFrame | None = None,
    previous: str | None = None,
    current: str | None = None,
    min_count: int = MIN_COUNT,
    confidence: float = DEFAULT_CONFIDENCE,
    shrink: bool = True,
) -> pd.DataFrame:
    """Composite tension index per unit with each component's standardised value and share.

    Args:
        facts: the market (``load_facts``).
        by: ``"concept"`` (default), ``"branch"`` or ``"region"``.
        level: branch depth to keep when ``by="branch"``.
        components: which components enter the index (see the module docstring).
        weights: component → weight (default 1 each).
        search: the output of ``search_demand_signal`` (needed for the ``search`` component).
        previous, current: the periods the dynamics compare (default: see
            ``periods.growth_periods``).
        min_count: units with fewer demands are flagged ``low_confidence``; also the
            credibility constant of ``shrink``.
        confidence: level of the ratio and share intervals.
        shrink: weigh each z-score by its credibility ``n / (n + min_count)``, where ``n``
            is the count that component rests on (see the module docstring). False gives the
            plain mean of z-scores.

    Returns:
        keys, labels, ``demands``, ``suppliers``, ``ratio`` (+ ``ratio_low``/``ratio_high``),
        ``demand_growth``, ``supply_growth`` (and their smoothed ``*_log_change``), ``hhi``,
        ``top3_share``, ``unmet_share`` (+ interval), for each component ``<c>_raw``,
        ``<c>_z``, ``<c>_n``, ``<c>_credibility``, ``<c>_contrib``; then
        ``tension_index`` (= Σ contributions), ``driver``, ``driver_label`` /
        ``driver_label_en``, ``previous_period``, ``current_period``, ``n`` (= demands) and
        ``low_confidence``; sorted from the most to the least tense.
    """
    dims = normalise_by(by)
    if "period" in dims or len(dims) != 1:
        raise UserError('the tension index is computed by "concept", "branch" or "region"')
    chosen = _check_components(components, weights)
    if "search" in chosen and search is None:
        raise UserError(
            "the search component needs the query-log signal: pass "
            "search=search_demand_signal(session, tenant_id)"
        )
    keys = keys_of(dims)
    base = demand_supply_ratio(
        facts, by=dims, level=level, min_count=min_count, confidence=confidence
    )
    base = base[[*keys, "demands", "suppliers", "ratio", "ratio_low", "ratio_high"]]
    dgrowth = demand_growth(
        facts, by=dims, level=level, min_count=min_count, previous=previous, current=current
    )
    sgrowth = supply_growth(
        facts, by=dims, level=level, min_count=min_count, previous=previous, current=current
    )
    conc = supplier_concentration(facts, by=dims, level=level, min_count=min_count)
    unmet = unmet_demand_share(
        facts, by=dims, level=level, min_count=min_count, confidence=confidence
    )

    table = base
    table = table.merge(
        dgrowth[[*keys, "growth", "log_change", "n", "previous_period", "current_period"]].rename(
            columns={
                "growth": "demand_growth",
                "log_change": "demand_log_change",
                "n": "_demand_growth_n",
            }
        ),
        on=keys,
        how="left",
    )
    table = table.merge(
        sgrowth[[*keys, "growth", "log_change", "n"]].rename(
            columns={
                "growth": "supply_growth",
                "log_change": "supply_log_change",
                "n": "_supply_growth_n",
            }
        ),
        on=keys,
        how="left",
    )
    table = table.merge(
        conc[[*keys, "hhi", "top3_share", "n"]].rename(columns={"n": "_concentration_n"}),
        on=keys,
        how="left",
    )
    table = table.merge(
        unmet[[*keys, "unmet_share", "unmet_low", "unmet_high"]], on=keys, how="left"
    )
    if search is not None:
        signal = _search_by_unit(facts, search, keys, level)
        table = table.merge(signal, on=keys, how="left")
        if keys != ["region"]:
            table[["searches", "not_found"]] = table[["searches", "not_found"]].fillna(0)

    raw = {
        "tightness": np.log((table["demands"] + 0.5) / (table["suppliers"] + 0.5)),
        "demand_dynamics": table["demand_log_change"],
        "supply_dynamics": -table["supply_log_change"],
        "concentration": table["hhi"],
        "unmet": table["unmet_share"],
    }
    evidence = {
        "tightness": table["demands"] + table["suppliers"],
        "demand_dynamics": table["_demand_growth_n"],
        "supply_dynamics": table["_supply_growth_n"],
        "concentration": table["_concentration_n"],
        "unmet": table["demands"],
    }
    if search is not None:
        raw["search"] = np.log1p(table["not_found"].astype("float64"))
        evidence["search"] = table["searches"]
    total = sum(chosen.values())
    index = pd.Series(0.0, index=table.index)
    enough = table["demands"] >= min_count
    reference = enough if enough.sum() >= MIN_REFERENCE_UNITS else None
    for name, weight in chosen.items():
        values = pd.Series(raw[name], index=table.index, dtype="float64")
        z = standardise(values, reference)
        n = pd.Series(evidence[name], index=table.index, dtype="float64").fillna(0.0)
        credibility = n / (n + min_count) if shrink and min_count > 0 else n * 0 + 1.0
        table[f"{name}_raw"] = values
        table[f"{name}_z"] = z
        table[f"{name}_n"] = n.astype("int64")
        table[f"{name}_credibility"] = credibility
        table[f"{name}_contrib"] = weight * z * credibility / total
        index = index + table[f"{name}_contrib"]
    table["tension_index"] = index
    contrib = table[[f"{name}_contrib" for name in chosen]]
    if len(table):
        up = contrib.idxmax(axis=1).str.removesuffix("_contrib")
        down = contrib.idxmin(axis=1).str.removesuffix("_contrib")
        table["driver"] = np.where(table["tension_index"] >= 0, up, down)
    else:
        table["driver"] = pd.Series(dtype="object")
    table["driver_label"] = [COMPONENTS[d].label_fr for d in table["driver"]]
    table["driver_label_en"] = [COMPONENTS[d].label_en for d in table["driver"]]
    table["n"] = table["demands"].astype("int64")
    table["low_confidence"] = table["n"] < min_count
    table = table.drop(columns=["_demand_growth_n", "_supply_growth_n", "_concentration_n"])
    table = attach_labels(
        table,
        keys,
        concepts=facts.concepts,
        branches=facts.branches,
        branch_labels=facts.branch_labels,
    )
    table = table.sort_values(["tension_index", *keys], ascending=[False] + [True] * len(keys))
    return table.reset_index(drop=True)


def used_components(index: pd.DataFrame) -> list[str]:
    """Component names present in a ``tension_index`` result (in their column order).

    >>> used_components(pd.DataFrame(columns=["tightness_contrib", "unmet_contrib", "n"]))
    ['tightness', 'unmet']
    """
    return [c.removesuffix("_contrib") for c in index.columns if c.endswith("_contrib")]


def decompose(index: pd.DataFrame, *, keys: Sequence[str] | None = None) -> pd.DataFrame:
    """Long table of contributions: one row per (unit, component), for bar charts and exports.

    Args:
        index: a ``tension_index`` result (or some of its rows).
        keys: unit key columns (guessed from the columns when omitted).

    Returns:
        keys, ``component``, ``component_label``, ``component_label_en``, ``raw``, ``z``,
        ``credibility``, ``contribution`` and ``tension_index``; per unit the contributions
        sum to the index.
    """
    if keys is None:
        keys = [k for k in ("concept_id", "branch_code", "region") if k in index.columns][:1]
    rows = []
    for _, unit in index.iterrows():
        for name in used_components(index):
            rows.append(
                {
                    **{k: unit[k] for k in keys},
                    "component": name,
                    "component_label": COMPONENTS[name].label_fr,
                    "component_label_en": COMPONENTS[name].label_en,
                    "raw": unit[f"{name}_raw"],
                    "z": unit[f"{name}_z"],
                    "credibility": unit.get(f"{name}_credibility", 1.0),
                    "contribution": unit[f"{name}_contrib"],
                    "tension_index": unit["tension_index"],
                }
            )
    columns = [
        *keys,
        "component",
        "component_label",
        "component_label_en",
        "raw",
        "z",
        "credibility",
        "contribution",
        "tension_index",
    ]
    return pd.DataFrame(rows, columns=columns)


def ranked(index: pd.DataFrame) -> pd.DataFrame:
    """Units with enough data first, each group from the most to the least tense.

    What tables and "top N" lists show, so a one-demand concept never heads a ranking.

    >>> frame = pd.DataFrame({"tension_index": [2.0, 1.0], "low_confidence": [True, False]})
    >>> ranked(frame)["tension_index"].tolist()
    [1.0, 2.0]
    """
    if index.empty:
        return index
    order = index.assign(_low=index["low_confidence"].astype(bool))
    order = order.sort_values(["_low", "tension_index"], ascending=[True, False], kind="stable")
    return order.drop(columns="_low")


def scarcest_concepts(
    facts: MarketFacts, index: pd.DataFrame, *, top: int = 20, max_suppliers: int = 5
) -> pd.DataFrame:
    """The most tense concepts with the suppliers who serve them (most contracts first).

    Concepts with enough demands come first (see :func:`ranked`), small samples after.

    Args:
        facts: the market the index was computed on.
        index: ``tension_index(facts, by="concept")``.
        top: how many concepts.
        max_suppliers: supplier names listed per concept.

    Returns:
        ``concept_id``, ``code``, ``label``, ``label_en``, ``tension_index``, ``driver_label``,
        ``driver_label_en``, ``demands``, ``suppliers``, ``ratio``, ``ratio_low``,
        ``ratio_high``, ``unmet_share``, ``low_confidence``, ``supplier_names`` (text).
    """
    if "concept_id" not in index.columns:
        raise UserError('scarcest_concepts needs an index computed by="concept"')
    head = ranked(index).head(top)
    supply = facts.supply[facts.supply["company_id"].notna()]
    names = dict(zip(facts.companies["company_id"], facts.companies["name"], strict=True))
    listed = []
    for concept_id in head["concept_id"]:
        rows = supply[supply["concept_id"] == concept_id]
        by_supplier = (
            rows.assign(award=rows["kind"] == "award")
            .groupby("company_id")["award"]
            .agg(["sum", "size"])
            .sort_values(["sum", "size"], ascending=False)
        )
        shown = [str(names.get(int(c), f"#{c}")) for c in by_supplier.index[:max_suppliers]]
        more = len(by_supplier) - len(shown)
        text = ", ".join(shown) + (f" (+{more})" if more > 0 else "")
        listed.append(text or "aucun fournisseur / no supplier")
    columns = [
        "concept_id",
        "code",
        "label",
        "label_en",
        "tension_index",
        "driver_label",
        "driver_label_en",
        "demands",
        "suppliers",
        "ratio",
        "ratio_low",
        "ratio_high",
        "unmet_share",
        "low_confidence",
    ]
    result = head[columns].copy()
    result["supplier_names"] = listed
    return result.reset_index(drop=True)


@dataclass(frozen=True)
class TensionView:
    """Everything a dashboard or report shows, computed once from one load of the facts."""

    facts: MarketFacts
    index: pd.DataFrame
    by_region: pd.DataFrame
    by_branch: pd.DataFrame
    scarcest: pd.DataFrame
    search: pd.DataFrame
    series: pd.DataFrame


def market_tension(
    session: Session,
    tenant_id: str,
    filters: MarketFilters | None = None,
    *,
    freq: str = "Q",
    components: Sequence[str] = DEFAULT_COMPONENTS,
    include_search: bool = False,
    low_score: float = DEFAULT_LOW_SCORE,
    previous: str | None = None,
    current: str | None = None,
    min_count: int = MIN_COUNT,
    top: int = 20,
) -> TensionView:
    """Load the market once and compute the index by concept, région and branch.

    The entry point of the report, the CLI and the workbench page.

    Args:
        session: open session.
        tenant_id: the tenant.
        filters: period, région, branch.
        freq: period granularity (Y, H, Q, M).
        components: index components; ``include_search`` adds ``search``.
        include_search: use "searched but not found" queries as a component.
        low_score: top score below which a logged search counts as not found.
        previous, current: the periods the dynamics compare.
        min_count: flag units with fewer demands.
        top: rows of the scarcest-concepts table.
    """
    facts = load_facts(session, tenant_id, filters, freq=freq)
    search = search_demand_signal(
        session,
        tenant_id,
        period_from=facts.filters.period_from,
        period_to=facts.filters.period_to,
        low_score=low_score,
    )
    chosen = list(dict.fromkeys([*components, *(["search"] if include_search else [])]))
    options = {
        "components": chosen,
        "search": search,
        "previous": previous,
        "current": current,
        "min_count": min_count,
    }
    index = tension_index(facts, by="concept", **options)
    by_region = tension_index(facts, by="region", **options)
    by_branch = tension_index(facts, by="branch", **options)
    series = demand_supply_ratio(facts, by=("concept", "period"), min_count=min_count)
    return TensionView(
        facts=facts,
        index=index,
        by_region=by_region,
        by_branch=by_branch,
        scarcest=scarcest_concepts(facts, index, top=top),
        search=search,
        series=series,
    )


def headline(view: TensionView) -> dict[str, float | int | str]:
    """A few numbers for the top of a report or page."""
    index = view.index
    reliable = index[~index["low_confidence"]] if len(index) else index
    top = reliable.iloc[0] if len(reliable) else (index.iloc[0] if len(index) else None)
    return {
        "concepts": int(len(index)),
        "demands": int(view.facts.demands["demand_id"].nunique()),
        "suppliers": int(view.facts.supply["supplier_key"].nunique()),
        "unclassified_demands": int(view.facts.unclassified_demands),
        "low_confidence_concepts": int(index["low_confidence"].sum()) if len(index) else 0,
        "most_tense": "" if top is None else f"{top['code']} {top['label']}",
        "most_tense_index": math.nan if top is None else float(top["tension_index"]),
        "periods": " → ".join(
            str(index[c].dropna().iloc[0]) if len(index) and index[c].notna().any() else "?"
            for c in ("previous_period", "current_period")
        ),
    }


def _number(value: object, digits: int = 1) -> str:
    """Short number for sentences ('?' when missing).

    >>> _number(2.345), _number(float("nan")), _number(float("inf"))
    ('2.3', '?', '∞')
    """
    if not isinstance(value, int | float) or math.isnan(value):
        return "?"
    if math.isinf(value):
        return "∞"
    return f"{value:.{digits}f}"


def describe_driver(unit: Mapping[str, object], lang: str = "fr") -> str:
    """One sentence saying how tense a unit is and why, for reports and pages.

    >>> unit = {"label": "Tours", "code": "42610000", "tension_index": 1.2,
    ...         "driver": "tightness", "demands": 3, "suppliers": 1, "ratio": 3.0,
    ...         "low_confidence": True}
    >>> describe_driver(unit, "en")
    'Tours (42610000): index +1.20, driven by demand / supply — 3 demand(s) for 1 supplier(s) (ratio 3.0). Small sample: indicative only.'
    """  # noqa: E501
    name = str(unit.get("label") or unit.get("branch_label") or unit.get("region_name") or "")
    code = unit.get("code") or unit.get("branch_code") or unit.get("region")
    index = float(unit.get("tension_index", math.nan))  # type: ignore[arg-type]
    component = COMPONENTS.get(str(unit.get("driver")))
    figures = (
        f"{unit.get('demands', '?')} demande(s) pour {unit.get('suppliers', '?')} fournisseur(s) "
        f"(ratio {_number(unit.get('ratio'))})"
        if lang == "fr"
        else f"{unit.get('demands', '?')} demand(s) for {unit.get('suppliers', '?')} supplier(s) "
        f"(ratio {_number(unit.get('ratio'))})"
    )
    if lang == "fr":
        driver = component.label_fr.lower() if component else "?"
        text = f"{name} ({code}) : indice {index:+.2f}, tiré surtout par {driver} — {figures}."
        if unit.get("low_confidence"):
            text += " Petit effectif : indicatif seulement."
        return text
    driver = component.label_en.lower() if component else "?"
    text = f"{name} ({code}): index {index:+.2f}, driven by {driver} — {figures}."
    if unit.get("low_confidence"):
        text += " Small sample: indicative only."
    return text
