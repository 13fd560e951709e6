"""Build step 2: concepts from the glossary, curator decisions kept, staleness, examples."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from core.builds.dico import build_dico
from core.builds.glossary import build_glossary
from core.builds.wording import fold
from core.db import session_scope
from core.models import Concept, ConceptExample, Demand, MergeProposal
from core.tenancy import scoped
from tests.core.builds.conftest import edited_copy


def _concepts(session, tenant_id: str) -> dict[str, Concept]:
    stmt = scoped(Concept, tenant_id).execution_options(populate_existing=True)
    return {c.code: c for c in session.scalars(stmt)}


def _count(session, model, tenant_id: str) -> int:
    return session.scalar(
        select(func.count()).select_from(model).where(model.tenant_id == tenant_id)
    )


def test_drafts_examples_embeddings_and_idempotent_rerun(built_tenant: str) -> None:
    tenant = built_tenant
    with session_scope() as session:
        first = build_dico(session, tenant, duplicate_threshold=0.95)
    assert first.counts["created"] == 71
    assert first.llm["reason"].startswith("LLM not configured")  # degraded mode, no key
    with session_scope() as session:
        concepts = _concepts(session, tenant)
        assert {c.status for c in concepts.values()} == {"draft"}
        assert all(c.embedding is not None for c in concepts.values())
        pumps = concepts["50000000"]
        assert pumps.labels == {"fr": "Services de réparation et d'entretien",
                                "en": "Repair and maintenance services"}  # fmt: skip
        assert pumps.source_versions == {str(pumps.source_node_ids[0]): 1}
        coded = session.scalar(
            select(func.count())
            .select_from(Demand)
            .where(Demand.tenant_id == tenant, Demand.concept_code.is_not(None))
        )
        examples = _count(session, ConceptExample, tenant)
        assert examples == first.counts["examples_created"] > 0
        assert examples + first.counts["examples_unmatched"] <= coded
        sources = set(session.scalars(select(ConceptExample.source).where(
            ConceptExample.tenant_id == tenant)))  # fmt: skip
        assert sources == {"contract"}  # DECP demands are contracts
        proposals = _count(session, MergeProposal, tenant)
        assert proposals == first.counts["merge_proposals_created"]
        assert all(row >= 0.95 for row in first.merge_proposals["cosine"])

    with session_scope() as session:
        second = build_dico(session, tenant, duplicate_threshold=0.95)
    assert second.changes == 0, second.counts
    assert second.counts["unchanged"] == 71


def test_auto_validate_for_an_official_nomenclature(built_tenant: str) -> None:
    with session_scope() as session:
        result = build_dico(session, built_tenant, auto_validate=None)
    assert result.counts["created"] == 71
    with session_scope() as session:
        concepts = _concepts(session, built_tenant)
        assert {(c.status, c.origin) for c in concepts.values()} == {("validated", "imported")}
        # recurring wordings of validated concepts are proposals, never synonyms
        proposed = {code: c.extra.get("proposed_synonyms") for code, c in concepts.items()
                    if c.extra.get("proposed_synonyms")}  # fmt: skip
        assert proposed, "the real contracts should yield at least one recurring wording"
        texts = {
            cid: [fold(t) for t in session.scalars(
                select(ConceptExample.text).where(ConceptExample.concept_id == cid))]
            for cid in (concepts[code].concept_id for code in proposed)
        }  # fmt: skip
        for code, wordings in proposed.items():
            concept = concepts[code]
            known = {fold(s) for values in concept.synonyms.values() for s in values}
            for wording in wordings:
                assert fold(wording) not in known
                assert sum(fold(wording) in t for t in texts[concept.concept_id]) >= 2


def test_curator_decisions_survive_a_rebuild(built_tenant: str) -> None:
    tenant = built_tenant
    with session_scope() as session:
        build_dico(session, tenant)
    with session_scope() as session:
        concepts = _concepts(session, tenant)
        validated, rejected = concepts["50300000"], concepts["50310000"]
        merged, target = concepts["50311000"], concepts["50312000"]
        validated.status, validated.origin = "validated", "human"
        validated.labels = {"fr": "Maintenance informatique", "en": "IT maintenance"}
        rejected.status, rejected.status_reason = "rejected", "too generic"
        merged.status, merged.merged_into_id = "merged", target.concept_id
        before = {
            c.code: (c.status, dict(c.labels), dict(c.synonyms), c.merged_into_id, c.is_stale)
            for c in (validated, rejected, merged)
        }
    with session_scope() as session:
        result = build_dico(session, tenant)
    assert result.counts["kept"] == 3
    assert result.counts["created"] == result.counts["updated"] == 0
    with session_scope() as session:
        concepts = _concepts(session, tenant)
        after = {
            code: (c.status, dict(c.labels), dict(c.synonyms), c.merged_into_id, c.is_stale)
            for code, c in concepts.items()
            if code in before
        }
        assert after == before
        # the rejected concept gets no examples; the merged one's go to its target
        assert not list(session.scalars(select(ConceptExample).where(
            ConceptExample.concept_id == concepts["50310000"].concept_id)))  # fmt: skip


def test_glossary_change_marks_decided_concepts_stale(
    built_tenant: str, mini_sample: dict[str, Path], tmp_path: Path
) -> None:
    tenant = built_tenant
    with session_scope() as session:
        build_dico(session, tenant)
    with session_scope() as session:
        concepts = _concepts(session, tenant)
        concepts["50700000"].status = "validated"
    changed = edited_copy(mini_sample["cpv"], tmp_path / "cpv_edit.csv", "50700000",
                          "Maintenance des installations des bâtiments")  # fmt: skip
    changed = edited_copy(changed, tmp_path / "cpv_edit2.csv", "50710000", "Électricité du bâti")
    with session_scope() as session:
        glossary = build_glossary(session, tenant, taxonomy_path=changed)
    assert glossary.counts["updated"] == 2
    with session_scope() as session:
        result = build_dico(session, tenant)
    assert result.counts["stale_marked"] == 1
    assert result.counts["updated"] == 1  # the draft is simply refreshed
    with session_scope() as session:
        concepts = _concepts(session, tenant)
        stale = concepts["50700000"]
        assert stale.is_stale
        assert stale.status == "validated"
        assert (
            stale.labels["fr"]
            == "Services de réparation et d'entretien d'installations de bâtiments"
        )
        assert "version 1 → 2" in stale.extra["stale_reason"]
        draft = concepts["50710000"]
        assert draft.labels["fr"] == "Électricité du bâti"
        assert not draft.is_stale
        assert draft.embedding is not None
    with session_scope() as session:
        again = build_dico(session, tenant)
    assert again.changes == 0


def test_labelled_file_becomes_examples(built_tenant: str, tmp_path: Path) -> None:
    labelled = tmp_path / "labelled.csv"
    labelled.write_text(
        "text,expected_code,lang\n"
        "Dépannage des ascenseurs de la mairie,50750000,fr\n"
        "Lift repair,50750000,en\n"
        "Something else,99999999,fr\n",
        encoding="utf-8",
    )
    with session_scope() as session:
        result = build_dico(session, built_tenant, use_demands=False, examples_path=labelled)
    assert result.counts["examples_created"] == 2
    assert result.counts["examples_unmatched"] == 1
    assert any("99999999" in w for w in result.warnings)
    with session_scope() as session:
        rows = session.execute(
            select(ConceptExample.text, ConceptExample.lang, ConceptExample.source).where(
                ConceptExample.tenant_id == built_tenant
            )
        ).all()
    assert sorted(rows) == [
        ("Dépannage des ascenseurs de la mairie", "fr", "human"),
        ("Lift repair", "en", "human"),
    ]


def test_dry_run_changes_nothing(built_tenant: str) -> None:
    with session_scope() as session:
        result = build_dico(session, built_tenant, dry_run=True)
    assert result.counts["created"] == 71
    assert result.dry_run
    with session_scope() as session:
        assert _count(session, Concept, built_tenant) == 0
        assert _count(session, ConceptExample, built_tenant) == 0
