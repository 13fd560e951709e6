"""The composite tension index: standardised components, contributions, driver, search signal."""

from __future__ import annotations

import math
import statistics
import uuid
from datetime import date

import pytest
from sqlalchemy.orm import Session

from core.errors import UserError
from core.market.facts import MarketFilters, load_facts
from core.market.signals import search_demand_signal
from core.market.tension import (
    DEFAULT_COMPONENTS,
    decompose,
    headline,
    market_tension,
    scarcest_concepts,
    tension_index,
)
from core.models import QueryMatchLog
from tests.core.market.conftest import MarketBuilder
from tests.core.market.test_indicators import row


def z_scores(values: list[float]) -> list[float]:
    """(x - mean) / population std, by hand."""
    mean = statistics.fmean(values)
    std = statistics.pstdev(values)
    return [(v - mean) / std for v in values]


def build_two_concepts(market: MarketBuilder) -> None:
    """A: 3 demands for 1 supplier (tight); B: 1 demand for 2 suppliers (slack)."""
    market.concept("42610000", "42000000/42610000", "Tours")
    market.concept("50000000", "50000000", "Réparation")
    s1, s2 = market.company("Tournage SA"), market.company("Répar")
    for _ in range(3):
        market.demand("42610000", awarded=[s1])
    market.demand("50000000", awarded=[s2])
    market.activation(s1, "50000000")


def test_single_component_index_is_its_z_score(
    session: Session, tenant_id: str, market: MarketBuilder
) -> None:
    build_two_concepts(market)

    index = tension_index(load_facts(session, tenant_id), components=["tightness"], shrink=False)

    tight = row(index, code="42610000")
    slack = row(index, code="50000000")
    assert tight["tightness_raw"] == pytest.approx(math.log(3.5 / 1.5))
    assert slack["tightness_raw"] == pytest.approx(math.log(1.5 / 2.5))
    assert tight["tension_index"] == pytest.approx(1.0)  # two units: z = ±1
    assert slack["tension_index"] == pytest.approx(-1.0)
    assert index["code"].tolist() == ["42610000", "50000000"]  # most tense first
    assert tight["driver"] == slack["driver"] == "tightness"
    assert tight["driver_label_en"] == "Demand / supply"


def test_weighted_index_decomposes_exactly_and_names_its_driver(
    session: Session, tenant_id: str, market: MarketBuilder
) -> None:
    market.concept("42610000")
    market.concept("42620000")
    market.concept("50000000")
    brest = market.company("Brest", region="53")
    for code in ("42610000", "42620000", "50000000"):
        market.activation(brest, code)
    # 42610000: 2 demands, both unmet (Île-de-France), 1 supplier → tight and unmet
    market.demand("42610000", region="11")
    market.demand("42610000", region="11")
    # 42620000: 4 demands in Bretagne, all met by Brest
    for _ in range(4):
        market.demand("42620000", region="53")
    # 50000000: 1 demand met, 1 unmet
    market.demand("50000000", region="53")
    market.demand("50000000", region="11")
    weights = {"tightness": 1.0, "unmet": 3.0}

    index = tension_index(
        load_facts(session, tenant_id),
        components=["tightness", "unmet"],
        weights=weights,
        shrink=False,
    )

    codes = ["42610000", "42620000", "50000000"]
    tight_raw = [math.log(2.5 / 1.5), math.log(4.5 / 1.5), math.log(2.5 / 1.5)]
    unmet_raw = [1.0, 0.0, 0.5]
    tz, uz = z_scores(tight_raw), z_scores(unmet_raw)
    for code, t, u in zip(codes, tz, uz, strict=True):
        got = row(index, code=code)
        assert got["unmet_raw"] == pytest.approx(unmet_raw[codes.index(code)])
        assert got["tightness_z"] == pytest.approx(t)
        assert got["unmet_z"] == pytest.approx(u)
        assert got["tightness_contrib"] == pytest.approx(t / 4)
        assert got["unmet_contrib"] == pytest.approx(3 * u / 4)
        assert got["tension_index"] == pytest.approx((t + 3 * u) / 4)
    assert row(index, code="42610000")["driver"] == "unmet"
    assert row(index, code="42620000")["driver"] == "unmet"  # negative: the biggest pull down

    parts = decompose(index)
    sums = parts.groupby("concept_id")["contribution"].sum()
    for concept_id, total in sums.items():
        assert total == pytest.approx(row(index, concept_id=concept_id)["tension_index"])
    assert set(parts["component"]) == {"tightness", "unmet"}


def test_small_samples_are_shrunk_by_their_credibility(
    session: Session, tenant_id: str, market: MarketBuilder
) -> None:
    build_two_concepts(market)

    facts = load_facts(session, tenant_id)
    index = tension_index(facts, components=["tightness"], min_count=5)

    tight = row(index, code="42610000")  # 3 demands + 1 supplier: n = 4
    slack = row(index, code="50000000")  # 1 demand + 2 suppliers: n = 3
    assert tight["tightness_n"] == 4
    assert tight["tightness_credibility"] == pytest.approx(4 / 9)
    assert tight["tension_index"] == pytest.approx(1.0 * 4 / 9)
    assert slack["tension_index"] == pytest.approx(-1.0 * 3 / 8)
    many = tension_index(facts, components=["tightness"], min_count=1)
    assert row(many, code="42610000")["tension_index"] == pytest.approx(4 / 5)


def test_default_components_cover_dynamics_and_concentration(
    session: Session, tenant_id: str, market: MarketBuilder
) -> None:
    build_two_concepts(market)
    market.demand("42610000", on=date(2018, 12, 1), awarded=[market.company("Autre")])

    index = tension_index(load_facts(session, tenant_id))

    for name in DEFAULT_COMPONENTS:
        assert {f"{name}_raw", f"{name}_z", f"{name}_contrib"} <= set(index.columns)
    contrib = index[[f"{c}_contrib" for c in DEFAULT_COMPONENTS]].sum(axis=1)
    assert contrib.tolist() == pytest.approx(index["tension_index"].tolist())
    tight = row(index, code="42610000")
    assert (tight["previous_period"], tight["current_period"]) == ("2018-Q4", "2019-Q1")
    assert tight["demand_growth"] == pytest.approx(2.0)  # 1 → 3
    assert tight["hhi"] == pytest.approx((3 / 4) ** 2 + (1 / 4) ** 2)
    assert bool(tight["low_confidence"])

    by_region = tension_index(load_facts(session, tenant_id), by="region")
    assert by_region["region"].tolist() == ["53"]
    assert by_region["tension_index"].tolist() == [0.0]  # one unit: nothing to compare with

    with pytest.raises(UserError, match="unknown component"):
        tension_index(load_facts(session, tenant_id), components=["luck"])
    with pytest.raises(UserError, match="search component needs"):
        tension_index(load_facts(session, tenant_id), components=["search"])
    with pytest.raises(UserError, match="by"):
        tension_index(load_facts(session, tenant_id), by="period")


def log_search(
    session: Session, tenant_id: str, text: str, concept_ids: list[int], top: float | None
) -> None:
    session.add(
        QueryMatchLog(
            tenant_id=tenant_id,
            request_id=uuid.uuid4(),
            raw_text=text,
            matched_concept_ids=concept_ids,
            result_count=len(concept_ids),
            top_score=top,
            source="api",
        )
    )


def test_search_signal_counts_searched_but_not_found(
    session: Session, tenant_id: str, market: MarketBuilder
) -> None:
    build_two_concepts(market)
    lathe, repair = market.concepts["42610000"], market.concepts["50000000"]
    log_search(session, tenant_id, "tour CN bi-broche", [lathe], 0.9)
    log_search(session, tenant_id, "tour à commande vocale", [lathe, repair], 0.1)
    log_search(session, tenant_id, "réparation de pompes", [repair], 0.8)
    log_search(session, tenant_id, "licorne industrielle", [], None)
    session.add(QueryMatchLog(tenant_id=tenant_id, raw_text="eval", source="eval", result_count=0))
    session.flush()

    signal = search_demand_signal(session, tenant_id)

    got = row(signal, code="42610000")
    assert (got["searches"], got["not_found"]) == (2, 1)
    assert got["not_found_share"] == pytest.approx(0.5)
    assert got["examples"] == ["tour à commande vocale"]
    assert row(signal, code="50000000")["not_found"] == 0
    nothing = signal[signal["concept_id"].isna()].iloc[0]
    assert (nothing["searches"], nothing["not_found"]) == (1, 1)  # eval runs excluded
    assert signal["searches"].sum() == 4
    assert search_demand_signal(session, tenant_id, low_score=0.95)["not_found"].sum() == 4

    index = tension_index(
        load_facts(session, tenant_id), components=["search"], search=signal, shrink=False
    )
    assert row(index, code="42610000")["search_raw"] == pytest.approx(math.log(2))
    assert row(index, code="42610000")["tension_index"] == pytest.approx(1.0)
    branch = tension_index(
        load_facts(session, tenant_id), by="branch", components=["search"], search=signal
    )
    assert row(branch, branch_code="42000000")["not_found"] == 1  # rolled up from 42610000


def test_scarcest_concepts_and_full_view(
    session: Session, tenant_id: str, market: MarketBuilder
) -> None:
    build_two_concepts(market)
    facts = load_facts(session, tenant_id)
    index = tension_index(facts, components=["tightness"])

    table = scarcest_concepts(facts, index, top=1)

    assert table["code"].tolist() == ["42610000"]
    assert table["supplier_names"].tolist() == ["Tournage SA"]

    view = market_tension(session, tenant_id, MarketFilters(region="53"), include_search=True)
    assert set(view.index["code"]) == {"42610000", "50000000"}
    assert "search_contrib" in view.index.columns
    assert "42000000" in set(view.by_branch["branch_code"])
    assert view.by_region["region"].tolist() == ["53"]
    assert set(view.series["period"]) == {"2019-Q1"}
    numbers = headline(view)
    assert numbers["demands"] == 4
    assert numbers["suppliers"] == 2
    assert numbers["low_confidence_concepts"] == 2
