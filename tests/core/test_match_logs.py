"""Logged matches are read back per tenant."""

from __future__ import annotations

import uuid

import pytest

from core.errors import NotFoundError, UserError
from core.match_logs import get_match_log, parse_request_id
from core.models import QueryMatchLog
from core.tenancy import ensure_tenant


def test_a_logged_match_is_read_back_by_its_tenant_only(session, tenant_id) -> None:
    rid = uuid.uuid4()
    session.add(
        QueryMatchLog(
            request_id=rid,
            tenant_id=tenant_id,
            raw_text="Pompes à eau",
            normalized_text="pompe eau",
            options={"top_k": 3},
            matched_concept_ids=[5, 7],
            scores=[0.9, 0.4],
            rationale={"summary_en": "two concepts"},
            result_count=2,
            top_score=0.9,
            cache_hit=True,
        )
    )
    session.flush()
    view = get_match_log(session, tenant_id, str(rid))
    assert (view.query, view.concept_ids, view.scores) == ("Pompes à eau", [5, 7], [0.9, 0.4])
    assert view.cache_hit is True
    assert view.rationale == {"summary_en": "two concepts"}

    other = ensure_tenant(session, tenant_id + "_b")
    with pytest.raises(NotFoundError, match="in this tenant"):
        get_match_log(session, other, rid)


def test_a_malformed_request_id_says_where_ids_come_from() -> None:
    with pytest.raises(UserError, match="X-Request-ID"):
        parse_request_id("nope")
