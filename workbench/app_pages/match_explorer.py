"""Match explorer: query → shortlist with score parts and explanations; why-not; A/B fusion."""

from __future__ import annotations

from typing import Any

import streamlit as st

from workbench import auth, charts, services, ui
from workbench.i18n import current_lang, t

RESULT = "me_result"
COMPARE = "me_compare"


def _fusion_widgets(
    prefix: str, container: Any, default_method: str = "weighted"
) -> dict[str, Any]:
    method = container.radio(
        t("fusion"),
        ["weighted", "rrf"],
        index=0 if default_method == "weighted" else 1,
        horizontal=True,
        key=f"{prefix}_method",
    )
    weight = container.slider(t("lexical_weight"), 0.0, 1.0, 0.6, 0.05, key=f"{prefix}_weight")
    k = container.number_input(t("rrf_k"), 1, 1000, 60, key=f"{prefix}_k")
    return {"method": method, "lexical_weight": float(weight), "rrf_k": int(k)}


def _filters(tenant: str, lang: str) -> dict[str, Any]:
    with st.expander(t("options"), expanded=False):
        cols = st.columns(3)
        company_search = cols[0].text_input(t("company_search"), key="me_company_search")
        companies = {c.id: c.text for c in services.find_companies(tenant, company_search)}
        company = cols[0].selectbox(
            t("company"),
            [None, *companies],
            format_func=lambda i: t("any_company") if i is None else companies[i],
            key="me_company",
        )
        rows = services.branches(tenant, lang)
        labels = {"": t("all_branches")}
        labels.update({b.path: f"{'· ' * (b.level - 1)}{b.code} — {b.label}" for b in rows})
        branch = cols[1].selectbox(
            t("branch"), list(labels), format_func=lambda k: labels[k], key="me_branch"
        )
        only_activated = cols[1].checkbox(t("only_activated"), key="me_only_activated")
        include_drafts = cols[1].checkbox(t("include_drafts"), key="me_drafts")
        fusion = _fusion_widgets("me", cols[2])
    return {
        "company_id": company,
        "branch": branch or None,
        "only_activated": only_activated,
        "include_drafts": include_drafts,
        **fusion,
    }


def _shortlist(result: Any, lang: str, *, chart: bool = True, key: str = "me") -> None:
    summary = result.summary_en if lang == "en" else result.summary_fr
    if summary:
        st.markdown(summary)
    st.caption(
        t("backend", b=result.vector_backend, ms=f"{result.latency_ms:.0f}", c=result.cache_hit)
    )
    for warning in result.warnings:
        st.warning(warning)
    if not result.shortlist:
        st.info(t("no_match"))
        return
    ui.table(
        [
            {"#": rank, t("label"): item.label, t("code"): item.code,
             "score": round(item.score, 4), "sources": ", ".join(item.sources),
             t("companies"): len(item.companies)}
            for rank, item in enumerate(result.shortlist, start=1)
        ]
    )  # fmt: skip
    if chart:
        figure = charts.score_parts_figure(result.shortlist, title=t("score_parts"))
        if figure is not None:
            st.plotly_chart(figure, key=f"{key}_chart")
    for rank, item in enumerate(result.shortlist, start=1):
        ex = item.explanation
        with st.expander(f"{rank}. {item.label} · {item.code or '—'} · {item.score:.3f}"):
            if ex is not None:
                st.markdown(ex.sentence_en if lang == "en" else ex.sentence_fr)
                if ex.example:
                    st.caption(f"{t('examples')}: {ex.example}")
            if item.path:
                st.caption(item.path)
            ui.table(
                [
                    {"#": c.company_id, "name": c.name, "siren": c.siren,
                     "score": round(c.score, 3), "claimed": c.is_claimed}
                    for c in item.companies
                ]
            )  # fmt: skip


def _why_not_tab(user: Any, tenant: str, lang: str) -> None:
    state = st.session_state.get(RESULT)
    if not state:
        st.info(t("run_first"))
        return
    search = st.text_input(t("merge_search"), key="me_why_search")
    choices = {
        c.id: c.text
        for c in services.find_concepts(
            tenant, search, lang, statuses=("draft", "validated", "rejected", "merged")
        )
    }
    if not choices:
        st.caption(t("nothing"))
        return
    with st.form("me_why_form"):
        concept = st.selectbox(
            t("why_not_concept"), list(choices), format_func=lambda i: choices[i]
        )
        asked = st.form_submit_button(t("why_not_run"), key="me_why_go")
    if asked and concept is not None:
        with ui.guarded():
            answer = services.why_not(user, tenant, state["query"], int(concept), state["options"])
            sentence = answer.sentence_en if lang == "en" else answer.sentence_fr
            st.markdown(f"**{answer.stage}** — {sentence}")
            ui.table(
                [
                    {"lexical rank": answer.lexical_rank, "vector rank": answer.vector_rank,
                     "fused": ui.fmt_score(answer.fused_score),
                     "cut-off": ui.fmt_score(answer.cutoff)}
                ]
            )  # fmt: skip


def _compare_tab(user: Any, tenant: str, lang: str, base: dict[str, Any]) -> None:
    state = st.session_state.get(RESULT)
    if not state:
        st.info(t("run_first"))
        return
    with st.form("me_compare_form"):
        left, right = st.columns(2)
        left.markdown(f"**{t('setting_a')}**")
        a = _fusion_widgets("me_a", left, "weighted")
        right.markdown(f"**{t('setting_b')}**")
        b = _fusion_widgets("me_b", right, "rrf")
        go = st.form_submit_button(t("compare_run"), key="me_compare_go")
    if go:
        with ui.guarded():
            results = []
            for setting in (a, b):
                options = services.match_options(**{**base, **setting})
                results.append(services.match(user, tenant, state["query"], options))
            st.session_state[COMPARE] = results
    compared = st.session_state.get(COMPARE)
    if not compared:
        return
    left, right = st.columns(2)
    for col, result, name in zip((left, right), compared, ("a", "b"), strict=True):
        with col:
            _shortlist(result, lang, chart=False, key=f"me_{name}")
    ranks_a = {i.concept_id: r for r, i in enumerate(compared[0].shortlist, start=1)}
    ranks_b = {i.concept_id: r for r, i in enumerate(compared[1].shortlist, start=1)}
    labels = {i.concept_id: i.label for res in compared for i in res.shortlist}
    st.markdown(f"**{t('rank_changes')}**")
    ui.table(
        [
            {t("label"): labels[cid], "A": ranks_a.get(cid), "B": ranks_b.get(cid),
             "Δ": (ranks_a[cid] - ranks_b[cid]) if cid in ranks_a and cid in ranks_b else None}
            for cid in sorted(labels, key=lambda c: (ranks_a.get(c, 99), ranks_b.get(c, 99)))
        ]
    )  # fmt: skip


def render() -> None:
    """The page body."""
    user, tenant = auth.require_page("match_explorer")
    lang = current_lang()
    st.title(t("me_title"))
    st.caption(t("me_caption"))
    filters = _filters(tenant, lang)
    with st.form("me_form", enter_to_submit=True):
        cols = st.columns([5, 1], vertical_alignment="bottom")
        query = cols[0].text_input(t("query"), placeholder=t("query_placeholder"), key="me_query")
        top_k = cols[1].number_input(t("top_k"), 1, 50, 10, key="me_top_k")
        submitted = st.form_submit_button(t("run_match"), type="primary", key="me_go")
    base = {**filters, "top_k": int(top_k)}
    if submitted:
        with ui.guarded():
            options = services.match_options(**base)
            result = services.match(user, tenant, query, options)
            st.session_state[RESULT] = {"query": query, "options": options, "result": result}
            st.session_state.pop(COMPARE, None)
    shortlist_tab, why_tab, compare_tab = st.tabs(
        [t("tab_shortlist"), t("tab_why_not"), t("tab_compare")]
    )
    with shortlist_tab, ui.guarded():
        state = st.session_state.get(RESULT)
        if state:
            _shortlist(state["result"], lang)
        else:
            st.caption(t("run_first"))
    with why_tab, ui.guarded():
        _why_not_tab(user, tenant, lang)
    with compare_tab, ui.guarded():
        _compare_tab(user, tenant, lang, base)


with ui.guarded():
    render()
