"""Indicators on small hand-made markets (real database rows) with answers computed by hand."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from core.errors import UserError
from core.market.facts import MarketFilters, load_facts
from core.market.indicators import (
    branch_rollup,
    demand_growth,
    demand_supply_ratio,
    demand_volume,
    supplier_concentration,
    supply_growth,
    supply_volume,
    unmet_demand_share,
)
from core.market.stats import poisson_ratio_interval, wilson_interval
from core.models import Demand
from tests.core.market.conftest import MarketBuilder

Q4_2018 = date(2018, 11, 10)
Q1_2019 = date(2019, 2, 10)


def row(frame: pd.DataFrame, **where: object) -> pd.Series:
    """The single row matching ``where`` (fails loudly otherwise)."""
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == value
    assert mask.sum() == 1, f"expected one row for {where}, got {mask.sum()}:\n{frame}"
    return frame[mask].iloc[0]


def test_three_demands_for_one_supplier_give_ratio_three(
    session: Session, tenant_id: str, market: MarketBuilder
) -> None:
    market.concept("42610000", "42000000/42600000/42610000", "Tours")
    s1 = market.company("Tournage SA")
    for _ in range(3):
        market.demand("42610000", awarded=[s1])

    ratio = demand_supply_ratio(load_facts(session, tenant_id))

    got = row(ratio, code="42610000")
    assert (got["demands"], got["suppliers"]) == (3, 1)
    assert got["ratio"] == pytest.approx(3.0)
    lo, hi = poisson_ratio_interval(3, 1)
    assert got["ratio_low"] == pytest.approx(lo)
    assert got["ratio_high"] == pytest.approx(hi)
    assert got["label"] == "Tours"
    assert bool(got["low_confidence"])  # 3 demands < the default minimum of 5
    assert not bool(
        row(demand_supply_ratio(load_facts(session, tenant_id), min_count=3), code="42610000")[
            "low_confidence"
        ]
    )


def test_supplier_counted_once_across_award_offer_and_activation(
    session: Session, tenant_id: str, market: MarketBuilder
) -> None:
    market.concept("50000000", label="Réparation")
    s1 = market.company("Répare Tout")
    s2 = market.company("Atelier Deux")
    market.demand("50000000", awarded=[s1])
    market.offer("50000000", company_id=s1)
    market.activation(s1, "50000000")
    market.activation(s2, "50000000")
    market.offer("50000000", company_id=None)  # an anonymous offer is its own supplier

    supply = supply_volume(load_facts(session, tenant_id))

    got = row(supply, code="50000000")
    assert got["suppliers"] == 3  # s1, s2, the anonymous offer
    assert got["awarded_suppliers"] == 1
    assert got["activated_suppliers"] == 2
    assert got["offering_suppliers"] == 2
    assert got["offers"] == 2

    by_period = supply_volume(load_facts(session, tenant_id), by=("concept", "period"))
    # activations are undated: a period counts only the award and the two offers
    assert row(by_period, code="50000000", period="2019-Q1")["suppliers"] == 2


def test_hhi_of_two_equal_suppliers_is_one_half(
    session: Session, tenant_id: str, market: MarketBuilder
) -> None:
    market.concept("42600000", "42000000/42600000", "Machines-outils")
    market.concept("50000000", label="Réparation")
    s1, s2 = market.company("A"), market.company("B")
    market.demand("42600000", awarded=[s1])
    market.demand("42600000", awarded=[s2])
    market.demand("50000000", awarded=[s1])
    market.demand("50000000", awarded=[s1])
    market.demand("50000000", awarded=[s2])

    conc = supplier_concentration(load_facts(session, tenant_id))

    even = row(conc, code="42600000")
    assert even["basis"] == "awards"
    assert even["hhi"] == pytest.approx(0.5)
    assert even["top3_share"] == pytest.approx(1.0)
    assert even["suppliers"] == 2
    uneven = row(conc, code="50000000")
    assert uneven["hhi"] == pytest.approx((2 / 3) ** 2 + (1 / 3) ** 2)
    assert uneven["n"] == 3


def test_concentration_falls_back_to_activations_without_awards(
    session: Session, tenant_id: str, market: MarketBuilder
) -> None:
    market.concept("50000000")
    for name in ("A", "B", "C", "D"):
        market.activation(market.company(name), "50000000")

    got = row(supplier_concentration(load_facts(session, tenant_id)), code="50000000")

    assert got["basis"] == "offers_activations"
    assert got["hhi"] == pytest.approx(0.25)
    assert got["top3_share"] == pytest.approx(0.75)


def test_unmet_share_one_of_two_with_wilson_interval(
    session: Session, tenant_id: str, market: MarketBuilder
) -> None:
    market.concept("42610000")
    local = market.company("Local Bretagne", region="53")
    market.activation(local, "42610000")
    paris = market.company("Paris", region="11")
    # région 11 (Île-de-France): one demand awarded, one with nobody in the région
    market.demand("42610000", region="11", awarded=[paris])
    market.demand("42610000", region="11")
    # région 53: no award, but an activated company located there → met
    market.demand("42610000", region="53")

    facts = load_facts(session, tenant_id)
    by_region = unmet_demand_share(facts, by=("concept", "region"))

    idf = row(by_region, code="42610000", region="11")
    assert (idf["demands"], idf["unmet"]) == (2, 0)  # Paris won a contract in 11: a supplier there
    bzh = row(by_region, code="42610000", region="53")
    assert (bzh["demands"], bzh["unmet"]) == (1, 0)
    assert by_region["region_name"].tolist().count("Île-de-France") == 1


def test_unmet_share_counts_demands_with_no_supplier_anywhere_near(
    session: Session, tenant_id: str, market: MarketBuilder
) -> None:
    market.concept("42610000")
    market.activation(market.company("Local Bretagne", region="53"), "42610000")
    paris = market.company("Paris", region="11")
    market.demand("42610000", region="11", awarded=[paris], on=date(2018, 1, 5))
    market.demand("42610000", region="11")

    # only 2019: the 2018 award in Île-de-France is outside the window
    facts = load_facts(session, tenant_id, MarketFilters(period_from=date(2019, 1, 1)))
    share = row(unmet_demand_share(facts, by="region"), region="11")
    assert (share["demands"], share["unmet"]) == (1, 1)

    facts = load_facts(session, tenant_id)
    share = row(unmet_demand_share(facts, by="region"), region="11")
    assert (share["demands"], share["unmet"]) == (2, 0)


def test_unmet_share_wilson_interval_of_one_in_two(
    session: Session, tenant_id: str, market: MarketBuilder
) -> None:
    market.concept("42610000")
    market.activation(market.company("Brest", region="53"), "42610000")
    market.demand("42610000", region="53")  # met: activated company in Bretagne
    market.demand("42610000", region="11")  # unmet: no supplier in Île-de-France

    got = row(unmet_demand_share(load_facts(session, tenant_id)), code="42610000")

    assert (got["demands"], got["unmet"]) == (2, 1)
    assert got["unmet_share"] == pytest.approx(0.5)
    lo, hi = wilson_interval(1, 2)
    assert (got["unmet_low"], got["unmet_high"]) == (pytest.approx(lo), pytest.approx(hi))
    assert got["unmet_low"] == pytest.approx(0.0945, abs=1e-4)


def test_demand_growth_two_to_four_is_plus_100_percent(
    session: Session, tenant_id: str, market: MarketBuilder
) -> None:
    market.concept("42610000")
    market.concept("50000000")
    s1, s2 = market.company("A"), market.company("B")
    for _ in range(2):
        market.demand("42610000", on=Q4_2018, awarded=[s1])
    for _ in range(4):
        market.demand("42610000", on=Q1_2019, awarded=[s1])
    market.demand("50000000", on=Q4_2018, awarded=[s1])
    market.demand("50000000", on=Q4_2018, awarded=[s2])
    market.demand("50000000", on=Q1_2019, awarded=[s2])

    facts = load_facts(session, tenant_id)
    growth = demand_growth(facts)

    lathes = row(growth, code="42610000")
    assert (lathes["previous_period"], lathes["current_period"]) == ("2018-Q4", "2019-Q1")
    assert (lathes["previous"], lathes["current"]) == (2, 4)
    assert lathes["growth"] == pytest.approx(1.0)
    assert lathes["log_change"] == pytest.approx(math.log(4.5 / 2.5))
    repair = row(growth, code="50000000")
    assert repair["growth"] == pytest.approx(-0.5)

    supply = supply_growth(facts)
    # 50000000: suppliers {s1, s2} in 2018-Q4 → {s2} in 2019-Q1
    got = row(supply, code="50000000")
    assert (got["previous"], got["current"]) == (2, 1)
    assert got["growth"] == pytest.approx(-0.5)

    explicit = demand_growth(facts, previous="2019-Q1", current="2019-Q2")
    assert row(explicit, code="50000000")["growth"] == pytest.approx(-1.0)  # 1 → 0
    assert row(explicit, code="42610000")["growth"] == pytest.approx(-1.0)

    yearly = demand_growth(load_facts(session, tenant_id, freq="Y"))
    assert row(yearly, code="42610000")["current_period"] == "2019"
    assert row(yearly, code="42610000")["growth"] == pytest.approx(4 / 2 - 1)

    with pytest.raises(UserError, match="growth compares two periods"):
        demand_growth(facts, by="period")
    with pytest.raises(UserError, match="invalid period"):
        demand_growth(facts, current="2019-Q7")


def test_branch_rollup_counts_children_in_every_ancestor_once(
    session: Session, tenant_id: str, market: MarketBuilder
) -> None:
    market.node("42000000", "42000000", "Machines industrielles")
    market.concept("42600000", "42000000/42600000", "Machines-outils")
    market.concept("42610000", "42000000/42600000/42610000", "Tours")
    market.concept("50000000", "50000000", "Réparation")
    s1 = market.company("A")
    for _ in range(3):
        market.demand("42610000", awarded=[s1])
    market.demand("42600000", awarded=[s1])
    market.demand("50000000")
    # one demand classified on both the parent and the child concept
    both = market.demand("42610000", awarded=[s1])
    demand = session.get(Demand, both)
    demand.concept_ids = [market.concepts["42610000"], market.concepts["42600000"]]
    session.flush()

    facts = load_facts(session, tenant_id)
    rollup = branch_rollup(facts)

    assert row(rollup, branch_code="42610000")["demands"] == 4
    assert row(rollup, branch_code="42600000")["demands"] == 5  # 4 below + 1 own, not 6
    root = row(rollup, branch_code="42000000")
    assert root["demands"] == 5
    assert root["depth"] == 1
    assert root["branch_label"] == "Machines industrielles"
    assert root["suppliers"] == 1
    assert row(rollup, branch_code="50000000")["demands"] == 1

    level2 = demand_volume(facts, by="branch", level=2)
    assert level2["branch_code"].tolist() == ["42600000"]

    in_branch = load_facts(session, tenant_id, MarketFilters(branch="42600000"))
    assert set(in_branch.concepts["code"]) == {"42600000", "42610000"}
    volumes = demand_volume(in_branch, by="branch")
    assert "42000000" not in set(volumes["branch_code"])  # above the chosen branch


def test_filters_by_region_and_period_and_code_resolution(
    session: Session, tenant_id: str, market: MarketBuilder
) -> None:
    market.concept("42610000")
    market.demand("42610000", region="53", on=Q4_2018, amount=1000.0)
    market.demand("42610000", region="53", on=Q1_2019, amount=500.0)
    market.demand("42610000", region="11", on=Q1_2019)
    market.demand("42610000", region="11", on=None)
    # not classified yet, but its source code names the concept: used on the fly
    market.demand("42610000", region="11", on=Q1_2019, classified=False)
    # a code that names no concept: counted as unclassified
    market.demand("99999999", region="11", on=Q1_2019, classified=False)

    facts = load_facts(session, tenant_id)
    assert facts.unclassified_demands == 1
    assert row(demand_volume(facts), code="42610000")["demands"] == 5
    by_region = demand_volume(facts, by="region")
    assert row(by_region, region="53")["amount_eur"] == pytest.approx(1500.0)
    assert row(by_region, region="11")["demands"] == 3
    by_period = demand_volume(facts, by="period")
    assert dict(zip(by_period["period"], by_period["demands"], strict=True)) == {
        "2018-Q4": 1,
        "2019-Q1": 3,
    }  # the undated demand belongs to no period

    bretagne = load_facts(session, tenant_id, MarketFilters(region="Bretagne"))
    assert bretagne.filters.region == "53"
    assert row(demand_volume(bretagne), code="42610000")["demands"] == 2

    window = load_facts(
        session,
        tenant_id,
        MarketFilters(period_from=date(2019, 1, 1), period_to=date(2019, 3, 31)),
    )
    assert row(demand_volume(window), code="42610000")["demands"] == 3

    with pytest.raises(UserError, match="unknown région"):
        load_facts(session, tenant_id, MarketFilters(region="Atlantis"))
    with pytest.raises(UserError, match="after period_to"):
        load_facts(session, tenant_id, MarketFilters(period_from=Q1_2019, period_to=Q4_2018))


def test_merged_and_rejected_concepts(
    session: Session, tenant_id: str, market: MarketBuilder
) -> None:
    keep = market.concept("42610000")
    old = market.concept("42611000", status="merged", merged_into_id=keep)
    market.concept("42612000", status="rejected")
    market.demand("42611000")
    market.demand("42612000")

    facts = load_facts(session, tenant_id)

    assert old not in set(facts.concepts["concept_id"])
    assert row(demand_volume(facts), code="42610000")["demands"] == 1  # remapped
    assert facts.unclassified_demands == 1  # the rejected concept does not count


def test_empty_market_gives_empty_frames_with_columns(session: Session, tenant_id: str) -> None:
    facts = load_facts(session, tenant_id)
    for frame in (
        demand_volume(facts),
        supply_volume(facts),
        demand_supply_ratio(facts),
        unmet_demand_share(facts),
        supplier_concentration(facts),
        demand_growth(facts),
        branch_rollup(facts),
    ):
        assert frame.empty
        assert {"n", "low_confidence"} <= set(frame.columns)


def test_indicators_never_read_another_tenant(
    session: Session, tenant_id: str, market: MarketBuilder
) -> None:
    from core.tenancy import ensure_tenant
    from tests.conftest import new_tenant_id

    other = new_tenant_id()
    ensure_tenant(session, other)
    theirs = MarketBuilder(session, other)
    theirs.concept("42610000")
    theirs.demand("42610000")
    market.concept("50000000")
    market.demand("50000000")

    facts = load_facts(session, tenant_id)
    assert set(demand_volume(facts)["code"]) == {"50000000"}
    with pytest.raises(UserError, match="invalid tenant id"):
        load_facts(session, "acme")
