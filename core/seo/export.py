"""Export the validated concepts of a tenant as a static, browsable public glossary.

Layout of ``out_dir``: ``index.html`` (language chooser), ``<lang>/index.html`` (terms by
glossary branch), ``<lang>/<slug>.html`` (one page per validated concept and language that
has a label), ``sitemap.xml`` (with hreflang alternates) and ``robots.txt``. Links between
pages are relative, so the folder can be browsed from disk; canonical, hreflang, OpenGraph
and JSON-LD URLs are absolute, built on ``base_url``.

The export is written to a staging folder first and then swapped in, so a failed run never
leaves half a site; a folder that was not made by this export is never overwritten.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, defer, load_only

from core.config import get_settings
from core.errors import UserError
from core.language.provenance import prov_entry
from core.language.text import fold, squash
from core.language.translate import parse_langs
from core.llm import LLM, get_llm
from core.models import Concept, ConceptStatus, GlossaryNode
from core.seo.meta import Crumb, SeoMeta, glossary_name, term_meta, ui
from core.seo.render import (
    IndexEntry,
    SitemapEntry,
    TermPage,
    render_index_page,
    render_root_page,
    render_sitemap,
    render_term_page,
)
from core.seo.slug import canonical_slug, unique_slugs
from core.tenancy import require_tenant, scoped

MARKER = ".marketlounge-glossary.json"
SITEMAP_MAX_URLS = 50_000
_BASE_URL_RE = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")


def check_base_url(base_url: str) -> str:
    """The public URL prefix of the glossary, without a trailing slash.

    >>> check_base_url("https://example.org/glossary/")
    'https://example.org/glossary'
    >>> check_base_url("example.org")
    Traceback (most recent call last):
    ...
    core.errors.UserError: invalid --base-url 'example.org': give an absolute http(s) URL \
such as https://example.org/glossary
    """
    url = base_url.strip().rstrip("/")
    if not _BASE_URL_RE.match(url):
        raise UserError(
            f"invalid --base-url {base_url!r}: give an absolute http(s) URL such as "
            "https://example.org/glossary"
        )
    return url


@dataclass
class ExportReport:
    """What was written."""

    out_dir: Path
    base_url: str
    langs: list[str]
    concepts: int = 0
    pages: int = 0
    pages_by_lang: dict[str, int] = field(default_factory=dict)
    missing_label: dict[str, int] = field(default_factory=dict)
    descriptions: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def sitemap(self) -> Path:
        """Path of the written ``sitemap.xml``."""
        return self.out_dir / "sitemap.xml"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "out_dir": str(self.out_dir),
            "base_url": self.base_url,
            "langs": self.langs,
            "concepts": self.concepts,
            "pages": self.pages,
            "pages_by_lang": self.pages_by_lang,
            "missing_label": self.missing_label,
            "descriptions": self.descriptions,
            "sitemap": str(self.sitemap),
            "warnings": self.warnings,
        }

    def summary_lines(self) -> list[str]:
        """Human summary (French, English in brackets)."""
        per_lang = ", ".join(f"{lang}: {n}" for lang, n in self.pages_by_lang.items())
        lines = [
            f"{self.pages} page(s) pour {self.concepts} concept(s) validé(s) "
            f"[{self.pages} page(s) for {self.concepts} validated concept(s)] — {per_lang}",
            f"écrit dans [written to] {self.out_dir} (sitemap: {self.sitemap.name})",
        ]
        missing = {k: v for k, v in self.missing_label.items() if v}
        if missing:
            lines.append(
                "sans libellé, non publiés [no label, not published]: "
                + ", ".join(f"{lang}: {n}" for lang, n in missing.items())
            )
        if self.descriptions:
            lines.append(
                "descriptions: " + ", ".join(f"{k}={v}" for k, v in self.descriptions.items())
            )
        lines.extend(f"warning: {w}" for w in self.warnings[:10])
        return lines


@dataclass
class _Ctx:
    """What every page of one export needs to know."""

    base: str
    languages: list[str]
    by_code: dict[str, _Term]
    node_by_key: dict[tuple[str, str], GlossaryNode]
    node_by_code: dict[str, GlossaryNode]
    llm: LLM | None
    site_name: str | None
    report: ExportReport
    index_groups: dict[str, dict[str, list[tuple[str, IndexEntry]]]]


@dataclass
class _Term:
    concept: Concept
    slugs: dict[str, str]  # lang → slug (only languages with a label)


def _label(texts: dict[str, Any] | None, lang: str) -> str:
    value = (texts or {}).get(lang)
    return squash(value) if isinstance(value, str) else ""


def _any_label(texts: dict[str, Any] | None, langs: Sequence[str]) -> str:
    for lang in [*langs, *sorted(texts or {})]:
        label = _label(texts, lang)
        if label:
            return label
    return ""


def _slug_of(concept: Concept, lang: str) -> str:
    return canonical_slug(_label(concept.labels, lang), concept.code or concept.concept_id)


def _ancestor_codes(concept: Concept) -> list[str]:
    parts = [p for p in (concept.path or "").split("/") if p]
    if parts and parts[-1] == concept.code:
        parts = parts[:-1]
    return parts


def _prepare_out_dir(out_dir: Path) -> Path:
    out = out_dir.expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise UserError(f"{out} is a file: give a folder for the exported glossary")
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise UserError(
            f"{out} is not empty and was not written by export-glossary: choose an empty or "
            "new folder (nothing was written)"
        )
    out.mkdir(parents=True, exist_ok=True)
    return out


def _swap_in(staging: Path, out: Path, previous: Iterable[str]) -> None:
    """Replace the managed entries of ``out`` by the staged ones."""
    fresh = {p.name for p in staging.iterdir()}
    for name in set(previous) | fresh:
        target = out / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
    for name in fresh:
        (staging / name).replace(out / name)


def export_glossary(
    session: Session,
    tenant_id: str,
    out_dir: str | Path,
    *,
    base_url: str = "https://example.org/glossary",
    langs: Sequence[str] | None = None,
    llm: LLM | None = None,
    use_llm: bool = True,
    site_name: str | None = None,
    progress: bool = False,
) -> ExportReport:
    """Write the static public glossary of ``tenant_id``'s validated concepts.

    Args:
        session: read only here.
        tenant_id: the tenant (must exist).
        out_dir: an empty/new folder, or one a previous export wrote (then replaced).
        base_url: the public URL where ``out_dir`` will be served.
        langs: page languages (default: the active languages from settings).
        llm: summarises definitions longer than 160 characters into meta descriptions
            when configured (default: :func:`core.llm.get_llm`); never required.
        use_llm: set False to keep descriptions fully deterministic.
        site_name: the glossary's public name (default "Glossaire industriel" / "Industrial
            glossary").
        progress: progress bar over concepts.
    """
    tenant = require_tenant(session, tenant_id)
    base = check_base_url(base_url)
    languages = parse_langs(list(langs) if langs else None, default=get_settings().languages)
    if not languages:
        raise UserError("give at least one language (--langs fr,en)")
    llm = (llm or get_llm()) if use_llm else None
    out = _prepare_out_dir(Path(out_dir))
    report = ExportReport(out_dir=out, base_url=base, langs=languages)
    report.pages_by_lang = dict.fromkeys(languages, 0)

    concepts = list(
        session.scalars(
            scoped(Concept, tenant, Concept.status == ConceptStatus.VALIDATED.value)
            .options(defer(Concept.embedding))
            .order_by(Concept.code, Concept.concept_id)
        )
    )
    report.concepts = len(concepts)
    nodes = session.scalars(
        scoped(GlossaryNode, tenant).options(
            load_only(GlossaryNode.taxonomy, GlossaryNode.code, GlossaryNode.labels)
        )
    ).all()
    node_by_key = {(n.taxonomy, n.code): n for n in nodes}
    node_by_code = {n.code: n for n in nodes}

    # slugs per language, unique per tenant + language
    terms = [_Term(c, {}) for c in concepts]
    for lang in languages:
        wanted = [
            (i, _slug_of(t.concept, lang))
            for i, t in enumerate(terms)
            if _label(t.concept.labels, lang)
        ]
        for i, slug in unique_slugs(wanted).items():
            terms[i].slugs[lang] = slug
        report.missing_label[lang] = len(terms) - len(wanted)
    by_code = {t.concept.code: t for t in terms if t.concept.code}

    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    try:
        sitemap: list[SitemapEntry] = []
        index_groups: dict[str, dict[str, list[tuple[str, IndexEntry]]]] = {
            lang: defaultdict(list) for lang in languages
        }
        ctx = _Ctx(
            base,
            languages,
            by_code,
            node_by_key,
            node_by_code,
            llm,
            site_name,
            report,
            index_groups,
        )
        for lang in languages:
            (staging / lang).mkdir()
        iterator: Iterable[_Term] = terms
        if progress:
            from tqdm import tqdm

            iterator = tqdm(terms, desc="export glossary", unit="concept")
        for term in iterator:
            if not term.slugs:
                continue
            page_langs = [lang for lang in languages if lang in term.slugs]
            alternates = {lang: f"{base}/{lang}/{term.slugs[lang]}.html" for lang in page_langs}
            alternates["x-default"] = alternates[page_langs[0]]
            for lang in page_langs:
                _write_term(staging, term, lang, alternates, ctx)
            updated = term.concept.updated_at
            for lang in page_langs:
                sitemap.append(
                    SitemapEntry(alternates[lang], alternates, updated.date() if updated else None)
                )

        index_alternates = {lang: f"{base}/{lang}/" for lang in languages}
        index_alternates["x-default"] = index_alternates[languages[0]]
        for lang in languages:
            _write_index(staging, lang, index_groups[lang], index_alternates, site_name, base)
        sitemap[:0] = [SitemapEntry(index_alternates[x], index_alternates) for x in languages]
        root_links = {lang: f"{lang}/index.html" for lang in languages}
        (staging / "index.html").write_text(
            render_root_page(glossary_name(languages[0], site_name), root_links, index_alternates),
            encoding="utf-8",
        )
        (staging / "sitemap.xml").write_bytes(render_sitemap(sitemap))
        if len(sitemap) > SITEMAP_MAX_URLS:
            report.warnings.append(
                f"sitemap.xml lists {len(sitemap)} URLs, more than the {SITEMAP_MAX_URLS} "
                "search engines read from one file: split it before publishing"
            )
        (staging / "robots.txt").write_text(
            f"User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml\n", encoding="utf-8"
        )
        previous: list[str] = []
        if (out / MARKER).exists():
            try:
                previous = list(json.loads((out / MARKER).read_text("utf-8")).get("entries", []))
            except (ValueError, OSError):
                previous = []
        entries = sorted(p.name for p in staging.iterdir())
        _swap_in(staging, out, [p for p in previous if "/" not in p and p != MARKER])
        (out / MARKER).write_text(
            json.dumps(
                {
                    "tenant_id": tenant,
                    "base_url": base,
                    "langs": languages,
                    "entries": entries,
                    "exported_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
                },
                indent=2,
            ),
            encoding="utf-8",
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report


def _crumbs(term: _Term, lang: str, ctx: _Ctx) -> list[tuple[str, str | None]]:
    """(name, slug of an ancestor concept page or None) from the root to the parent."""
    out: list[tuple[str, str | None]] = []
    for code in _ancestor_codes(term.concept):
        node = ctx.node_by_key.get((term.concept.taxonomy or "", code)) or ctx.node_by_code.get(
            code
        )
        ancestor = ctx.by_code.get(code)
        name = _label(node.labels, lang) if node else ""
        if not name and ancestor:
            name = _label(ancestor.concept.labels, lang)
        if not name:
            name = (_any_label(node.labels, ctx.languages) if node else "") or code
        out.append((name, ancestor.slugs.get(lang) if ancestor else None))
    return out


def _write_term(
    staging: Path, term: _Term, lang: str, alternates: dict[str, str], ctx: _Ctx
) -> None:
    """Render one concept page in one language and note it for the index."""
    base, report = ctx.base, ctx.report
    concept = term.concept
    label = _label(concept.labels, lang)
    definition = _label(concept.definitions, lang) or None
    synonyms = [squash(s) for s in (concept.synonyms or {}).get(lang, []) or [] if s and squash(s)]
    path = _crumbs(term, lang, ctx)
    set_url = f"{base}/{lang}/"
    home = ui(lang, "home")
    abs_crumbs = [Crumb(home, set_url)] + [
        Crumb(name, f"{base}/{lang}/{slug}.html" if slug else None) for name, slug in path
    ]
    rel_crumbs = [Crumb(home, "index.html")] + [
        Crumb(name, f"{slug}.html" if slug else None) for name, slug in path
    ]
    meta: SeoMeta = term_meta(
        label=label,
        code=concept.code,
        definition=definition,
        synonyms=synonyms,
        lang=lang,
        slug=term.slugs[lang],
        url=alternates[lang],
        alternates=alternates,
        set_url=set_url,
        crumbs=abs_crumbs,
        site_name=ctx.site_name,
        llm=ctx.llm,
        tenant_id=concept.tenant_id,
    )
    report.descriptions[meta.description_source] = (
        report.descriptions.get(meta.description_source, 0) + 1
    )
    machine = prov_entry(concept.provenance, "labels", lang).get("source") == "machine"
    links = {
        other: f"../{other}/{slug}.html" for other, slug in term.slugs.items() if other != lang
    }
    page = TermPage(
        label=label,
        code=concept.code,
        taxonomy=concept.taxonomy,
        definition=definition,
        synonyms=synonyms,
        crumbs=rel_crumbs,
        language_links=links,
        machine_note=ui(lang, "machine") if machine else None,
    )
    (staging / lang / f"{term.slugs[lang]}.html").write_text(
        render_term_page(meta, page), encoding="utf-8"
    )
    report.pages += 1
    report.pages_by_lang[lang] += 1
    group = path[0][0] if path else ui(lang, "home")
    ctx.index_groups[lang][group].append(
        (fold(label), IndexEntry(label, concept.code, f"{term.slugs[lang]}.html"))
    )


def _write_index(
    staging: Path,
    lang: str,
    groups: dict[str, list[tuple[str, IndexEntry]]],
    alternates: dict[str, str],
    site_name: str | None,
    base: str,
) -> None:
    name = glossary_name(lang, site_name)
    ordered = [
        (title, [entry for _, entry in sorted(entries, key=lambda e: e[0])])
        for title, entries in sorted(groups.items(), key=lambda g: fold(g[0]))
    ]
    url = alternates[lang]
    count = sum(len(entries) for _, entries in ordered)
    description = f"{name} : {count} {ui(lang, 'terms')}"
    term_set = {
        "@context": "https://schema.org",
        "@type": "DefinedTermSet",
        "@id": url,
        "url": url,
        "name": name,
        "inLanguage": lang,
        "hasDefinedTerm": [
            {
                "@type": "DefinedTerm",
                "name": e.label,
                "url": f"{base}/{lang}/{e.href}",
                **({"termCode": e.code} if e.code else {}),
            }
            for _, entries in ordered
            for e in entries
        ],
    }
    meta = SeoMeta(
        lang=lang,
        title=name,
        description=description,
        description_source="generated",
        slug="index",
        url=url,
        alternates=alternates,
        og={
            "og:type": "website",
            "og:title": name,
            "og:description": description,
            "og:url": url,
            "og:site_name": name,
        },
        json_ld=[term_set],
    )
    links = {other: f"../{other}/index.html" for other in alternates if other != "x-default"}
    (staging / lang / "index.html").write_text(
        render_index_page(meta, ordered, links), encoding="utf-8"
    )
