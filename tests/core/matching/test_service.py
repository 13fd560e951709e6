"""The matcher end to end on the real sample: shortlist, companies, filters, pinning,
cut-off, explanations, logs, bad input, tenant isolation and "why not"."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from sqlalchemy import select

from core.errors import NotFoundError, UserError
from core.matching.types import FusionOptions, MatchOptions
from core.models import Concept, QueryMatchLog
from core.tenancy import UnknownTenantError


def _codes(result) -> list[str]:
    return [item.code for item in result.shortlist]


def test_shortlist_with_companies_and_bilingual_explanations(session, matcher, match_tenant):
    result = matcher.match(session, match_tenant.tenant_id, "pompes", MatchOptions(top_k=5))
    assert result.shortlist[0].code == "42122000"
    top = result.shortlist[0]
    assert [c.name for c in top.companies] == ["Pompes Dupont", "Maintenance Ouest"]
    assert top.companies[0].score > top.companies[1].score
    assert top.explanation is not None
    assert top.explanation.exact_hit
    assert "exacte" in top.explanation.sentence_fr
    assert "exact match" in top.explanation.sentence_en
    assert result.vector_backend == "faiss"
    assert result.index_version
    assert not result.cache_hit
    assert all(0.0 <= item.score <= 1.0 for item in result.shortlist)


def test_max_companies_bounds_the_list(session, matcher, match_tenant):
    options = MatchOptions(top_k=3, max_companies=1)
    result = matcher.match(session, match_tenant.tenant_id, "pompes", options)
    assert [c.name for c in result.shortlist[0].companies] == ["Pompes Dupont"]


def test_longer_need_finds_labels_and_vectors(session, matcher, match_tenant):
    result = matcher.match(
        session, match_tenant.tenant_id, "achat de compresseurs d'air pour l'atelier"
    )
    assert "42123400" in _codes(result)[:3]
    item = result.shortlist[_codes(result).index("42123400")]
    assert set(item.sources) >= {"lexical", "vector"}
    expl = item.explanation
    assert expl.lexical_score
    assert expl.cosine
    assert expl.lexical_rank
    assert expl.vector_rank
    assert expl.weights == pytest.approx({"lexical": 0.6, "vector": 0.4})
    assert expl.fused_score == pytest.approx(
        0.6 * expl.lexical_norm + 0.4 * expl.vector_norm, abs=1e-3
    )


def test_exact_hit_is_pinned_even_when_fusion_ignores_words(session, matcher, match_tenant):
    for fusion in (
        FusionOptions(lexical_weight=0.0, vector_weight=1.0),
        FusionOptions(method="rrf"),
    ):
        result = matcher.match(
            session, match_tenant.tenant_id, "Tour CNC", MatchOptions(fusion=fusion)
        )
        assert result.shortlist[0].code == "42621100"
        assert result.shortlist[0].score == 1.0
        assert result.shortlist[0].explanation.exact_hit


def test_adaptive_cutoff_drops_the_weak_tail(session, matcher, match_tenant):
    result = matcher.match(session, match_tenant.tenant_id, "pompes", MatchOptions(top_k=50))
    ranked = matcher.rankings(session, match_tenant.tenant_id, "pompes")["weighted"]
    assert len(ranked) > len(result.shortlist)  # candidates existed beyond the cut
    scores = [item.explanation.fused_score for item in result.shortlist if not
              item.explanation.exact_hit]  # fmt: skip
    best = max(scores)
    assert all(s >= 0.25 and s >= 0.55 * best - 1e-9 for s in scores)


def test_gibberish_returns_nothing(session, matcher, match_tenant):
    result = matcher.match(session, match_tenant.tenant_id, "zzqx wvvk qqq")
    assert result.shortlist == []
    assert "Aucun concept" in result.summary_fr


def test_company_filter(session, matcher, match_tenant):
    options = MatchOptions(company_id=match_tenant.companies["repair"], top_k=10)
    result = matcher.match(session, match_tenant.tenant_id, "pompes et entretien", options)
    allowed = {match_tenant.codes["42122000"], match_tenant.codes["50531200"]}
    assert result.shortlist
    assert {item.concept_id for item in result.shortlist} <= allowed
    assert any("company=" in w and "1" in w for w in result.warnings)  # fewer than top_k
    assert result.shortlist[0].explanation.filters_passed == [
        f"company={match_tenant.companies['repair']}"
    ]


def test_only_activated_filter(session, matcher, match_tenant):
    result = matcher.match(
        session, match_tenant.tenant_id, "tour", MatchOptions(only_activated=True)
    )
    activated = {match_tenant.codes[c] for c in ("42122000", "42621100", "50531200")}
    assert result.shortlist
    assert {item.concept_id for item in result.shortlist} <= activated


def test_branch_filter(session, matcher, match_tenant):
    options = MatchOptions(branch="50000000", top_k=10)
    result = matcher.match(session, match_tenant.tenant_id, "compresseurs", options)
    assert result.shortlist
    assert all(item.code.startswith("50") for item in result.shortlist)
    unfiltered = matcher.match(session, match_tenant.tenant_id, "compresseurs")
    assert any(not item.code.startswith("50") for item in unfiltered.shortlist)


def test_statuses_filter_and_drafts(session, matcher, small_tenant):
    draft = session.scalars(
        select(Concept).where(Concept.tenant_id == small_tenant, Concept.code == "42123400")
    ).one()
    draft.status = "draft"
    session.flush()
    validated = matcher.match(session, small_tenant, "compresseurs d'air", MatchOptions())
    assert "42123400" not in _codes(validated)
    drafts = matcher.match(
        session, small_tenant, "compresseurs d'air", MatchOptions(statuses=("draft",))
    )
    assert _codes(drafts) == ["42123400"]


def test_query_log_row(session, matcher, match_tenant):
    result = matcher.match(
        session, match_tenant.tenant_id, "Pompes à eau", MatchOptions(top_k=3), source="cli"
    )
    row = session.get(QueryMatchLog, result.request_id)
    assert row is not None
    assert row.tenant_id == match_tenant.tenant_id
    assert row.raw_text == "Pompes à eau"
    assert row.normalized_text == "pomp eau"
    assert row.matched_concept_ids == [item.concept_id for item in result.shortlist]
    assert row.scores == [item.score for item in result.shortlist]
    assert row.result_count == len(result.shortlist)
    assert row.top_score == result.shortlist[0].score
    assert row.options["top_k"] == 3
    assert row.source == "cli"
    assert row.cache_hit is False
    assert row.index_version == result.index_version
    assert row.latency_ms > 0
    assert row.rationale["explanations"][0]["sentence_fr"]
    unlogged = matcher.match(session, match_tenant.tenant_id, "pompes", log=False)
    assert session.get(QueryMatchLog, unlogged.request_id) is None


def test_cache_hit_on_repeat(session, matcher, match_tenant):
    query = f"pompes {uuid.uuid4().hex[:4]}"
    first = matcher.match(session, match_tenant.tenant_id, query)
    second = matcher.match(session, match_tenant.tenant_id, query)
    assert not first.cache_hit
    assert second.cache_hit
    assert second.request_id != first.request_id
    assert _codes(second) == _codes(first)
    assert second.shortlist[0].explanation == first.shortlist[0].explanation
    uncached = matcher.match(session, match_tenant.tenant_id, query, MatchOptions(use_cache=False))
    assert not uncached.cache_hit
    other_options = matcher.match(session, match_tenant.tenant_id, query, MatchOptions(top_k=2))
    assert not other_options.cache_hit


@pytest.mark.parametrize(
    ("query", "options", "message"),
    [
        ("", MatchOptions(), "empty"),
        ("   \n ", MatchOptions(), "empty"),
        ("x" * 10_000, MatchOptions(), "limit is 1000"),
        ("pompes", MatchOptions(top_k=0), "top_k must be between 1 and 50"),
        ("pompes", MatchOptions(top_k=10_000), "top_k must be between 1 and 50"),
        (
            "pompes",
            MatchOptions(fusion=FusionOptions(lexical_weight=0, vector_weight=0)),
            "fusion weights",
        ),
        (
            "pompes",
            MatchOptions(fusion=FusionOptions(lexical_weight=-1, vector_weight=1)),
            "fusion weight",
        ),
        ("pompes", MatchOptions(fusion=FusionOptions(method="best")), "unknown fusion method"),
        ("pompes", MatchOptions(statuses=("live",)), "statuses must be among"),
    ],
)
def test_bad_input_is_a_clear_user_error(session, matcher, match_tenant, query, options, message):
    with pytest.raises(UserError, match=message):
        matcher.match(session, match_tenant.tenant_id, query, options)


def test_unknown_company_and_tenant(session, matcher, match_tenant):
    with pytest.raises(NotFoundError, match="unknown company_id 987654321"):
        matcher.match(
            session, match_tenant.tenant_id, "pompes", MatchOptions(company_id=987654321)
        )
    with pytest.raises(UnknownTenantError, match="unknown tenant"):
        matcher.match(session, "tenant_nobody_here", "pompes")


def test_tenant_isolation(session, matcher, match_tenant, tenant_id, sample_rows, settings):
    from tests.core.matching.conftest import seed_tenant

    rows = [r for r in sample_rows if r["code"].startswith("50")]
    codes = seed_tenant(session, tenant_id, rows, None, model=settings.embedding_model)
    for _ in range(2):  # the second round goes through the cache
        mine = matcher.match(session, tenant_id, "pompes")
        theirs = matcher.match(session, match_tenant.tenant_id, "pompes")
        assert {i.concept_id for i in mine.shortlist} <= set(codes.values())
        assert not {i.concept_id for i in theirs.shortlist} & set(codes.values())
        assert mine.shortlist
        assert _codes(mine)[0] != "42122000"
        assert all(not c for item in mine.shortlist for c in item.companies)


def test_why_not_stages(session, matcher, match_tenant, encoder, sample_vectors, sample_rows):
    tenant = match_tenant.tenant_id
    codes = match_tenant.codes
    assert matcher.why_not(session, tenant, "pompes", codes["42122000"]).stage == "in_shortlist"
    filtered = matcher.why_not(
        session, tenant, "pompes", codes["42122000"],
        MatchOptions(company_id=match_tenant.companies["lathes"]),
    )  # fmt: skip
    assert filtered.stage == "filtered"
    assert "company=" in filtered.sentence_en
    drafts_only = matcher.why_not(
        session, tenant, "pompes", codes["42122000"], MatchOptions(statuses=("draft",))
    )
    assert drafts_only.stage == "status"
    # the concept least similar to the query, with no word in common, is never a candidate
    query = encoder.encode_query("pompes")
    far = min(
        (r for r in sample_rows if "pomp" not in r["label_fr"].lower()),
        key=lambda r: float(np.dot(sample_vectors[r["code"]], query)),
    )
    lost = matcher.why_not(session, tenant, "pompes", codes[far["code"]])
    assert lost.stage == "not_found"
    assert lost.lexical_rank is None
    assert lost.vector_rank is None
    ranked = matcher.rankings(session, tenant, "compresseurs d'air")["weighted"]
    second = matcher.why_not(
        session, tenant, "compresseurs d'air", ranked[1], MatchOptions(top_k=1)
    )
    assert second.stage == "too_low"
    assert "ranked 2" in second.sentence_en
    shortlist = matcher.match(session, tenant, "compresseurs d'air", MatchOptions(top_k=50))
    beyond = ranked[len(shortlist.shortlist)]
    cut = matcher.why_not(session, tenant, "compresseurs d'air", beyond, MatchOptions(top_k=50))
    assert cut.stage == "cut_off"
    assert cut.fused_score < cut.cutoff
    with pytest.raises(NotFoundError):
        matcher.why_not(session, tenant, "pompes", 10**9)


def test_health_reports_model_cache_and_indexes(session, matcher, match_tenant):
    matcher.match(session, match_tenant.tenant_id, "pompes")
    health = matcher.health()
    assert health["status"] == "ok"
    assert health["model_loaded"]
    assert health["query_backend"] == "onnx"
    assert health["cache"] == {"backend": "memory", "reachable": True, "entries": 1}
    assert health["indexes"][match_tenant.tenant_id]["backend"] == "faiss"


def test_get_matcher_is_process_wide(settings):
    from core.matching.service import get_matcher

    assert get_matcher(settings) is get_matcher(settings)


def _add_example(session, tenant_id: str, code: str, text: str) -> None:
    """Label ``text`` with the concept of ``code`` (as a past contract of a buyer)."""
    from core.models import ConceptExample
    from tests.core.matching.conftest import digest

    concept = session.scalars(
        select(Concept).where(Concept.tenant_id == tenant_id, Concept.code == code)
    ).one()
    session.add(
        ConceptExample(
            tenant_id=tenant_id, concept_id=concept.concept_id, text=text,
            text_hash=digest(text), source="contract",
        )
    )  # fmt: skip


def test_examples_are_a_third_source(session, matcher, small_tenant, settings):
    from core.matching.store import embed_examples

    # a real contract object (DECP sample) labelled 42122300 by its buyer
    text = "Marché d'exploitation et de maintenance des surpresseurs du patrimoine Elogie-Siemp"
    _add_example(session, small_tenant, "42122300", text)
    session.flush()
    embed_examples(session, small_tenant, settings=settings)
    matcher.invalidate(small_tenant)
    query = "maintenance des surpresseurs du patrimoine"
    with_examples = matcher.match(session, small_tenant, query)
    item = next(i for i in with_examples.shortlist if i.code == "42122300")
    assert "example" in item.sources
    assert item.explanation.example == text
    assert "exemple" in item.explanation.sentence_fr
    without = matcher.match(session, small_tenant, query, MatchOptions(use_examples=False))
    assert all("example" not in i.sources for i in without.shortlist)
    assert all(i.explanation.example is None for i in without.shortlist)
    alone = next(i for i in without.shortlist if i.code == "42122300")
    assert item.score > alone.score  # label and example agree: more evidence


def test_new_activations_show_up(session, matcher, small_tenant):
    from tests.core.matching.conftest import activate, add_company

    before = matcher.match(session, small_tenant, "pompes")
    assert before.shortlist[0].code == "42122000"
    assert before.shortlist[0].companies == []
    company = add_company(session, small_tenant, "Hydro Pompes SA", "404833048")
    activate(session, small_tenant, company, before.shortlist[0].concept_id, 0.8)
    matcher.invalidate(small_tenant)  # what curation does; otherwise seen within 10 s
    after = matcher.match(session, small_tenant, "pompes")
    assert not after.cache_hit
    assert [c.name for c in after.shortlist[0].companies] == ["Hydro Pompes SA"]


def test_agreeing_examples_add_evidence(session, matcher, small_tenant, settings):
    """Two past demands worded like the request beat one, and the explanation counts them."""
    from core.matching.store import embed_examples

    def add(code: str, text: str) -> None:
        _add_example(session, small_tenant, code, text)

    # the same wording labelled with two codes by different buyers, one code twice
    add("42122300", "Entretien des surpresseurs de la résidence Belleville")
    add("42122300", "Entretien des surpresseurs des immeubles du bailleur")
    add("42122000", "Entretien des surpresseurs de la résidence Belleville")
    session.flush()
    embed_examples(session, small_tenant, settings=settings)
    matcher.invalidate(small_tenant)
    query = "entretien résidence Belleville"  # words of the examples, not of the labels
    ids = {
        code: session.scalars(
            select(Concept.concept_id).where(
                Concept.tenant_id == small_tenant, Concept.code == code
            )
        ).one()
        for code in ("42122300", "42122000")
    }
    lexical = matcher.rankings(session, small_tenant, query)["lexical"]
    assert lexical.index(ids["42122300"]) < lexical.index(ids["42122000"])
    twice = next(i for i in matcher.match(session, small_tenant, query).shortlist
                 if i.code == "42122300")  # fmt: skip
    assert twice.explanation.agreeing_examples == 1
    assert "autre(s) exemple(s)" in twice.explanation.sentence_fr
    assert "other example(s)" in twice.explanation.sentence_en


def test_result_serialisation_equals_asdict(session, matcher, match_tenant):
    """The cache and the query log serialise with ``plain``: same dict as ``asdict``."""
    import dataclasses

    from core.matching.types import plain

    result = matcher.match(session, match_tenant.tenant_id, "pompes à eau", log=False)
    assert result.shortlist
    assert result.shortlist[0].explanation is not None
    assert plain(result) == dataclasses.asdict(result)
    options = MatchOptions(top_k=3, statuses=("validated", "draft"))
    assert plain(options) == dataclasses.asdict(options)


def test_memory_cache_hits_do_not_share_the_shortlist(session, matcher, match_tenant):
    """The in-process cache keeps result objects: a caller emptying its list changes nothing."""
    tenant = match_tenant.tenant_id
    first = matcher.match(session, tenant, "pompes à eau potable", log=False)
    hit = matcher.match(session, tenant, "pompes à eau potable", log=False)
    assert hit.cache_hit
    assert not first.cache_hit
    assert hit.request_id != first.request_id
    hit.shortlist.clear()
    again = matcher.match(session, tenant, "pompes à eau potable", log=False)
    assert again.cache_hit
    assert [i.concept_id for i in again.shortlist] == [i.concept_id for i in first.shortlist]
    assert again.shortlist
