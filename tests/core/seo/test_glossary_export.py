"""The static glossary: pages parsed back, tags, hreflang, JSON-LD, escaping, sitemap."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.errors import UserError
from core.llm import LLM
from core.seo import export_glossary
from tests.fake_mistral import malformed, ok

BASE = "https://glossaire.example.fr/g"
EVIL = 'Tours <script>alert("x")</script> & "guillemets" \'o\''
LONG_DEF = "Machine-outil qui usine une pièce en rotation autour de son axe. " * 5
VOID = {"meta", "link", "br", "img", "input", "hr"}


class Page(HTMLParser):
    """Collects what the tests check, and verifies that tags are balanced."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.html_lang: str | None = None
        self.title = ""
        self.meta: dict[str, str] = {}
        self.og: dict[str, list[str]] = {}
        self.canonical: str | None = None
        self.hreflang: dict[str, str] = {}
        self.scripts: list[str] = []
        self.h1 = ""
        self.crumbs: list[tuple[str, str | None]] = []
        self.links: list[str] = []
        self._in: str | None = None
        self._crumb_href: str | None = None
        self._buf = ""
        self.feed(text)
        self.close()
        if self.stack:
            self.problems.append(f"unclosed {self.stack}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag == "meta" and "name" in a:
            self.meta[a["name"]] = a.get("content", "")
        elif tag == "meta" and "property" in a:
            self.og.setdefault(a["property"], []).append(a.get("content", ""))
        elif tag == "link" and a.get("rel") == "canonical":
            self.canonical = a["href"]
        elif tag == "link" and a.get("rel") == "alternate":
            self.hreflang[a["hreflang"]] = a["href"]
        elif tag == "a":
            self.links.append(a["href"])
            self._crumb_href = a["href"]
        if tag in ("title", "h1", "script", "li"):
            self._in, self._buf = tag, ""
            if tag == "li":
                self._crumb_href = None

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
        else:
            self.stack.pop()
        if tag == "title":
            self.title = self._buf
        elif tag == "h1":
            self.h1 = self._buf
        elif tag == "script":
            self.scripts.append(self._buf)
        elif tag == "li" and "nav" in self.stack:
            self.crumbs.append((self._buf, self._crumb_href))
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self._buf += data


@pytest.fixture
def glossary(session, tenant_id, make_concept, make_node):
    make_node("42000000", {"fr": "Machines industrielles", "en": "Industrial machinery"})
    make_node(
        "42600000",
        {"fr": "Machines-outils", "en": "Machine tools"},
        path="42000000/42600000",
        level=2,
    )
    parent = make_concept(
        "42600000",
        {"fr": "Machines-outils", "en": "Machine tools"},
        path="42000000/42600000",
        definitions={"fr": "Machines qui façonnent des pièces."},
    )
    evil = make_concept(
        "42621100",
        {"fr": EVIL, "en": "Metal lathes"},
        path="42000000/42600000/42621100",
        synonyms={"fr": ["tour CN", "<b>tour</b>"], "en": ["CNC lathe"]},
        definitions={"fr": LONG_DEF},
        provenance={"label:en": {"source": "machine", "model": "m", "hash": "h", "from": "fr"}},
    )
    fr_only = make_concept("42636000", {"fr": "Presses"}, path="42000000/42636000")
    make_concept("42637000", {"fr": "Brouillon"}, status="draft")
    return {"parent": parent, "evil": evil, "fr_only": fr_only}


def page_for(out: Path, lang: str, code: str) -> tuple[Path, Page]:
    [path] = list((out / lang).glob(f"*-{code}.html"))
    return path, Page(path.read_text(encoding="utf-8"))


def test_export_writes_one_valid_page_per_validated_concept_and_language(
    session, tenant_id, glossary, tmp_path
) -> None:
    out = tmp_path / "site"
    report = export_glossary(session, tenant_id, out, base_url=BASE + "/", use_llm=False)

    assert report.concepts == 3
    assert report.pages == 5
    assert report.pages_by_lang == {"fr": 3, "en": 2}
    assert report.missing_label == {"fr": 0, "en": 1}
    for name in ("index.html", "sitemap.xml", "robots.txt", "fr/index.html", "en/index.html"):
        assert (out / name).is_file(), name
    assert not list(out.glob("*/*42637000*"))  # drafts are not published
    for html_file in out.rglob("*.html"):
        page = Page(html_file.read_text(encoding="utf-8"))
        assert page.problems == [], html_file
        for href in page.links:  # every relative link resolves to a written file
            assert (html_file.parent / href).resolve().is_file(), (html_file, href)


def test_term_page_tags_hreflang_and_json_ld(session, tenant_id, glossary, tmp_path) -> None:
    out = tmp_path / "site"
    export_glossary(session, tenant_id, out, base_url=BASE, use_llm=False)

    path, page = page_for(out, "en", "42621100")
    assert re.fullmatch(r"[a-z0-9-]+\.html", path.name)
    url = f"{BASE}/en/{path.name}"
    assert page.html_lang == "en"
    assert page.canonical == url
    assert page.h1 == "Metal lathes"
    assert page.title.startswith("Metal lathes")
    assert 0 < len(page.meta["description"]) <= 160
    fr_path, _ = page_for(out, "fr", "42621100")
    assert page.hreflang == {
        "en": url,
        "fr": f"{BASE}/fr/{fr_path.name}",
        "x-default": f"{BASE}/fr/{fr_path.name}",
    }
    assert page.og["og:url"] == [url]
    assert page.og["og:title"] == ["Metal lathes"]
    assert page.og["og:locale"] == ["en_GB"]
    assert page.og["og:locale:alternate"] == ["fr_FR"]
    term, crumbs = (json.loads(s) for s in page.scripts[:2])
    assert term["@type"] == "DefinedTerm"
    assert term["name"] == "Metal lathes"
    assert term["termCode"] == "42621100"
    assert term["alternateName"] == ["CNC lathe"]
    assert term["inDefinedTermSet"]["@type"] == "DefinedTermSet"
    assert term["inDefinedTermSet"]["url"] == f"{BASE}/en/"
    assert crumbs["@type"] == "BreadcrumbList"
    names = [item["name"] for item in crumbs["itemListElement"]]
    assert names == ["Glossary", "Industrial machinery", "Machine tools", "Metal lathes"]
    assert [i["position"] for i in crumbs["itemListElement"]] == [1, 2, 3, 4]
    parent_path, _ = page_for(out, "en", "42600000")
    assert crumbs["itemListElement"][2]["item"] == f"{BASE}/en/{parent_path.name}"
    assert page.crumbs[0] == ("Glossary", "index.html")
    assert page.crumbs[1] == ("Industrial machinery", None)  # a node without a page
    assert page.crumbs[2] == ("Machine tools", parent_path.name)
    assert "Machine translation" in path.read_text(encoding="utf-8")


def test_user_text_is_escaped_everywhere(session, tenant_id, glossary, tmp_path) -> None:
    out = tmp_path / "site"
    export_glossary(session, tenant_id, out, base_url=BASE, use_llm=False)

    path, page = page_for(out, "fr", "42621100")
    raw = path.read_text(encoding="utf-8")
    assert "<script>alert" not in raw
    assert "<b>tour</b>" not in raw
    assert raw.count("<script") == 2  # the two JSON-LD blocks only
    assert page.h1 == EVIL  # the parser gives back the exact label
    assert page.title.startswith(EVIL[:20])
    assert json.loads(page.scripts[0])["name"] == EVIL
    assert "</script>" not in page.scripts[0]
    assert page.og["og:title"] == [EVIL]
    assert re.fullmatch(r"[a-z0-9-]+\.html", path.name)
    index = Page((out / "fr" / "index.html").read_text(encoding="utf-8"))
    assert index.problems == []
    term_set = json.loads(index.scripts[0])
    assert term_set["@type"] == "DefinedTermSet"
    assert EVIL in [t["name"] for t in term_set["hasDefinedTerm"]]


def test_sitemap_lists_every_page_with_alternates(session, tenant_id, glossary, tmp_path) -> None:
    out = tmp_path / "site"
    export_glossary(session, tenant_id, out, base_url=BASE, use_llm=False)

    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    root = ET.parse(out / "sitemap.xml").getroot()
    urls = root.findall("s:url", ns)
    locs = [u.findtext("s:loc", namespaces=ns) for u in urls]
    assert len(locs) == 5 + 2  # pages + one index per language
    assert all(loc.startswith(BASE + "/") for loc in locs)
    written = {f"{BASE}/{p.relative_to(out).as_posix()}" for p in out.glob("*/*.html")}
    assert {loc for loc in locs if loc.endswith(".html")} == written - {
        f"{BASE}/fr/index.html",
        f"{BASE}/en/index.html",
    }
    evil_path, _ = page_for(out, "en", "42621100")
    entry = next(u for u in urls if u.findtext("s:loc", namespaces=ns).endswith(evil_path.name))
    langs = {link.get("hreflang") for link in entry.findall("x:link", ns)}
    assert langs == {"fr", "en", "x-default"}
    assert entry.findtext("s:lastmod", namespaces=ns)
    assert f"Sitemap: {BASE}/sitemap.xml" in (out / "robots.txt").read_text()


def test_re_export_replaces_the_site_and_foreign_folders_are_refused(
    session, tenant_id, glossary, tmp_path
) -> None:
    out = tmp_path / "site"
    export_glossary(session, tenant_id, out, base_url=BASE, use_llm=False)
    glossary["fr_only"].status = "rejected"
    session.flush()

    report = export_glossary(session, tenant_id, out, base_url=BASE, use_llm=False)

    assert report.pages == 4
    assert not list(out.glob("fr/*-42636000.html"))
    assert not list(out.glob(".staging-*"))
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(UserError, match="not empty"):
        export_glossary(session, tenant_id, foreign, base_url=BASE, use_llm=False)
    assert (foreign / "notes.txt").read_text() == "keep me"
    with pytest.raises(UserError, match="base-url"):
        export_glossary(session, tenant_id, tmp_path / "x", base_url="glossaire.fr")


def test_other_tenants_are_not_exported(session, tenant_id, glossary, tmp_path) -> None:
    from core.tenancy import ensure_tenant
    from tests.fake_mistral.rows import add_concept

    other = ensure_tenant(session, f"{tenant_id}_b")
    add_concept(session, other, "99999999", {"fr": "Secret d'un autre"})

    export_glossary(session, tenant_id, tmp_path / "s", base_url=BASE, use_llm=False)

    assert not list((tmp_path / "s").rglob("*99999999*"))
    assert "Secret" not in (tmp_path / "s" / "fr" / "index.html").read_text(encoding="utf-8")


def test_long_definitions_are_summarised_by_the_llm_when_configured(
    session, tenant_id, glossary, tmp_path, llm: LLM, fake
) -> None:
    fake.state.script(ok(json.dumps({"summary": "Tour : machine qui usine par rotation."})))
    report = export_glossary(session, tenant_id, tmp_path / "a", base_url=BASE, llm=llm)

    assert report.descriptions == {"definition": 1, "llm": 1, "generated": 3}
    _, page = page_for(tmp_path / "a", "fr", "42621100")
    assert page.meta["description"] == "Tour : machine qui usine par rotation."
    assert len(fake.state.requests) == 1  # only the definition longer than 160 characters

    fake.state.script(malformed("x"), malformed("y"))  # the LLM fails: a clean cut instead
    report = export_glossary(session, tenant_id, tmp_path / "b", base_url=BASE, llm=llm)
    assert report.descriptions["clipped"] == 1
    _, page = page_for(tmp_path / "b", "fr", "42621100")
    assert page.meta["description"].endswith("…")
    assert len(page.meta["description"]) <= 160


def test_export_glossary_command(engine, tenant_id, tmp_path) -> None:
    from core.cli.main import app
    from core.db import session_scope
    from tests.fake_mistral.rows import add_concept

    with session_scope() as s:
        add_concept(s, tenant_id, "1", {"fr": "Tours", "en": "Lathes"})
    runner = CliRunner()

    result = runner.invoke(
        app, ["export-glossary", "-t", tenant_id, "--out", str(tmp_path / "w"), "--base-url", BASE]
    )

    assert result.exit_code == 0, result.output
    assert "2 page(s) for 1 validated concept(s)" in result.output
    assert (tmp_path / "w" / "en" / "lathes-1.html").is_file()
    bad = runner.invoke(
        app, ["export-glossary", "-t", tenant_id, "--out", str(tmp_path / "v"), "--base-url", "x"]
    )
    assert bad.exit_code == 2
    assert "invalid --base-url" in bad.output
