"""SEO metadata of single terms, and the laws of slugs and descriptions."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from core.language.text import clip_text
from core.seo import canonical_slug, describe, json_for_script, seo_for, slugify
from core.seo.export import export_glossary

BASE = "https://ex.org/g"


@given(st.text(max_size=300))
def test_slugs_are_ascii_dashed_and_never_empty(text: str) -> None:
    slug = slugify(text)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug)
    assert len(slug) <= 60
    assert slugify(slug) == slug  # idempotent


@given(st.text(max_size=400), st.integers(min_value=2, max_value=200))
def test_clipped_text_never_exceeds_the_limit(text: str, limit: int) -> None:
    assert len(clip_text(text, limit)) <= limit


@given(st.text(max_size=200))
def test_json_for_script_round_trips_and_cannot_close_the_script(text: str) -> None:
    encoded = json_for_script({"name": text})
    assert "<" not in encoded
    assert json.loads(encoded) == {"name": text}


@given(st.text(min_size=1, max_size=500))
def test_descriptions_fit_in_160_characters(text: str) -> None:
    description, _source = describe("Tours", text, ["tour CN"], ["Machines"], "fr")
    assert len(description) <= 160


def test_seo_for_a_concept_matches_the_exported_page(
    session, tenant_id, make_concept, tmp_path
) -> None:
    concept = make_concept(
        "42621100",
        {"fr": "Tours à métaux", "en": "Metal lathes"},
        definitions={"en": "Machine tools that turn the workpiece."},
        synonyms={"en": ["CNC lathe"]},
    )

    meta = seo_for(concept, "en", base_url=BASE, langs=["fr", "en"])

    assert meta is not None
    assert meta.slug == canonical_slug("Metal lathes", "42621100") == "metal-lathes-42621100"
    assert meta.url == f"{BASE}/en/metal-lathes-42621100.html"
    assert meta.description == "Machine tools that turn the workpiece."
    assert meta.description_source == "definition"
    assert set(meta.alternates) == {"fr", "en", "x-default"}
    assert meta.json_ld[0]["alternateName"] == ["CNC lathe"]
    export_glossary(session, tenant_id, tmp_path, base_url=BASE, use_llm=False)
    assert (tmp_path / "en" / f"{meta.slug}.html").is_file()
    fr = seo_for(concept, "fr", base_url=BASE, langs=["fr", "en"])
    assert fr.description_source == "generated"
    assert fr.description.startswith("Tours à métaux")
    assert seo_for(concept, "de", base_url=BASE) is None


def test_seo_for_a_glossary_node_uses_its_description(session, make_node) -> None:
    node = make_node(
        "28.41Z",
        {"fr": "Fabrication de machines de formage des métaux"},
        taxonomy="naf",
        descriptions={"fr": "Cette sous-classe comprend les presses."},
    )

    meta = seo_for(node, "fr", base_url=BASE, langs=["fr", "en"])

    assert meta.url == f"{BASE}/fr/naf/fabrication-de-machines-de-formage-des-metaux-28-41z.html"
    assert meta.description == "Cette sous-classe comprend les presses."
    assert meta.json_ld[0]["termCode"] == "28.41Z"
    assert set(meta.alternates) == {"fr", "x-default"}
