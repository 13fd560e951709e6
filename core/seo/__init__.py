"""SEO metadata (title, description, slug, OpenGraph, JSON-LD) and the static glossary export.

``export_glossary(session, tenant_id, out_dir)`` writes the public site;
``term_meta(...)`` gives the head tags of one term in one language.
"""

from core.seo.export import ExportReport, check_base_url, export_glossary
from core.seo.meta import Crumb, SeoMeta, describe, json_for_script, term_meta
from core.seo.slug import canonical_slug, slugify, unique_slugs
from core.seo.terms import page_url, seo_for

__all__ = [
    "Crumb",
    "ExportReport",
    "SeoMeta",
    "canonical_slug",
    "check_base_url",
    "describe",
    "export_glossary",
    "json_for_script",
    "page_url",
    "seo_for",
    "slugify",
    "term_meta",
    "unique_slugs",
]
