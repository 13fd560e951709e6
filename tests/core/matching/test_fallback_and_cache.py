"""Vector backend fallback (missing, stale, other-model index), cache hits, invalidation on
rebuild, real Redis, and Redis down."""

from __future__ import annotations

from sqlalchemy import select

from core.matching.index import build_index
from core.matching.service import Matcher
from core.matching.types import MatchOptions
from core.models import Concept, QueryMatchLog


def test_missing_index_falls_back_to_pgvector(session, settings, small_tenant):
    result = Matcher(settings).match(session, small_tenant, "compresseurs d'air")
    assert result.vector_backend == "pgvector"
    assert result.index_version.startswith("pgvector-")
    assert any("no FAISS index" in w for w in result.warnings)
    assert result.shortlist[0].code == "42123400"
    assert "pgvector" in result.shortlist[0].explanation.sentence_en
    assert "pgvector" in result.shortlist[0].explanation.sentence_fr
    assert result.shortlist[0].explanation.cosine is not None  # vectors still used


def test_new_index_is_picked_up_then_stale_index_is_refused(session, settings, small_tenant):
    matcher = Matcher(settings)
    assert matcher.match(session, small_tenant, "pompes").vector_backend == "pgvector"
    manifest = build_index(session, small_tenant, settings=settings)
    fresh = matcher.match(session, small_tenant, "pompes")  # new manifest → reload
    assert fresh.vector_backend == "faiss"
    assert fresh.index_version == manifest.version
    assert not fresh.warnings
    concept = session.scalars(
        select(Concept).where(Concept.tenant_id == small_tenant, Concept.code == "42122000")
    ).one()
    concept.status = "rejected"  # the index no longer matches the database
    session.flush()
    matcher.invalidate(small_tenant)
    stale = matcher.match(session, small_tenant, "pompes")
    assert stale.vector_backend == "pgvector"
    assert any("stale" in w for w in stale.warnings)
    assert "stale" in stale.shortlist[0].explanation.sentence_en
    assert "42122000" not in [item.code for item in stale.shortlist]


def test_index_of_another_model_is_not_used(
    session, settings, tenant_id, small_rows, sample_vectors
):
    from tests.core.matching.conftest import seed_tenant

    other = settings.model_copy(update={"embedding_model": "intfloat/multilingual-e5-small"})
    seed_tenant(session, tenant_id, small_rows, sample_vectors, model=other.embedding_model)
    build_index(session, tenant_id, settings=other)  # reads pgvector only: no model needed
    result = Matcher(settings).match(session, tenant_id, "pompes")
    assert result.vector_backend == "pgvector"
    assert any("another model (intfloat/multilingual-e5-small)" in w for w in result.warnings)
    assert result.shortlist[0].code == "42122000"  # lexical evidence still answers


def test_cache_is_invalidated_by_a_rebuild(session, settings, small_tenant):
    matcher = Matcher(settings)
    build_index(session, small_tenant, settings=settings)
    first = matcher.match(session, small_tenant, "pompes à vide")
    assert matcher.match(session, small_tenant, "pompes à vide").cache_hit
    build_index(session, small_tenant, settings=settings)
    after = matcher.match(session, small_tenant, "pompes à vide")
    assert not after.cache_hit
    assert after.index_version != first.index_version
    assert matcher.match(session, small_tenant, "pompes à vide").cache_hit


def test_real_redis_cache(session, settings, small_tenant, redis_url):
    import redis

    redis_settings = settings.model_copy(update={"redis_url": redis_url})
    matcher = Matcher(redis_settings)
    first = matcher.match(session, small_tenant, "compresseurs")
    assert not first.cache_hit
    keys = redis.Redis.from_url(redis_url).keys(f"ml:match:v1:{small_tenant}:*")
    assert len(keys) == 1
    other_process = Matcher(redis_settings)  # another worker sharing the same Redis
    second = other_process.match(session, small_tenant, "compresseurs")
    assert second.cache_hit
    assert [i.concept_id for i in second.shortlist] == [i.concept_id for i in first.shortlist]
    log = session.get(QueryMatchLog, second.request_id)
    assert log.cache_hit is True
    assert matcher.health()["cache"] == {"backend": "redis", "reachable": True}
    build_index(session, small_tenant, settings=redis_settings)
    assert not other_process.match(session, small_tenant, "compresseurs").cache_hit


def test_redis_down_still_answers_with_a_warning(session, settings, small_tenant):
    down = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    matcher = Matcher(down)
    for _ in range(3):  # later calls skip Redis during the back-off
        result = matcher.match(session, small_tenant, "pompes")
        assert result.shortlist[0].code == "42122000"
        assert not result.cache_hit
        assert any("Redis" in w for w in result.warnings)
    health = matcher.health()
    assert health["status"] == "degraded"
    assert health["cache"]["reachable"] is False


def test_no_cache_hit_for_another_tenant(session, settings, small_tenant):
    from core.db import session_scope
    from core.tenancy import ensure_tenant
    from tests.conftest import new_tenant_id
    from tests.core.matching.conftest import seed_tenant

    matcher = Matcher(settings)
    other = new_tenant_id()
    with session_scope() as s:
        ensure_tenant(s, other)
    rows = [{"code": "42122000", "parent_code": "", "label_fr": "Pompes", "label_en": "Pumps"}]
    seed_tenant(session, other, rows, None, model=settings.embedding_model)
    mine = matcher.match(session, small_tenant, "pompes", MatchOptions(top_k=3))
    theirs = matcher.match(session, other, "pompes", MatchOptions(top_k=3))
    assert not theirs.cache_hit
    assert {i.concept_id for i in mine.shortlist}.isdisjoint(
        i.concept_id for i in theirs.shortlist
    )
