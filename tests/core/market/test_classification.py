"""Classification of offers and demands onto concepts: source codes, ancestors, curators."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from core.errors import NotFoundError, UserError
from core.market.classification import (
    ANCESTOR_CONFIDENCE,
    assign_concept,
    classify_items,
    create_demand_from_text,
    create_offer_from_text,
    to_classify,
)
from core.models import Demand, Offer
from tests.core.market.conftest import MarketBuilder


def test_source_codes_and_their_ancestors_classify_without_the_matcher(
    session: Session, tenant_id: str, market: MarketBuilder
) -> None:
    market.concept("42600000", "42000000/42600000", "Machines-outils")
    market.node("42610000", "42000000/42600000/42610000", "Tours")  # no concept of its own
    exact = market.demand("42600000", classified=False)
    finer = market.demand("42610000", classified=False)
    done = market.demand("42600000")  # already classified: left alone

    report = classify_items(session, tenant_id, kind="demand")

    assert (report.examined, report.by_source, report.by_matcher) == (2, 2, 0)
    parent = market.concepts["42600000"]
    first, second = session.get(Demand, exact), session.get(Demand, finer)
    assert (first.concept_ids, first.classification_confidence) == ([parent], 1.0)
    assert first.classified_by == "source"
    assert second.concept_ids == [parent]
    assert second.classification_confidence == pytest.approx(ANCESTOR_CONFIDENCE)
    assert second.extra["classified_via"] == "42600000"
    assert session.get(Demand, done).classified_by is None  # not examined
    again = classify_items(session, tenant_id, kind="demand")
    assert again.examined == 0


def test_human_decisions_are_never_overwritten(
    session: Session, tenant_id: str, market: MarketBuilder
) -> None:
    market.concept("42600000")
    other = market.concept("50000000")
    demand_id = market.demand("42600000", classified=False)
    assign_concept(session, tenant_id, kind="demand", item_id=demand_id, concept_id=other)

    report = classify_items(session, tenant_id, only_unclassified=False)

    demand = session.get(Demand, demand_id)
    assert report.examined == 0
    assert (demand.concept_ids, demand.classified_by) == ([other], "human")
    with pytest.raises(NotFoundError, match="no concept"):
        assign_concept(session, tenant_id, kind="demand", item_id=demand_id, concept_id=-1)
    with pytest.raises(NotFoundError, match="no offer"):
        assign_concept(session, tenant_id, kind="offer", item_id=demand_id, concept_id=other)


def test_create_from_text_with_a_known_code_and_checks(
    session: Session, tenant_id: str, market: MarketBuilder
) -> None:
    concept = market.concept("50000000", label="Réparation")
    company = market.company("Répar", region="53")

    demand = create_demand_from_text(
        session,
        tenant_id,
        "  Maintenance   de compresseurs ",
        region="Bretagne",
        concept_code="50000000",
        published_on=date(2019, 3, 1),
    )
    offer = create_offer_from_text(
        session,
        tenant_id,
        "Nous réparons des compresseurs",
        company_id=company,
        concept_code="50000000",
    )

    assert demand.demand_id is not None
    assert demand.text == "Maintenance de compresseurs"
    assert (demand.region, demand.concept_ids, demand.source) == ("53", [concept], "text")
    assert offer.region == "53"  # the company's région
    assert offer.concept_ids == [concept]
    assert session.get(Offer, offer.offer_id).classified_by == "source"
    with pytest.raises(UserError, match="text is empty"):
        create_demand_from_text(session, tenant_id, "   ")
    with pytest.raises(NotFoundError, match="no company"):
        create_offer_from_text(session, tenant_id, "x", company_id=-5)
    with pytest.raises(UserError, match="threshold"):
        classify_items(session, tenant_id, threshold=1.5)
    with pytest.raises(UserError, match="unknown kind"):
        classify_items(session, tenant_id, kind="need")  # type: ignore[arg-type]


def test_to_classify_lists_items_waiting_for_a_curator(
    session: Session, tenant_id: str, market: MarketBuilder
) -> None:
    concept = market.concept("42600000")
    waiting = market.demand(None, classified=False, text="machine à café industrielle")
    demand = session.get(Demand, waiting)
    demand.status = "to_classify"
    demand.classification_confidence = 0.21
    demand.extra = {
        "candidates": [
            {"concept_id": concept, "code": "42600000", "label": "Machines-outils", "score": 0.21}
        ]
    }
    session.flush()

    listed = to_classify(session, tenant_id)

    assert listed["item_id"].tolist() == [waiting]
    assert listed.loc[0, "candidates"] == "42600000 Machines-outils (0.21)"
    assign_concept(session, tenant_id, kind="demand", item_id=waiting, concept_id=concept)
    assert to_classify(session, tenant_id).empty
    assert session.get(Demand, waiting).status == "open"
