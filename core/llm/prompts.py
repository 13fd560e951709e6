"""Prompt texts and output schemas of the facade's tasks (translate, rerank, enrich)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field, create_model

LANGUAGE_NAMES = {
    "fr": "French",
    "en": "English",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "nl": "Dutch",
    "pt": "Portuguese",
}

DOMAIN_SYSTEM = (
    "You assist analysts of an industrial B2B marketplace. Texts are labels, synonyms and "
    "definitions of a technical glossary (public procurement CPV codes, French NAF "
    "activities, industrial know-how). Be precise, keep domain terminology, never invent "
    "facts. Answer with JSON only, following the requested schema."
)


def language_name(code: str) -> str:
    """A readable language name for prompts.

    >>> language_name("fr"), language_name("xx")
    ('French', 'xx')
    """
    return LANGUAGE_NAMES.get(code, code)


def translations_schema(count: int) -> type[BaseModel]:
    """A schema for exactly ``count`` translations, so a short answer fails validation.

    >>> Schema = translations_schema(2)
    >>> Schema.model_validate({"translations": ["a", "b"]}).translations
    ['a', 'b']
    """
    field: Any = (list[str], Field(min_length=count, max_length=count))
    return create_model("Translations", translations=field)


def translate_prompt(texts: list[str], *, source: str, target: str) -> str:
    """Ask for a one-to-one translation of a numbered list, same order, same count.

    >>> "from French to English" in translate_prompt(["tour"], source="fr", target="en")
    True
    """
    return (
        f"Translate each of the following {len(texts)} glossary texts from "
        f"{language_name(source)} to {language_name(target)}. Keep the same order and "
        "count, translate terms as a domain expert would (official terminology when it "
        "exists), keep codes and numbers unchanged, add no comment.\n"
        'Answer as {"translations": [...]} with exactly '
        f"{len(texts)} strings.\n\nTexts (JSON array):\n" + json.dumps(texts, ensure_ascii=False)
    )


class RerankItem(BaseModel):
    """One candidate in the LLM's order with a one-line reason."""

    id: str
    rationale: str = Field(max_length=300)


class RerankAnswer(BaseModel):
    """The whole reordering."""

    ranking: list[RerankItem]


def rerank_prompt(query: str, candidates: list[tuple[str, str]]) -> str:
    """Ask for the candidates ordered by relevance to a buyer's need, with reasons.

    >>> "usinage" in rerank_prompt("usinage titane", [("1", "Usinage")])
    True
    """
    listing = "\n".join(f"- id={cid}: {text}" for cid, text in candidates)
    return (
        "A buyer on an industrial marketplace wrote this need:\n"
        f"{json.dumps(query, ensure_ascii=False)}\n\n"
        "Order ALL the candidate concepts below from most to least relevant to the need. "
        "Give each one a one-line rationale (max 20 words) in the language of the need.\n"
        'Answer as {"ranking": [{"id": "...", "rationale": "..."}, ...]}.\n\n'
        f"Candidates:\n{listing}"
    )


class SynonymsAnswer(BaseModel):
    """Synonyms proposed for one concept in one language."""

    synonyms: list[str] = Field(max_length=30)


class DefinitionAnswer(BaseModel):
    """A definition proposed for one concept in one language."""

    definition: str = Field(min_length=1, max_length=1200)


class SummaryAnswer(BaseModel):
    """A short summary (company profile or SEO description)."""

    summary: str = Field(min_length=1, max_length=1200)


def concept_context(
    labels: dict[str, str], synonyms: dict[str, list[str]], path_labels: list[str]
) -> str:
    """The facts about a concept that prompts share (labels, synonyms, glossary path).

    >>> concept_context({"fr": "Tours"}, {}, ["Machines"])
    'Labels: {"fr": "Tours"}\\nGlossary path: Machines'
    """
    parts = [f"Labels: {json.dumps(labels, ensure_ascii=False)}"]
    if any(synonyms.values()):
        parts.append(f"Known synonyms: {json.dumps(synonyms, ensure_ascii=False)}")
    if path_labels:
        parts.append("Glossary path: " + " > ".join(path_labels))
    return "\n".join(parts)
