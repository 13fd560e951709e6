"""Translation of labels, synonyms and definitions: provenance, skipping, human edits."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from core.language import set_text, translate_fields, translate_tenant
from core.language.provenance import value_hash
from core.llm import LLM
from core.models import Concept, GlossaryNode
from tests.fake_mistral import server_error
from tests.fake_mistral.responders import tagged_translator

CONCEPT_FIELDS = ["labels", "synonyms", "definitions"]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture
def translator(llm: LLM, fake) -> LLM:
    fake.state.reset(responder=tagged_translator)
    return llm


def test_missing_texts_are_filled_with_machine_provenance(
    session, make_concept, translator: LLM, fake
) -> None:
    tour = make_concept(
        "42621100",
        {"fr": "Tours à métaux"},
        synonyms={"fr": ["tour CN", "tour parallèle"]},
        definitions={"fr": "Machines-outils qui usinent par rotation de la pièce."},
    )
    presse = make_concept("42636000", {"fr": "Presses"})

    report = translate_fields(session, [tour, presse], CONCEPT_FIELDS, ["en"], llm=translator)

    assert tour.labels == {"fr": "Tours à métaux", "en": "en: Tours à métaux"}
    assert tour.synonyms["en"] == ["en: tour CN", "en: tour parallèle"]
    assert tour.definitions["en"].startswith("en: Machines-outils")
    assert presse.labels["en"] == "en: Presses"
    entry = tour.provenance["label:en"]
    assert entry["source"] == "machine"
    assert entry["model"] == "fake-small"
    assert entry["from"] == "fr"
    assert entry["hash"] == sha("Tours à métaux")
    assert entry["at"]
    assert tour.provenance["synonym:en"]["hash"] == value_hash(["tour CN", "tour parallèle"])
    assert report.translated == 4  # 2 labels + 1 synonym list + 1 definition
    assert report.no_source == 2  # presse has no synonyms and no definition
    assert report.by_lang() == {"en": {"translated": 4}}
    assert len(fake.state.requests) == 1  # one batch: fr→en, 5 distinct texts


def test_translations_persist_and_a_second_run_changes_nothing(
    engine, tenant_id: str, translator: LLM, fake
) -> None:
    from core.db import session_scope
    from tests.fake_mistral.rows import add_concept, add_node

    with session_scope() as s:
        add_concept(s, tenant_id, "A1", {"fr": "Fraiseuses"})
        add_node(s, tenant_id, "N1", {"fr": "Machines-outils"}, descriptions={"fr": "Outils."})
    with session_scope() as s:
        first = translate_tenant(s, tenant_id, ["en"], llm=translator)
    assert first.translated == 3

    with session_scope() as s:  # a new session reads what was committed (JSONB reassigned)
        concept = s.scalars(select(Concept).where(Concept.tenant_id == tenant_id)).one()
        node = s.scalars(select(GlossaryNode).where(GlossaryNode.tenant_id == tenant_id)).one()
        assert concept.labels["en"] == "en: Fraiseuses"
        assert node.descriptions["en"] == "en: Outils."
        assert node.provenance["description:en"]["source"] == "machine"
        requests_before = len(fake.state.requests)
        second = translate_tenant(s, tenant_id, ["en"], llm=translator)
    assert second.translated == 0
    assert second.unchanged == 3
    assert len(fake.state.requests) == requests_before


def test_a_changed_source_text_is_translated_again(session, make_concept, translator: LLM) -> None:
    concept = make_concept("B1", {"fr": "Tours"})
    translate_fields(session, [concept], ["labels"], ["en"], llm=translator)
    concept.labels = {**concept.labels, "fr": "Tours à métaux"}

    report = translate_fields(session, [concept], ["labels"], ["en"], llm=translator)

    assert report.translated == 1
    assert report.changes[0]["reason"] == "stale"
    assert report.changes[0]["before"] == "en: Tours"
    assert concept.labels["en"] == "en: Tours à métaux"
    assert concept.provenance["label:en"]["hash"] == sha("Tours à métaux")


def test_a_human_edit_is_never_overwritten(session, make_concept, translator: LLM, fake) -> None:
    concept = make_concept("C1", {"fr": "Tours"}, synonyms={"fr": ["tour CN"]})
    translate_fields(session, [concept], CONCEPT_FIELDS, ["en"], llm=translator)
    set_text(concept, "labels", "en", "Lathes", actor="curator@example.org")
    # a curation action writes synonyms with the singular key, as core.curation does
    concept.synonyms = {**concept.synonyms, "en": ["CNC lathe"]}
    concept.provenance = {**concept.provenance, "synonym:en": {"source": "human", "by": "x"}}
    concept.labels = {**concept.labels, "fr": "Tours à métaux"}  # the source changes
    concept.synonyms = {**concept.synonyms, "fr": ["tour CN", "tour vertical"]}
    before = len(fake.state.requests)

    report = translate_fields(session, [concept], CONCEPT_FIELDS, ["en"], llm=translator)

    assert concept.labels["en"] == "Lathes"
    assert concept.synonyms["en"] == ["CNC lathe"]
    assert concept.provenance["label:en"]["source"] == "human"
    assert concept.provenance["label:en"]["by"] == "curator@example.org"
    assert report.kept_human == 2
    assert report.translated == 0
    assert len(fake.state.requests) == before


def test_imported_texts_are_kept_and_other_languages_use_the_best_source(
    session, make_concept, translator: LLM, fake
) -> None:
    concept = make_concept(
        "D1",
        {"fr": "Presses", "en": "Presses (imported)"},
        provenance={"label:en": {"source": "imported", "hash": sha("Presses (imported)")}},
    )

    report = translate_fields(session, [concept], ["labels"], ["en", "de"], llm=translator)

    assert concept.labels["en"] == "Presses (imported)"
    assert concept.labels["de"] == "de: Presses"  # from fr, the first active language
    assert concept.provenance["label:de"]["from"] == "fr"
    assert report.kept_existing == 1
    assert report.translated == 1


def test_dry_run_counts_and_writes_nothing(session, make_concept, translator: LLM, fake) -> None:
    concept = make_concept("E1", {"fr": "Scies"}, definitions={"fr": "Machines à scier."})

    report = translate_fields(
        session, [concept], CONCEPT_FIELDS, ["en"], llm=translator, dry_run=True
    )

    assert report.would_translate == 2
    assert report.translated == 0
    assert {c["action"] for c in report.changes} == {"would_translate"}
    assert concept.labels == {"fr": "Scies"}
    assert concept.provenance == {}
    assert fake.state.requests == []


def test_degraded_mode_leaves_translations_pending(session, make_concept, settings, fake) -> None:
    concept = make_concept("F1", {"fr": "Perceuses"})
    no_key = LLM(settings.model_copy(update={"mistral_api_key": None}))

    report = translate_fields(session, [concept], CONCEPT_FIELDS, ["en"], llm=no_key)

    assert report.pending == 1
    assert report.translated == 0
    assert report.llm_configured is False
    assert "LLM not configured" in report.message
    assert any("pending" in line for line in report.summary_lines())
    assert concept.labels == {"fr": "Perceuses"}
    assert concept.provenance == {}
    assert fake.state.requests == []


def test_batches_follow_batch_size_and_an_outage_stops_cleanly(
    session, make_concept, llm_settings, fake
) -> None:
    facade = LLM(llm_settings.model_copy(update={"mistral_max_retries": 0}))
    fake.state.reset(responder=tagged_translator)
    concepts = [make_concept(f"G{i}", {"fr": f"Machine {i}"}) for i in range(5)]

    ok = translate_fields(session, concepts[:3], ["labels"], ["en"], llm=facade, batch_size=2)
    assert ok.translated == 3
    assert len(fake.state.requests) == 2  # 2 + 1 texts

    fake.state.script(server_error())  # the next batch fails: the run stops, nothing crashes
    rest = translate_fields(session, concepts[3:], ["labels"], ["en"], llm=facade, batch_size=1)
    assert rest.translated == 0
    assert rest.pending == 2
    assert "LLM unavailable" in rest.message
    assert rest.errors
    assert "en" not in concepts[3].labels
    assert len(fake.state.requests) == 3  # stopped after the failed batch


def test_translate_tenant_limits_to_what_was_asked(
    session, tenant_id, make_concept, make_node, translator: LLM
) -> None:
    node = make_node("H0", {"fr": "Machines"})
    concept = make_concept("H1", {"fr": "Tours"})
    rejected = make_concept("H2", {"fr": "Rejeté"}, status="rejected")

    report = translate_tenant(session, tenant_id, ["en"], what="glossary", llm=translator)

    assert report.translated == 1
    assert node.labels["en"] == "en: Machines"
    assert "en" not in concept.labels
    translate_tenant(session, tenant_id, ["en"], what="concepts", llm=translator)
    assert concept.labels["en"] == "en: Tours"
    assert "en" not in rejected.labels


def test_bad_arguments_are_refused(session, make_concept, translator: LLM) -> None:
    from core.errors import UserError

    concept = make_concept("I1", {"fr": "x"})
    with pytest.raises(UserError, match="unknown field"):
        translate_fields(session, [concept], ["title"], ["en"], llm=translator)
    with pytest.raises(UserError, match="invalid language code"):
        translate_fields(session, [concept], ["labels"], ["english"], llm=translator)
