"""Enrichment proposals for the builds: synonyms, definitions, company summaries.

Each function returns an :class:`EnrichmentResult` and never raises on LLM trouble:
``skipped`` with "LLM not configured" in degraded mode, ``failed`` with the reason when the
service did not give a usable answer. Nothing is written to the database here: the caller
(the dico build, the import of company profiles) decides what to keep, with the provenance.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from pydantic import BaseModel, Field, create_model

from core.language.text import clip_text, fold, squash
from core.llm import prompts
from core.llm.client import LLM, get_llm
from core.llm.errors import LlmError
from core.llm.types import NOT_CONFIGURED, EnrichmentResult, Provenance, utc_now_iso


class ConceptLike(Protocol):
    """What enrichment reads from a concept (a ``Concept`` row or a test double)."""

    labels: dict[str, str]
    synonyms: dict[str, list[str]]
    definitions: dict[str, str]


class CompanyLike(Protocol):
    """What a company summary reads (a ``CompanyProfile`` row or a test double)."""

    name: str
    naf_code: str | None
    description: str | None
    facets: dict[str, Any]


def clean_proposals(
    proposed: Iterable[str], *, known: Iterable[str], limit: int, max_chars: int = 120
) -> list[str]:
    """Keep new, distinct, reasonably short proposals, in the model's order.

    >>> clean_proposals(["Tour", " tour CN ", "Tour CN", "", "x" * 200, "Lathe"],
    ...                 known=["Tour"], limit=5)
    ['tour CN', 'Lathe']
    """
    seen = {fold(k) for k in known if k}
    out: list[str] = []
    for item in proposed:
        text = squash(item)
        key = fold(text)
        if not text or len(text) > max_chars or key in seen:
            continue
        seen.add(key)
        out.append(text)
        if len(out) >= limit:
            break
    return out


def _langs(concept: ConceptLike, langs: Sequence[str] | None, llm: LLM) -> list[str]:
    wanted = list(langs) if langs else list(llm.settings.languages)
    return [lang for lang in wanted if (concept.labels or {}).get(lang, "").strip()]


def _tenant(obj: object) -> str | None:
    tenant = getattr(obj, "tenant_id", None)
    return tenant if isinstance(tenant, str) else None


def _machine(model: str) -> Provenance:
    return Provenance(source="machine", model=model, at=utc_now_iso())


def propose_synonyms(
    concept: ConceptLike,
    *,
    langs: Sequence[str] | None = None,
    llm: LLM | None = None,
    max_per_lang: int = 8,
    path_labels: Sequence[str] = (),
) -> EnrichmentResult[dict[str, list[str]]]:
    """Propose synonyms per language (``{"fr": [...], "en": [...]}``), new ones only.

    Only languages where the concept has a label are asked; proposals equal to the label or
    to a known synonym (ignoring case and accents) are dropped.
    """
    llm = llm or get_llm()
    if not llm.configured:
        return EnrichmentResult("skipped", message=NOT_CONFIGURED)
    wanted = _langs(concept, langs, llm)
    if not wanted:
        return EnrichmentResult("skipped", message="the concept has no label to start from")
    field: Any = (list[str], Field(max_length=30))
    schema: type[BaseModel] = create_model("Synonyms", **dict.fromkeys(wanted, field))
    prompt = (
        f"{prompts.concept_context(concept.labels, concept.synonyms or {}, list(path_labels))}"
        f"\n\nPropose up to {max_per_lang} synonyms per language ({', '.join(wanted)}) that "
        "buyers or suppliers actually write for this concept: trade names, common wordings, "
        "abbreviations. No broader or narrower terms, no translations into other languages. "
        f"Answer as a JSON object with the keys {wanted}."
    )
    try:
        answer = llm.complete_json(
            prompt, schema, operation="propose_synonyms", tenant_id=_tenant(concept)
        )
    except LlmError as exc:
        return EnrichmentResult("failed", message=str(exc))
    value: dict[str, list[str]] = {}
    for lang in wanted:
        known = [concept.labels.get(lang, ""), *(concept.synonyms or {}).get(lang, [])]
        kept = clean_proposals(getattr(answer, lang), known=known, limit=max_per_lang)
        if kept:
            value[lang] = kept
    message = "" if value else "no new synonyms proposed"
    return EnrichmentResult("ok", value, _machine(llm.model), message)


def propose_definition(
    concept: ConceptLike,
    *,
    langs: Sequence[str] | None = None,
    llm: LLM | None = None,
    max_chars: int = 400,
    path_labels: Sequence[str] = (),
) -> EnrichmentResult[dict[str, str]]:
    """Propose a short definition per language (``{"fr": "...", "en": "..."}``)."""
    llm = llm or get_llm()
    if not llm.configured:
        return EnrichmentResult("skipped", message=NOT_CONFIGURED)
    wanted = _langs(concept, langs, llm)
    if not wanted:
        return EnrichmentResult("skipped", message="the concept has no label to start from")
    field: Any = (str, Field(min_length=1, max_length=2 * max_chars))
    schema: type[BaseModel] = create_model("Definitions", **dict.fromkeys(wanted, field))
    prompt = (
        f"{prompts.concept_context(concept.labels, concept.synonyms or {}, list(path_labels))}"
        f"\n\nWrite a one- or two-sentence definition of this concept in each language "
        f"({', '.join(wanted)}), at most {max_chars} characters each, factual and neutral, "
        "as in a technical glossary: what it is and what it is used for. "
        f"Answer as a JSON object with the keys {wanted}."
    )
    try:
        answer = llm.complete_json(
            prompt, schema, operation="propose_definition", tenant_id=_tenant(concept)
        )
    except LlmError as exc:
        return EnrichmentResult("failed", message=str(exc))
    value = {lang: clip_text(str(getattr(answer, lang)), max_chars) for lang in wanted}
    return EnrichmentResult("ok", value, _machine(llm.model))


def summarise_company(
    profile: CompanyLike,
    *,
    lang: str = "fr",
    llm: LLM | None = None,
    max_chars: int = 400,
) -> EnrichmentResult[str]:
    """Propose a short neutral summary of what a company does (for its profile page)."""
    llm = llm or get_llm()
    if not llm.configured:
        return EnrichmentResult("skipped", message=NOT_CONFIGURED)
    facts = {
        "name": profile.name,
        "naf_code": profile.naf_code,
        "description": (profile.description or "")[:3000],
        "facets": profile.facets or {},
    }
    if not (facts["description"] or facts["facets"]):
        return EnrichmentResult("skipped", message="nothing to summarise (no description)")
    prompt = (
        f"Company facts (JSON): {json.dumps(facts, ensure_ascii=False, default=str)}\n\n"
        f"Summarise in {prompts.language_name(lang)}, in at most {max_chars} characters, what "
        "this company makes or does for industrial buyers. Use only the facts given, no "
        'marketing language. Answer as {"summary": "..."}.'
    )
    try:
        answer = llm.complete_json(
            prompt,
            prompts.SummaryAnswer,
            operation="summarise_company",
            tenant_id=_tenant(profile),
        )
    except LlmError as exc:
        return EnrichmentResult("failed", message=str(exc))
    return EnrichmentResult("ok", clip_text(answer.summary, max_chars), _machine(llm.model))
