"""HTML pages and the sitemap of the static glossary. Every user text goes through ``esc``."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from core.seo.meta import OG_LOCALES, Crumb, SeoMeta, json_for_script, ui

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
LANGUAGE_NAMES = {"fr": "Français", "en": "English", "de": "Deutsch", "es": "Español"}

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5;color:#1d2330}nav ol{list-style:none;padding:0;display:flex;flex-wrap:wrap;"
    "gap:.3rem;font-size:.9rem}nav li+li:before{content:'›';margin-right:.3rem;color:#889}"
    "a{color:#0b57d0}.code{color:#556;font-size:.9rem}.machine{font-size:.85rem;color:#8a5a00}"
    "footer{margin-top:2rem;border-top:1px solid #dde;padding-top:.5rem;font-size:.9rem}"
)


def esc(text: object) -> str:
    """HTML-escape text for element content and quoted attributes.

    >>> esc('<script>"x"&\\'y\\'</script>')
    '&lt;script&gt;&quot;x&quot;&amp;&#x27;y&#x27;&lt;/script&gt;'
    """
    return html.escape(str(text), quote=True)


def language_name(lang: str) -> str:
    """The language's own name for the switcher (the code when unknown)."""
    return LANGUAGE_NAMES.get(lang, lang)


def _head(meta: SeoMeta, *, robots: str = "index,follow") -> str:
    lines = [
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(meta.title)}</title>",
        f'<meta name="description" content="{esc(meta.description)}">',
        f'<meta name="robots" content="{esc(robots)}">',
        f'<link rel="canonical" href="{esc(meta.url)}">',
    ]
    for lang, url in meta.alternates.items():
        lines.append(f'<link rel="alternate" hreflang="{esc(lang)}" href="{esc(url)}">')
    for prop, content in meta.og.items():
        lines.append(f'<meta property="{esc(prop)}" content="{esc(content)}">')
    for lang in meta.alternates:
        if lang not in ("x-default", meta.lang):
            locale = OG_LOCALES.get(lang, lang)
            lines.append(f'<meta property="og:locale:alternate" content="{esc(locale)}">')
    lines.append('<meta name="twitter:card" content="summary">')
    for block in meta.json_ld:
        lines.append(f'<script type="application/ld+json">{json_for_script(block)}</script>')
    lines.append(f"<style>{_STYLE}</style>")
    return "\n".join(lines)


def _language_links(links: dict[str, str], current: str) -> str:
    items = [
        f'<a href="{esc(href)}" hreflang="{esc(lang)}" lang="{esc(lang)}">'
        f"{esc(language_name(lang))}</a>"
        for lang, href in links.items()
        if lang != current
    ]
    if not items:
        return ""
    colon = " :" if current == "fr" else ":"  # French typography puts a space before ':'
    return f"<p>{esc(ui(current, 'other_langs'))}{colon} {' · '.join(items)}</p>"


@dataclass(frozen=True)
class TermPage:
    """What a term page shows besides its head."""

    label: str
    code: str | None
    taxonomy: str | None
    definition: str | None
    synonyms: Sequence[str]
    crumbs: Sequence[Crumb]  # root → parent; url relative to this page or None
    language_links: dict[str, str]  # lang → relative href
    machine_note: str | None = None


def render_term_page(meta: SeoMeta, page: TermPage) -> str:
    """One term page: head tags, breadcrumbs, label, code, definition, synonyms, languages."""
    crumbs = "".join(
        f'<li><a href="{esc(c.url)}">{esc(c.name)}</a></li>'
        if c.url
        else f"<li>{esc(c.name)}</li>"
        for c in page.crumbs
    )
    crumbs += f'<li aria-current="page">{esc(page.label)}</li>'
    lang = meta.lang
    code_line = ""
    if page.code:
        scheme = f"{page.taxonomy.upper()} " if page.taxonomy else ""
        code_line = f'<p class="code">{esc(ui(lang, "code"))} {esc(scheme)}{esc(page.code)}</p>'
    definition = (
        f'<p class="definition">{esc(page.definition)}</p>'
        if page.definition
        else f'<p class="definition empty">{esc(ui(lang, "no_definition"))}</p>'
    )
    synonyms = ""
    if page.synonyms:
        items = "".join(f"<li>{esc(s)}</li>" for s in page.synonyms)
        synonyms = f'<h2>{esc(ui(lang, "synonyms"))}</h2>\n<ul class="synonyms">{items}</ul>'
    machine = f'<p class="machine">{esc(page.machine_note)}</p>' if page.machine_note else ""
    return f"""<!DOCTYPE html>
<html lang="{esc(lang)}">
<head>
{_head(meta)}
</head>
<body>
<nav aria-label="breadcrumb"><ol>{crumbs}</ol></nav>
<main>
<article>
<h1>{esc(page.label)}</h1>
{code_line}
{definition}
{synonyms}
{machine}
</article>
</main>
<footer>{_language_links(page.language_links, lang)}</footer>
</body>
</html>
"""


@dataclass(frozen=True)
class IndexEntry:
    """One link of a language index."""

    label: str
    code: str | None
    href: str


def render_index_page(
    meta: SeoMeta,
    groups: Sequence[tuple[str, Sequence[IndexEntry]]],
    language_links: dict[str, str],
) -> str:
    """The index of one language: terms grouped by top-level glossary branch."""
    lang = meta.lang
    total = sum(len(entries) for _, entries in groups)
    sections = []
    for title, entries in groups:
        items = "".join(
            f'<li><a href="{esc(e.href)}">{esc(e.label)}</a>'
            + (f' <span class="code">{esc(e.code)}</span>' if e.code else "")
            + "</li>"
            for e in entries
        )
        sections.append(f"<section>\n<h2>{esc(title)}</h2>\n<ul>{items}</ul>\n</section>")
    body = "\n".join(sections)
    return f"""<!DOCTYPE html>
<html lang="{esc(lang)}">
<head>
{_head(meta)}
</head>
<body>
<main>
<h1>{esc(meta.og.get("og:site_name", meta.title))}</h1>
<p>{total} {esc(ui(lang, "terms"))}</p>
{body}
</main>
<footer>{_language_links(language_links, lang)}</footer>
</body>
</html>
"""


def render_root_page(name: str, links: dict[str, str], alternates: dict[str, str]) -> str:
    """The root page: one link per language (no redirect, so crawlers see every index)."""
    heads = "\n".join(
        f'<link rel="alternate" hreflang="{esc(lang)}" href="{esc(url)}">'
        for lang, url in alternates.items()
    )
    items = "".join(
        f'<li><a href="{esc(href)}" hreflang="{esc(lang)}" lang="{esc(lang)}">'
        f"{esc(language_name(lang))}</a></li>"
        for lang, href in links.items()
    )
    return f"""<!DOCTYPE html>
<html lang="{esc(next(iter(links), "fr"))}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(name)}</title>
{heads}
<style>{_STYLE}</style>
</head>
<body>
<main><h1>{esc(name)}</h1><ul>{items}</ul></main>
</body>
</html>
"""


@dataclass(frozen=True)
class SitemapEntry:
    """One URL of the sitemap with its language alternates."""

    loc: str
    alternates: dict[str, str]
    lastmod: date | None = None


def render_sitemap(entries: Sequence[SitemapEntry]) -> bytes:
    """``sitemap.xml`` with ``xhtml:link`` hreflang alternates (escaped by ElementTree).

    >>> xml = render_sitemap([SitemapEntry("https://x.org/fr/a.html",
    ...                                    {"fr": "https://x.org/fr/a.html"})])
    >>> b"<xhtml:link" in xml and b'hreflang="fr"' in xml
    True
    """
    ET.register_namespace("", SITEMAP_NS)
    ET.register_namespace("xhtml", XHTML_NS)
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for entry in entries:
        url = ET.SubElement(root, f"{{{SITEMAP_NS}}}url")
        ET.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = entry.loc
        if entry.lastmod:
            ET.SubElement(url, f"{{{SITEMAP_NS}}}lastmod").text = entry.lastmod.isoformat()
        for lang, href in entry.alternates.items():
            ET.SubElement(
                url,
                f"{{{XHTML_NS}}}link",
                {"rel": "alternate", "hreflang": lang, "href": href},
            )
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
