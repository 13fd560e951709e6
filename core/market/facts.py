"""One tenant's market as DataFrames: demands and supply evidence on concepts, filtered once.

Every indicator reads a :class:`MarketFacts` rather than the database, so the report, the
workbench page and the CLI load once and compute many indicators, and tests can check each
indicator against hand-computed values.

What counts (the rules the README repeats):

* **Demand** — one row per (demand, concept). A demand counts once per concept it is
  classified on (``Demand.concept_ids``); when it has none yet but its ``concept_code`` names
  an existing concept (the CPV code of a public contract), that concept is used on the fly,
  exactly as ``market classify`` would. Demands on no concept are counted in
  ``unclassified_demands`` and shown, not analysed.
* **Supply** — one row per piece of evidence that a supplier serves a concept:
  ``award`` (the company won a contract — a demand — on the concept; région and period are
  the contract's), ``offer`` (an Offer row on the concept; région and period are the offer's;
  an offer without a company is its own supplier) and ``activation`` (a
  CompanyConceptActivation; région is the company's; undated). *Supply volume* is the number
  of distinct suppliers with at least one piece of evidence, each company counted once.
* **Periods** — a period view counts what happened in the period: awards and offers by their
  dates. Activations have no date, so they count in concept, branch and région views but in
  no period (which is why period views and growth use dated evidence only).
* **Filters** — ``period_from``/``period_to`` keep dated demands and offers inside the window
  (undated ones are left out); ``region`` keeps demands and offers of that région and
  activations of companies located there; ``branch`` keeps concepts whose glossary path
  contains that code (or starts with that path).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from core.errors import UserError
from core.market.periods import check_freq, period_label
from core.market.regions import UNKNOWN_REGION, resolve_region
from core.models import (
    CompanyConceptActivation,
    CompanyProfile,
    Concept,
    Demand,
    GlossaryNode,
    Offer,
)
from core.tenancy import require_tenant, scoped

CONCEPT_COLUMNS = ["concept_id", "code", "label", "label_en", "path"]
BRANCH_COLUMNS = ["concept_id", "branch_code", "depth"]
BRANCH_LABEL_COLUMNS = ["branch_code", "branch_label", "branch_label_en"]
DEMAND_COLUMNS = [
    "demand_id",
    "concept_id",
    "region",
    "departement",
    "published_on",
    "period",
    "amount_eur",
    "n_awarded",
    "buyer_name",
]
SUPPLY_COLUMNS = [
    "kind",
    "supplier_key",
    "company_id",
    "offer_id",
    "demand_id",
    "concept_id",
    "region",
    "period",
]
COMPANY_COLUMNS = ["company_id", "name", "siren", "company_region"]
SUPPLY_KINDS = ("award", "offer", "activation")


@dataclass(frozen=True)
class MarketFilters:
    """What part of the market to look at; every field is optional.

    Attributes:
        period_from: first day included (dated items only).
        period_to: last day included.
        region: INSEE région code or name (``"53"``, ``"Bretagne"``).
        branch: a glossary code (``"42000000"``) or path prefix (``"42000000/42600000"``).
    """

    period_from: date | None = None
    period_to: date | None = None
    region: str | None = None
    branch: str | None = None

    def normalised(self) -> MarketFilters:
        """Same filters with the région resolved to its code and dates checked."""
        if self.period_from and self.period_to and self.period_from > self.period_to:
            raise UserError(
                f"period_from {self.period_from} is after period_to {self.period_to}: swap them"
            )
        branch = self.branch.strip().strip("/") if self.branch else None
        return MarketFilters(
            period_from=self.period_from,
            period_to=self.period_to,
            region=resolve_region(self.region),
            branch=branch or None,
        )

    def describe(self) -> str:
        """One line for report headers and CLI titles.

        >>> MarketFilters(region="53").describe()
        'région 53'
        >>> MarketFilters().describe()
        'all data / toutes les données'
        """
        parts = []
        if self.period_from or self.period_to:
            parts.append(f"{self.period_from or '…'} → {self.period_to or '…'}")
        if self.region:
            parts.append(f"région {self.region}")
        if self.branch:
            parts.append(f"branch {self.branch}")
        return ", ".join(parts) if parts else "all data / toutes les données"


@dataclass(frozen=True)
class MarketFacts:
    """The filtered market of one tenant, ready for the indicators (see the module rules).

    Attributes:
        tenant_id: whose data this is.
        filters: the (normalised) filters applied.
        freq: period granularity of the ``period`` columns (Y, H, Q, M).
        concepts: ``concept_id, code, label, label_en, path`` of analysed concepts.
        branches: ``concept_id, branch_code, depth``: every code on each concept's path
            (its own code included), for roll-ups.
        branch_labels: ``branch_code, branch_label, branch_label_en``.
        demands: one row per (demand, concept).
        supply: one row per piece of supply evidence (``kind`` in award, offer, activation).
        companies: ``company_id, name, siren, company_region``.
        unclassified_demands: demands in the filters that sit on no concept.
        unclassified_offers: offers in the filters that sit on no concept.
    """

    tenant_id: str
    filters: MarketFilters
    freq: str
    concepts: pd.DataFrame
    branches: pd.DataFrame
    branch_labels: pd.DataFrame
    demands: pd.DataFrame
    supply: pd.DataFrame
    companies: pd.DataFrame
    unclassified_demands: int = 0
    unclassified_offers: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def periods(self) -> list[str]:
        """Sorted period labels holding at least one demand or dated supply item."""
        labels = set(self.demands["period"].dropna()) | set(self.supply["period"].dropna())
        return sorted(labels)

    def demand_counts_by_period(self) -> dict[str, int]:
        """Distinct demands per period (what growth uses to choose its periods)."""
        dated = self.demands.dropna(subset=["period"])
        return {str(k): int(v) for k, v in dated.groupby("period")["demand_id"].nunique().items()}


def _label(labels: dict[str, str] | None, lang: str, fallback: str) -> str:
    """Label in ``lang``, else the other language, else ``fallback``.

    >>> _label({"en": "Lathes"}, "fr", "x")
    'Lathes'
    """
    labels = labels or {}
    other = "en" if lang == "fr" else "fr"
    return labels.get(lang) or labels.get(other) or fallback


def _segments(path: str | None, code: str | None, concept_id: int) -> list[str]:
    """Codes from the root to the concept, its own code last.

    >>> _segments("42000000/42600000", "42610000", 7)
    ['42000000', '42600000', '42610000']
    >>> _segments(None, None, 7)
    ['#7']
    """
    own = code or f"#{concept_id}"
    parts = [p for p in (path or "").split("/") if p]
    if not parts or parts[-1] != own:
        parts.append(own)
    return parts


def _in_branch(segments: list[str], branch: str) -> bool:
    """Whether a concept path lies under ``branch`` (a code or a path prefix).

    >>> _in_branch(["42000000", "42600000"], "42000000")
    True
    >>> _in_branch(["42000000", "42600000"], "42000000/42600000")
    True
    >>> _in_branch(["50000000"], "42000000")
    False
    """
    wanted = [p for p in branch.split("/") if p]
    if len(wanted) > 1:
        return segments[: len(wanted)] == wanted
    return wanted[0] in segments


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """A DataFrame with these columns even when there are no rows."""
    return pd.DataFrame(rows, columns=columns)


def _load_concepts(
    session: Session, tenant_id: str, branch: str | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[int, int], dict[str, int]]:
    """Concepts in scope, their branch codes and labels, merge remapping and code lookup."""
    node_rows = session.execute(
        scoped(GlossaryNode, tenant_id).with_only_columns(
            GlossaryNode.code, GlossaryNode.path, GlossaryNode.labels
        )
    ).all()
    node_path = {code: path for code, path, _ in node_rows}
    branch_names = {code: labels for code, _, labels in node_rows}

    concept_rows = session.execute(
        scoped(Concept, tenant_id, Concept.status != "rejected").with_only_columns(
            Concept.concept_id,
            Concept.code,
            Concept.labels,
            Concept.path,
            Concept.status,
            Concept.merged_into_id,
        )
    ).all()
    remap: dict[int, int] = {}
    concepts: list[dict[str, Any]] = []
    branches: list[dict[str, Any]] = []
    for concept_id, code, labels, path, status, merged_into in concept_rows:
        if status == "merged" and merged_into:
            remap[concept_id] = merged_into
            continue
        segments = _segments(path or node_path.get(code or ""), code, concept_id)
        if branch and not _in_branch(segments, branch):
            continue
        remap[concept_id] = concept_id
        fallback = code or f"#{concept_id}"
        concepts.append(
            {
                "concept_id": concept_id,
                "code": code,
                "label": _label(labels, "fr", fallback),
                "label_en": _label(labels, "en", fallback),
                "path": "/".join(segments),
            }
        )
        start = 0
        if branch:  # codes above the chosen branch are not part of the view
            top = [p for p in branch.split("/") if p][-1]
            start = segments.index(top) if top in segments else 0
        for depth, segment in enumerate(segments, start=1):
            if depth - 1 >= start:
                branches.append({"concept_id": concept_id, "branch_code": segment, "depth": depth})
            if segment not in branch_names and segment == fallback:
                branch_names[segment] = labels
    # follow merge chains (a → b → c) to a concept that is in scope
    for source in list(remap):
        target, hops = remap[source], 0
        while remap.get(target, target) != target and hops < 20:
            target, hops = remap[target], hops + 1
        remap[source] = target
    in_scope = {c["concept_id"] for c in concepts}
    remap = {k: v for k, v in remap.items() if v in in_scope}
    by_code = {c["code"]: c["concept_id"] for c in concepts if c["code"]}
    branch_df = _frame(branches, BRANCH_COLUMNS)
    label_rows = [
        {
            "branch_code": code,
            "branch_label": _label(branch_names.get(code), "fr", code),
            "branch_label_en": _label(branch_names.get(code), "en", code),
        }
        for code in sorted(set(branch_df["branch_code"]))
    ]
    return (
        _frame(concepts, CONCEPT_COLUMNS),
        branch_df,
        _frame(label_rows, BRANCH_LABEL_COLUMNS),
        remap,
        by_code,
    )


def _concepts_of(
    concept_ids: list[int] | None,
    concept_code: str | None,
    remap: dict[int, int],
    by_code: dict[str, int],
) -> list[int]:
    """Concepts an item sits on: its classification, else its source code when it names one.

    >>> _concepts_of([1, 2, 9], None, {1: 1, 2: 1}, {})
    [1]
    >>> _concepts_of([], "42", {5: 5}, {"42": 5})
    [5]
    """
    found: list[int] = []
    for cid in concept_ids or []:
        target = remap.get(int(cid))
        if target is not None and target not in found:
            found.append(target)
    if not found and concept_code and concept_code in by_code:
        found.append(by_code[concept_code])
    return found


def load_facts(
    session: Session,
    tenant_id: str,
    filters: MarketFilters | None = None,
    *,
    freq: str = "Q",
    min_activation_score: float = 0.0,
) -> MarketFacts:
    """Read one tenant's demands, offers, awards and activations into :class:`MarketFacts`.

    Args:
        session: an open session (not committed here).
        tenant_id: the tenant (must exist).
        filters: period, région and branch filters (see :class:`MarketFilters`).
        freq: period granularity for the ``period`` columns: Y, H, Q (default) or M.
        min_activation_score: activations below this score are not supply evidence.

    Returns:
        The facts; indicators in ``core.market.indicators`` take them.
    """
    tenant = require_tenant(session, tenant_id)
    filters = (filters or MarketFilters()).normalised()
    freq = check_freq(freq)
    concepts, branches, branch_labels, remap, by_code = _load_concepts(
        session, tenant, filters.branch
    )

    def window(model: type[Demand] | type[Offer]) -> list[Any]:
        where: list[Any] = []
        if filters.period_from:
            where.append(model.published_on >= filters.period_from)
        if filters.period_to:
            where.append(model.published_on <= filters.period_to)
        if filters.region:
            where.append(model.region == filters.region)
        return where

    demand_rows: list[dict[str, Any]] = []
    supply_rows: list[dict[str, Any]] = []
    unclassified_demands = 0
    result = session.execute(
        scoped(Demand, tenant, *window(Demand)).with_only_columns(
            Demand.demand_id,
            Demand.concept_ids,
            Demand.concept_code,
            Demand.region,
            Demand.departement,
            Demand.published_on,
            Demand.amount_eur,
            Demand.awarded_company_ids,
            Demand.buyer_name,
        )
    )
    for demand_id, cids, code, region, dep, published, amount, awarded, buyer in result:
        targets = _concepts_of(cids, code, remap, by_code)
        if not targets:
            unclassified_demands += 1
            continue
        period = period_label(published, freq) if published else None
        region = region or UNKNOWN_REGION
        winners = sorted({int(c) for c in awarded or []})
        for concept_id in targets:
            demand_rows.append(
                {
                    "demand_id": demand_id,
                    "concept_id": concept_id,
                    "region": region,
                    "departement": dep,
                    "published_on": published,
                    "period": period,
                    "amount_eur": amount,
                    "n_awarded": len(winners),
                    "buyer_name": buyer,
                }
            )
            for company_id in winners:
                supply_rows.append(
                    {
                        "kind": "award",
                        "supplier_key": f"c{company_id}",
                        "company_id": company_id,
                        "offer_id": None,
                        "demand_id": demand_id,
                        "concept_id": concept_id,
                        "region": region,
                        "period": period,
                    }
                )

    unclassified_offers = 0
    result = session.execute(
        scoped(Offer, tenant, *window(Offer)).with_only_columns(
            Offer.offer_id,
            Offer.company_id,
            Offer.concept_ids,
            Offer.concept_code,
            Offer.region,
            Offer.published_on,
        )
    )
    for offer_id, company_id, cids, code, region, published in result:
        targets = _concepts_of(cids, code, remap, by_code)
        if not targets:
            unclassified_offers += 1
            continue
        for concept_id in targets:
            supply_rows.append(
                {
                    "kind": "offer",
                    "supplier_key": f"c{company_id}" if company_id else f"o{offer_id}",
                    "company_id": company_id,
                    "offer_id": offer_id,
                    "demand_id": None,
                    "concept_id": concept_id,
                    "region": region or UNKNOWN_REGION,
                    "period": period_label(published, freq) if published else None,
                }
            )

    company_rows = session.execute(
        scoped(CompanyProfile, tenant).with_only_columns(
            CompanyProfile.company_id,
            CompanyProfile.name,
            CompanyProfile.siren,
            CompanyProfile.region,
        )
    ).all()
    company_region = {cid: region for cid, _, _, region in company_rows}
    activation_where: list[Any] = [CompanyConceptActivation.score >= min_activation_score]
    result = session.execute(
        scoped(CompanyConceptActivation, tenant, *activation_where).with_only_columns(
            CompanyConceptActivation.company_id, CompanyConceptActivation.concept_id
        )
    )
    for company_id, concept_id in result:
        target = remap.get(concept_id)
        region = company_region.get(company_id) or UNKNOWN_REGION
        if target is None or (filters.region and region != filters.region):
            continue
        supply_rows.append(
            {
                "kind": "activation",
                "supplier_key": f"c{company_id}",
                "company_id": company_id,
                "offer_id": None,
                "demand_id": None,
                "concept_id": target,
                "region": region,
                "period": None,
            }
        )

    demands = _frame(demand_rows, DEMAND_COLUMNS).astype(
        {"demand_id": "int64", "concept_id": "int64", "n_awarded": "int64"}
    )
    demands["amount_eur"] = pd.to_numeric(demands["amount_eur"], errors="coerce")
    supply = _frame(supply_rows, SUPPLY_COLUMNS).astype(
        {"concept_id": "int64", "company_id": "Int64", "offer_id": "Int64", "demand_id": "Int64"}
    )
    supply = supply.drop_duplicates(ignore_index=True)
    companies = _frame(
        [
            {"company_id": c, "name": n, "siren": s, "company_region": r}
            for c, n, s, r in company_rows
        ],
        COMPANY_COLUMNS,
    )
    notes = []
    if unclassified_demands:
        notes.append(
            f"{unclassified_demands} demand(s) sit on no concept and are not analysed: "
            "run `marketlounge market classify` / demandes non classées, non analysées"
        )
    return MarketFacts(
        tenant_id=tenant,
        filters=filters,
        freq=freq,
        concepts=concepts,
        branches=branches,
        branch_labels=branch_labels,
        demands=demands,
        supply=supply,
        companies=companies,
        unclassified_demands=unclassified_demands,
        unclassified_offers=unclassified_offers,
        notes=notes,
    )


@dataclass(frozen=True)
class FilterChoices:
    """What a user can filter on: the régions, top branches and dates present in the data.

    Attributes:
        regions: région codes with demands, busiest first.
        branches: ``(code, label_fr, label_en, demands)`` of depth-1 and depth-2 glossary
            codes with demands, busiest first.
        first_day, last_day: range of the demands' dates (None without dated demands).
    """

    regions: list[str]
    branches: list[tuple[str, str, str, int]]
    first_day: date | None
    last_day: date | None


def filter_choices(facts: MarketFacts, *, max_depth: int = 2) -> FilterChoices:
    """The filter options of an (unfiltered) market, for the dashboard's widgets."""
    demands = facts.demands
    regions = demands.groupby("region")["demand_id"].nunique().sort_values(ascending=False).index
    rows = demands[["demand_id", "concept_id"]].merge(
        facts.branches[facts.branches["depth"] <= max_depth], on="concept_id"
    )
    counts = rows.groupby("branch_code")["demand_id"].nunique().sort_values(ascending=False)
    labels = facts.branch_labels.set_index("branch_code")
    branches = [
        (
            str(code),
            str(labels.at[code, "branch_label"]) if code in labels.index else str(code),
            str(labels.at[code, "branch_label_en"]) if code in labels.index else str(code),
            int(n),
        )
        for code, n in counts.items()
    ]
    dated = demands["published_on"].dropna()
    return FilterChoices(
        regions=[str(r) for r in regions],
        branches=branches,
        first_day=min(dated) if len(dated) else None,
        last_day=max(dated) if len(dated) else None,
    )
