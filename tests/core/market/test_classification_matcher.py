"""Classification from text with the real matcher (real model, real pgvector search)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.market.classification import (
    _candidates_text,
    classify_items,
    create_demand_from_text,
    to_classify,
)
from core.matching.types import MatchOptions
from core.models import Demand, QueryMatchLog
from tests.conftest import SAMPLE_DIR
from tests.core.market.conftest import MarketBuilder


@pytest.fixture(scope="module")
def text_tenant(engine: object, settings: object) -> str:
    """Real CPV concepts (pumps, machine tools, boiler maintenance), embedded, committed."""
    from core.db import session_scope
    from core.evaluation.seed import read_taxonomy, seed_concepts
    from core.matching.store import embed_concepts
    from core.tenancy import ensure_tenant
    from tests.conftest import new_tenant_id

    rows = [
        r
        for r in read_taxonomy(SAMPLE_DIR / "cpv_sample.csv")
        if r["code"].startswith(("4212", "4262", "5053"))
    ]
    tenant = new_tenant_id("text")
    with session_scope() as session:
        ensure_tenant(session, tenant)
        seed_concepts(session, tenant, rows)
        embed_concepts(session, tenant, settings=settings)  # type: ignore[arg-type]
    return tenant


def test_texts_without_codes_are_classified_by_the_matcher(
    session: Session, text_tenant: str
) -> None:
    from core.matching.service import get_matcher

    market = MarketBuilder(session, text_tenant)
    texts = ["Fourniture de pompes centrifuges", "Entretien des chaudières gaz"]
    ids = [market.demand(None, classified=False, text=t) for t in texts]
    logs_before = session.scalar(
        select(func.count())
        .select_from(QueryMatchLog)
        .where(QueryMatchLog.tenant_id == text_tenant)
    )

    report = classify_items(session, text_tenant, threshold=0.0)

    assert (report.examined, report.by_matcher, report.to_classify) == (2, 2, 0)
    matcher = get_matcher()
    for demand_id, text in zip(ids, texts, strict=True):
        demand = session.get(Demand, demand_id)
        expected = matcher.match(
            session, text_tenant, text, MatchOptions(top_k=3, use_cache=False), log=False
        ).shortlist[0]
        assert demand.classified_by == "matcher"
        assert demand.concept_ids == [expected.concept_id]
        assert demand.classification_confidence == pytest.approx(expected.score)
    logs_after = session.scalar(
        select(func.count())
        .select_from(QueryMatchLog)
        .where(QueryMatchLog.tenant_id == text_tenant)
    )
    assert logs_after == logs_before  # classification is not a user search


def test_low_confidence_goes_to_the_curators_list(session: Session, text_tenant: str) -> None:
    from core.matching.service import get_matcher

    text = "Prestation de traiteur pour un séminaire"
    demand = create_demand_from_text(session, text_tenant, text, threshold=0.99)
    expected = get_matcher().match(
        session, text_tenant, text, MatchOptions(top_k=3, use_cache=False), log=False
    )

    assert demand.status == "to_classify"
    assert demand.concept_ids == []
    assert 0 <= (demand.classification_confidence or 0) < 0.99
    listed = to_classify(session, text_tenant)
    row = listed[listed["item_id"] == demand.demand_id].iloc[0]
    assert row["text"] == "Prestation de traiteur pour un séminaire"
    # the matcher's best guesses (possibly none), for the curator
    assert row["candidates"] == _candidates_text(
        [
            {"concept_id": c.concept_id, "code": c.code, "label": c.label, "score": c.score}
            for c in expected.shortlist
        ]
    )
    assert demand.extra["candidates"] == [
        {"concept_id": c.concept_id, "code": c.code, "label": c.label, "score": c.score}
        for c in expected.shortlist
    ]

    confident = create_demand_from_text(session, text_tenant, "Pompes centrifuges", threshold=0.0)
    assert confident.status == "open"
    assert confident.classified_by == "matcher"
