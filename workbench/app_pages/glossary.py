"""Glossary: browse the tree by path, search, node details, quality report, stale concepts."""

from __future__ import annotations

from typing import Any

import streamlit as st

from workbench import auth, services, ui
from workbench.i18n import current_lang, t

NODE = "gl_node"


def _open(node_id: int | None) -> None:
    st.session_state[NODE] = node_id


def _opened_from(key: str) -> None:
    st.session_state[NODE] = st.session_state.get(key)


def _node_picker(rows: list[Any], key: str, label: str) -> None:
    """A select box that opens the chosen node."""
    if not rows:
        return
    options = [None, *[r.node_id for r in rows]]
    names = {r.node_id: f"{r.code} — {r.label} ({r.children})" for r in rows}
    st.selectbox(
        label,
        options,
        format_func=lambda i: "—" if i is None else names[i],
        key=key,
        on_change=_opened_from,
        args=(key,),
    )


def _rows(nodes: list[Any]) -> list[dict[str, Any]]:
    return [
        {t("code"): n.code, t("label"): n.label, t("level"): n.level, "children": n.children,
         "taxonomy": n.taxonomy, t("status"): n.status}
        for n in nodes
    ]  # fmt: skip


def _details(tenant: str, lang: str, node_id: int) -> None:
    detail = services.node_detail(tenant, node_id, lang)
    crumbs = st.columns(min(len(detail.breadcrumbs) + 1, 8))
    if crumbs[0].button(t("home"), key="gl_home"):
        _open(None)
        st.rerun()
    for col, crumb in zip(crumbs[1:], detail.breadcrumbs[-7:], strict=False):
        if col.button(f"{crumb.code}", key=f"gl_crumb_{crumb.node_id}", help=crumb.label):
            _open(crumb.node_id)
            st.rerun()
    node = detail.node
    st.subheader(f"{node.code} — {node.label}")
    st.caption(
        " › ".join(c.label for c in detail.breadcrumbs)
        + f" · {node.taxonomy} · {t('level')} {node.level} ({detail.node_type})"
        + f" · {t('version')} {detail.version} · {node.status}"
    )
    left, right = st.columns(2)
    with left:
        ui.table(
            [
                {"lang": lang_, t("label"): text,
                 t("provenance"): (detail.provenance.get(f"label:{lang_}") or {}).get("source")}
                for lang_, text in sorted(detail.labels.items())
            ]
        )  # fmt: skip
        for lang_, text in sorted(detail.descriptions.items()):
            st.markdown(f"**{t('descriptions')} ({lang_})** {text}")
        if detail.technical_explanation:
            st.info(detail.technical_explanation)
    with right:
        st.markdown(f"**{t('derived_concepts')}**")
        ui.table(
            [
                {"#": c.concept_id, t("code"): c.code, t("label"): c.label,
                 t("status"): c.status, "stale": c.is_stale}
                for c in detail.concepts
            ]
        )  # fmt: skip
    st.markdown(f"**{t('children', n=len(detail.children))}**")
    ui.table(_rows(detail.children), height=260)
    _node_picker(detail.children, f"gl_child_{node_id}", t("open_node"))


def _tree_tab(tenant: str, lang: str) -> None:
    counts = services.taxonomies(tenant)
    if not counts:
        st.info(t("no_glossary"))
        return
    cols = st.columns([1, 2], vertical_alignment="bottom")
    taxonomy = cols[0].selectbox(
        t("taxonomy"),
        [None, *counts],
        format_func=lambda x: t("all_taxonomies") if x is None else f"{x} ({counts[x]})",
        key="gl_taxonomy",
    )
    search = cols[1].text_input(t("search"), key="gl_search")
    if search.strip():
        found = services.search_nodes(tenant, search, taxonomy, lang)
        st.markdown(f"**{t('results', n=len(found))}**")
        ui.table(_rows(found), height=220)
        _node_picker(found, "gl_found", t("open_node"))
    node_id = st.session_state.get(NODE)
    if node_id is None:
        roots = services.children(tenant, None, taxonomy, lang)
        st.markdown(f"**{t('roots')}**")
        ui.table(_rows(roots))
        _node_picker(roots, "gl_root", t("open_node"))
    else:
        _details(tenant, lang, int(node_id))


def _quality_tab(tenant: str) -> None:
    report = services.glossary_report(tenant)
    if report is None:
        st.info(t("no_report"))
        return
    when = report.finished_at.strftime("%Y-%m-%d %H:%M") if report.finished_at else "?"
    st.markdown(f"**{t('report_of', id=report.run_id, when=when)}** · {report.taxonomy or ''}")
    if report.counts:
        cols = st.columns(min(len(report.counts), 6))
        for col, (name, value) in zip(cols, list(report.counts.items())[:6], strict=False):
            col.metric(name, value)
    ui.table(report.quality)
    if report.levels:
        ui.table(report.levels)
    if report.warnings:
        with st.expander(f"{t('warnings')} ({len(report.warnings)})"):
            for warning in report.warnings[:100]:
                st.markdown(f"- {warning}")


def _stale_tab(tenant: str, lang: str) -> None:
    stale = services.stale_concepts(tenant, lang)
    if not stale:
        st.success(t("no_stale"))
        return
    ui.table(
        [
            {"#": c.concept_id, t("code"): c.code, t("label"): c.label, t("status"): c.status}
            for c in stale
        ]
    )


def render() -> None:
    """The page body."""
    _user, tenant = auth.require_page("glossary")
    lang = current_lang()
    st.title(t("gl_title"))
    st.caption(t("gl_caption"))
    tree, quality, stale = st.tabs([t("tab_tree"), t("tab_quality"), t("tab_stale")])
    with tree, ui.guarded():
        _tree_tab(tenant, lang)
    with quality, ui.guarded():
        _quality_tab(tenant)
    with stale, ui.guarded():
        _stale_tab(tenant, lang)


with ui.guarded():
    render()
