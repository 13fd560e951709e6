"""Enrichment proposals (synonyms, definitions, company summaries) over the fake server."""

from __future__ import annotations

import json
from types import SimpleNamespace

from core.llm import LLM
from core.llm.enrich import propose_definition, propose_synonyms, summarise_company
from tests.fake_mistral import malformed, ok


def concept(**kw):
    base = {
        "labels": {"fr": "Tours à métaux", "en": "Metal lathes"},
        "synonyms": {},
        "definitions": {},
        "tenant_id": None,
    }
    return SimpleNamespace(**{**base, **kw})


def test_enrichment_is_skipped_without_key(settings, fake) -> None:
    no_key = LLM(settings.model_copy(update={"mistral_api_key": None}))
    company = SimpleNamespace(name="ACME", naf_code="28.41Z", description="Usinage", facets={})

    results = [
        propose_synonyms(concept(), llm=no_key),
        propose_definition(concept(), llm=no_key),
        summarise_company(company, llm=no_key),
    ]

    assert [(r.status, r.value, r.message) for r in results] == [
        ("skipped", None, "LLM not configured")
    ] * 3
    assert fake.state.requests == []


def test_synonyms_are_new_distinct_and_per_language(llm: LLM, fake) -> None:
    answer = {
        "fr": ["tour CN", "Tours à métaux", "TOUR CN", "tour parallèle", "  tour   vertical "],
        "en": ["CNC lathe", "metal lathes"],
    }
    fake.state.script(ok(json.dumps(answer)))
    c = concept(synonyms={"fr": ["Tour parallele"]})

    result = propose_synonyms(c, llm=llm)

    assert result.status == "ok"
    assert result.value == {"fr": ["tour CN", "tour vertical"], "en": ["CNC lathe"]}
    assert result.provenance.source == "machine"
    assert result.provenance.model == "fake-small"
    schema = fake.state.requests[0].body["response_format"]["json_schema"]["schema"]
    assert sorted(schema["required"]) == ["en", "fr"]


def test_languages_without_a_label_are_not_asked(llm: LLM, fake) -> None:
    sentence = "Machine-outil qui usine par rotation. "
    fake.state.script(
        ok(json.dumps({"fr": sentence * 30})),  # far too long: refused by the schema
        ok(json.dumps({"fr": sentence * 5})),  # the repair: within the schema, still clipped
    )

    result = propose_definition(concept(labels={"fr": "Tours"}), llm=llm, max_chars=120)

    assert result.status == "ok"
    assert "at most 240 characters" in fake.state.requests[1].body["messages"][-1]["content"]
    assert list(result.value) == ["fr"]
    assert len(result.value["fr"]) <= 120
    assert result.value["fr"].endswith("…")
    assert propose_synonyms(concept(labels={}), llm=llm).status == "skipped"


def test_a_bad_answer_twice_fails_softly(llm: LLM, fake) -> None:
    fake.state.script(malformed("no"), malformed("still no"))

    result = propose_synonyms(concept(), llm=llm)

    assert result.status == "failed"
    assert "twice" in result.message
    assert result.value is None
    assert result.to_dict()["provenance"] is None


def test_company_summary(llm: LLM, fake) -> None:
    fake.state.script(ok(json.dumps({"summary": "Usinage de précision de pièces en titane."})))
    company = SimpleNamespace(
        name="ACME", naf_code="25.62B", description="Nous usinons le titane.", facets={}
    )

    result = summarise_company(company, llm=llm)

    assert result.ok
    assert result.value == "Usinage de précision de pièces en titane."
    assert "Nous usinons le titane." in fake.state.requests[0].body["messages"][-1]["content"]
    empty = SimpleNamespace(name="X", naf_code=None, description=None, facets={})
    assert summarise_company(empty, llm=llm).status == "skipped"
