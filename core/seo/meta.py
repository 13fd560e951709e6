"""SEO metadata of one term in one language: title, description, OpenGraph, JSON-LD.

Descriptions come from the definition when it fits in 160 characters; a longer definition is
summarised by the LLM when one is configured, else cut at a word boundary; with no
definition a sentence is generated from the label, synonyms and glossary path. No I/O here
except that optional LLM call.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from core.language.text import clip_text, squash
from core.llm import LLM, LlmError
from core.llm.prompts import SummaryAnswer, language_name

DESCRIPTION_MAX = 160
TITLE_MAX = 70

OG_LOCALES = {"fr": "fr_FR", "en": "en_GB", "de": "de_DE", "es": "es_ES", "it": "it_IT"}
GLOSSARY_NAME = {"fr": "Glossaire industriel", "en": "Industrial glossary"}
UI_TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "home": "Glossaire",
        "synonyms": "Synonymes",
        "code": "Code",
        "no_definition": "Pas encore de définition.",
        "machine": "Traduction automatique, non encore relue",
        "other_langs": "Autres langues",
        "terms": "termes",
        "generated": "{label} : définition, synonymes et place dans le glossaire{path}.",
        "generated_syn": "{label} ({synonyms}) : définition et place dans le glossaire{path}.",
        "in_path": " ({path})",
    },
    "en": {
        "home": "Glossary",
        "synonyms": "Synonyms",
        "code": "Code",
        "no_definition": "No definition yet.",
        "machine": "Machine translation, not reviewed yet",
        "other_langs": "Other languages",
        "terms": "terms",
        "generated": "{label}: definition, synonyms and place in the glossary{path}.",
        "generated_syn": "{label} ({synonyms}): definition and place in the glossary{path}.",
        "in_path": " ({path})",
    },
}


def ui(lang: str, key: str) -> str:
    """A UI string in ``lang`` (English for languages without a translation).

    >>> ui("fr", "synonyms"), ui("de", "synonyms")
    ('Synonymes', 'Synonyms')
    """
    return UI_TEXT.get(lang, UI_TEXT["en"])[key]


def glossary_name(lang: str, site_name: str | None = None) -> str:
    """The name of the glossary (the ``DefinedTermSet``) in ``lang``."""
    return site_name or GLOSSARY_NAME.get(lang, GLOSSARY_NAME["en"])


DescriptionSource = Literal["definition", "llm", "clipped", "generated"]


def generated_description(
    label: str, synonyms: Sequence[str], path_labels: Sequence[str], lang: str
) -> str:
    """A deterministic description when there is no definition.

    >>> generated_description("Tours", ["tour CN"], ["Machines-outils"], "fr")
    'Tours (tour CN) : définition et place dans le glossaire (Machines-outils).'
    >>> generated_description("Lathes", [], [], "en")
    'Lathes: definition, synonyms and place in the glossary.'
    """
    path = ui(lang, "in_path").format(path=" › ".join(path_labels[-2:])) if path_labels else ""
    if synonyms:
        text = ui(lang, "generated_syn").format(
            label=label, synonyms=", ".join(synonyms[:3]), path=path
        )
    else:
        text = ui(lang, "generated").format(label=label, path=path)
    return clip_text(text, DESCRIPTION_MAX)


def describe(
    label: str,
    definition: str | None,
    synonyms: Sequence[str],
    path_labels: Sequence[str],
    lang: str,
    *,
    llm: LLM | None = None,
    tenant_id: str | None = None,
) -> tuple[str, DescriptionSource]:
    """The meta description (≤ 160 characters) and where it came from.

    >>> describe("Tours", "Machines qui usinent par rotation.", [], [], "fr")
    ('Machines qui usinent par rotation.', 'definition')
    >>> text, source = describe("Tours", "mot " * 80, [], [], "fr")
    >>> len(text) <= 160, source
    (True, 'clipped')
    """
    definition = squash(definition or "")
    if definition and len(definition) <= DESCRIPTION_MAX:
        return definition, "definition"
    if definition and llm is not None and llm.configured:
        try:
            answer = llm.complete_json(
                f"Definition ({language_name(lang)}): {json.dumps(definition, ensure_ascii=False)}"
                f"\n\nRewrite it as a meta description of at most 150 characters, in "
                f"{language_name(lang)}, for the glossary page of the term "
                f'{json.dumps(label, ensure_ascii=False)}. Answer as {{"summary": "..."}}.',
                SummaryAnswer,
                operation="seo_description",
                tenant_id=tenant_id,
                max_tokens=200,
            )
            return clip_text(answer.summary, DESCRIPTION_MAX), "llm"
        except LlmError:
            pass  # a page still gets a description: the deterministic cut below
    if definition:
        return clip_text(definition, DESCRIPTION_MAX), "clipped"
    return generated_description(label, synonyms, path_labels, lang), "generated"


def json_for_script(data: Any) -> str:
    """JSON safe inside ``<script>``: ``<``, ``>`` and ``&`` become unicode escapes.

    A label such as ``</script><script>alert(1)</script>`` then cannot end the script block.

    >>> json_for_script({"name": "</script><b>&"})
    '{"name": "\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
    >>> json.loads(json_for_script({"name": "</script>"}))["name"]
    '</script>'
    """
    text = json.dumps(data, ensure_ascii=False, separators=(", ", ": "))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@dataclass(frozen=True)
class Crumb:
    """One breadcrumb: a name, and a URL when that level has a page."""

    name: str
    url: str | None = None


@dataclass(frozen=True)
class SeoMeta:
    """Everything a page head needs for one term in one language.

    ``alternates`` maps each language with a page (and ``x-default``) to its absolute URL.
    """

    lang: str
    title: str
    description: str
    description_source: DescriptionSource
    slug: str
    url: str
    alternates: dict[str, str]
    og: dict[str, str]
    json_ld: list[dict[str, Any]] = field(default_factory=list)


def term_meta(
    *,
    label: str,
    code: str | None,
    definition: str | None,
    synonyms: Sequence[str],
    lang: str,
    slug: str,
    url: str,
    alternates: dict[str, str],
    set_url: str,
    crumbs: Sequence[Crumb] = (),
    site_name: str | None = None,
    llm: LLM | None = None,
    tenant_id: str | None = None,
) -> SeoMeta:
    """Title, description, OpenGraph tags and JSON-LD (DefinedTerm + BreadcrumbList).

    Args:
        label: the term's label in ``lang``.
        code: its code (``termCode``), if any.
        definition: its definition in ``lang``, if any.
        synonyms: its synonyms in ``lang`` (``alternateName``).
        lang: the page language.
        slug: the canonical slug; ``url``: the canonical absolute URL.
        alternates: language → absolute URL of the same term (hreflang), ``x-default`` too.
        set_url: the URL of the glossary index in ``lang`` (the ``DefinedTermSet``).
        crumbs: breadcrumbs from the glossary root to the parent of this term.
        site_name: the glossary's name (default: "Glossaire industriel" / "Industrial …").
        llm: used only to summarise a definition longer than 160 characters.
    """
    name = glossary_name(lang, site_name)
    path_labels = [c.name for c in crumbs[1:]]
    description, source = describe(
        label, definition, synonyms, path_labels, lang, llm=llm, tenant_id=tenant_id
    )
    title = clip_text(f"{label} – {name}", TITLE_MAX)
    og = {
        "og:type": "article",
        "og:title": label,
        "og:description": description,
        "og:url": url,
        "og:site_name": name,
        "og:locale": OG_LOCALES.get(lang, lang),
    }
    term: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "DefinedTerm",
        "@id": url,
        "url": url,
        "name": label,
        "description": description,
        "inLanguage": lang,
        "inDefinedTermSet": {
            "@type": "DefinedTermSet",
            "@id": set_url,
            "url": set_url,
            "name": name,
            "inLanguage": lang,
        },
    }
    if code:
        term["termCode"] = code
    if synonyms:
        term["alternateName"] = list(synonyms)
    items = [*crumbs, Crumb(label, url)]
    breadcrumb = {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": i,
                "name": crumb.name,
                **({"item": crumb.url} if crumb.url else {}),
            }
            for i, crumb in enumerate(items, start=1)
        ],
    }
    return SeoMeta(
        lang=lang,
        title=title,
        description=description,
        description_source=source,
        slug=slug,
        url=url,
        alternates=dict(alternates),
        og=og,
        json_ld=[term, breadcrumb],
    )
