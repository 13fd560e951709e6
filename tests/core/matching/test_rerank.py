"""The optional LLM rerank, through the real ``mistralai`` client and the local fake server."""

from __future__ import annotations

from core.matching.service import Matcher
from core.matching.types import MatchOptions
from tests.fake_mistral.app import server_error
from tests.fake_mistral.responders import reranker

QUERY = "compresseurs d'air"


def _ids(result) -> list[int]:
    return [item.concept_id for item in result.shortlist]


def test_rerank_reorders_and_explains(session, small_tenant, fake, llm_settings):
    fake.state.reset(responder=reranker(lambda ids: list(reversed(ids))))
    matcher = Matcher(llm_settings)
    plain = matcher.match(session, small_tenant, QUERY, MatchOptions(top_k=4))
    reranked = matcher.match(session, small_tenant, QUERY, MatchOptions(top_k=4, rerank=True))
    assert len(plain.shortlist) >= 2
    assert _ids(reranked) == list(reversed(_ids(plain)))
    top = reranked.shortlist[0].explanation
    assert top.rerank_change == len(plain.shortlist) - 1
    assert "LLM" in top.sentence_en
    assert "par le LLM" in top.sentence_fr
    assert not [w for w in reranked.warnings if "rerank" in w]
    assert fake.state.kinds()  # the fake was really called


def test_rerank_failure_keeps_the_order_with_a_warning(session, small_tenant, fake, llm_settings):
    fake.state.script(*[server_error(500)] * 6)
    matcher = Matcher(llm_settings)
    plain = matcher.match(session, small_tenant, QUERY, MatchOptions(top_k=4, use_cache=False))
    options = MatchOptions(top_k=4, rerank=True)
    failed = matcher.match(session, small_tenant, QUERY, options)
    assert _ids(failed) == _ids(plain)
    assert any("rerank" in w for w in failed.warnings)
    assert all(item.explanation.rerank_change is None for item in failed.shortlist)
    assert not matcher.match(session, small_tenant, QUERY, options).cache_hit  # not cached


def test_rerank_without_a_key_is_skipped(session, small_tenant, settings):
    result = Matcher(settings).match(
        session, small_tenant, QUERY, MatchOptions(top_k=4, rerank=True)
    )
    assert result.shortlist
    assert any("MISTRAL_API_KEY" in w for w in result.warnings)
