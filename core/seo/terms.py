"""SEO metadata of one concept or glossary node, for a page outside the static export.

The workbench and the API call :func:`seo_for` to show or serve the same tags the export
writes (breadcrumbs are optional here, since they need the glossary tree).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.config import get_settings
from core.language.text import squash
from core.llm import LLM
from core.models import Concept, GlossaryNode
from core.seo.export import check_base_url
from core.seo.meta import Crumb, SeoMeta, term_meta, ui
from core.seo.slug import canonical_slug


def _texts(obj: Any, lang: str) -> tuple[str, str | None, list[str]]:
    label = squash((obj.labels or {}).get(lang) or "")
    if isinstance(obj, Concept):
        definition = (obj.definitions or {}).get(lang)
        synonyms = [squash(s) for s in (obj.synonyms or {}).get(lang, []) or [] if s]
    elif isinstance(obj, GlossaryNode):
        definition = (obj.descriptions or {}).get(lang)
        synonyms = []
    else:
        raise TypeError(f"SEO metadata is for concepts and glossary nodes, not {type(obj)}")
    return label, (squash(definition) if definition else None), synonyms


def page_url(obj: Any, lang: str, base_url: str) -> tuple[str, str]:
    """``(slug, absolute URL)`` of the term's page in ``lang`` (concepts as in the export)."""
    label, _, _ = _texts(obj, lang)
    base = check_base_url(base_url)
    if isinstance(obj, GlossaryNode):
        slug = canonical_slug(label, obj.code)
        return slug, f"{base}/{lang}/{obj.taxonomy}/{slug}.html"
    slug = canonical_slug(label, obj.code or obj.concept_id)
    return slug, f"{base}/{lang}/{slug}.html"


def seo_for(
    obj: Concept | GlossaryNode,
    lang: str,
    *,
    base_url: str = "https://example.org/glossary",
    langs: Sequence[str] | None = None,
    crumbs: Sequence[Crumb] = (),
    site_name: str | None = None,
    llm: LLM | None = None,
) -> SeoMeta | None:
    """Title, description, slug, OpenGraph and JSON-LD of ``obj`` in ``lang``.

    Returns ``None`` when ``obj`` has no label in ``lang`` (no page in that language).
    """
    label, definition, synonyms = _texts(obj, lang)
    if not label:
        return None
    languages = list(langs) if langs else list(get_settings().languages)
    alternates: dict[str, str] = {}
    for other in dict.fromkeys([*languages, lang]):
        if _texts(obj, other)[0]:
            alternates[other] = page_url(obj, other, base_url)[1]
    alternates["x-default"] = next(iter(alternates.values()))
    slug, url = page_url(obj, lang, base_url)
    base = check_base_url(base_url)
    return term_meta(
        label=label,
        code=obj.code,
        definition=definition,
        synonyms=synonyms,
        lang=lang,
        slug=slug,
        url=url,
        alternates=alternates,
        set_url=f"{base}/{lang}/",
        crumbs=list(crumbs) or [Crumb(ui(lang, "home"), f"{base}/{lang}/")],
        site_name=site_name,
        llm=llm,
        tenant_id=obj.tenant_id,
    )
