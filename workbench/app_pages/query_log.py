"""Query log: recent matches with filters, their stored explanation, and candidate concepts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import streamlit as st

from workbench import auth, services, ui
from workbench.i18n import current_lang, t


def _filters() -> dict[str, Any]:
    cols = st.columns([3, 2, 2, 3], vertical_alignment="bottom")
    today = date.today()
    period = cols[0].date_input(
        t("date_range"), (today - timedelta(days=30), today), key="ql_period"
    )
    since, until = (
        (period[0], period[-1]) if isinstance(period, tuple) and period else (None, None)
    )
    no_result = cols[1].checkbox(t("no_result_only"), key="ql_no_result")
    low = cols[1].checkbox(t("low_score_only"), key="ql_low")
    threshold = cols[2].slider(t("low_score"), 0.0, 1.0, services.LOW_SCORE, 0.05, key="ql_thr")
    search = cols[3].text_input(t("search"), key="ql_search")
    return {
        "since": since,
        "until": until,
        "no_result_only": no_result,
        "max_top_score": float(threshold) if low else None,
        "search": search.strip() or None,
    }


def _detail(tenant: str, request_id: str, lang: str) -> None:
    detail = services.log_detail(tenant, request_id, lang)
    st.subheader(f"« {detail.query} »")
    when = detail.created_at.strftime("%Y-%m-%d %H:%M:%S") if detail.created_at else ""
    st.caption(
        f"{detail.request_id} · {when} · {detail.source} · {detail.latency_ms:.0f} ms · "
        f"cache {detail.cache_hit} · index {detail.index_version or '—'}"
    )
    rationale = detail.rationale or {}
    summary = rationale.get("summary_en" if lang == "en" else "summary_fr")
    if summary:
        st.markdown(summary)
    ui.table(
        [
            {"#": rank, "concept": cid, t("label"): label, "score": ui.fmt_score(score)}
            for rank, (cid, label, score) in enumerate(detail.shortlist, start=1)
        ]
    )  # fmt: skip
    key = "sentence_en" if lang == "en" else "sentence_fr"
    for item in rationale.get("explanations") or rationale.get("candidates") or []:
        if isinstance(item, dict) and item.get(key):
            st.markdown(f"- {item[key]}")
    with st.expander(t("stored_explanation")):
        st.json(rationale)
    with st.expander(t("options")):
        st.json(detail.options)


def render() -> None:
    """The page body."""
    user, tenant = auth.require_page("query_log")
    lang = current_lang()
    st.title(t("ql_title"))
    st.caption(t("ql_caption"))
    filters = _filters()
    rows = services.recent_logs(tenant, lang=lang, **filters)
    if not rows:
        st.info(t("no_logs"))
    else:
        ui.table(
            [
                {"at": r.created_at, t("query"): r.query, "results": r.result_count,
                 "top": ui.fmt_score(r.top_score), t("label"): r.top_label,
                 "ms": round(r.latency_ms), "cache": r.cache_hit, "source": r.source}
                for r in rows
            ],
            height=300,
        )  # fmt: skip
        names = {str(r.request_id): f"{r.query} · {ui.fmt_score(r.top_score)}" for r in rows}
        chosen = st.selectbox(
            t("open_log"),
            [None, *names],
            format_func=lambda k: "—" if k is None else names[k],
            key="ql_open",
        )
        if chosen:
            with ui.guarded():
                _detail(tenant, chosen, lang)
    st.markdown(f"### {t('tab_candidates')}")
    st.caption(t("candidates_intro"))
    with ui.guarded():
        candidates = services.candidate_queries(tenant, services.LOW_SCORE)
        ui.table(
            [
                {t("wording"): c.example, t("count"): c.count,
                 t("best_score"): ui.fmt_score(c.best_score), "last": c.last_seen}
                for c in candidates
            ]
        )  # fmt: skip
        if candidates and user.can("curate"):
            st.caption(t("cq_title") + " → " + t("tab_candidates"))


with ui.guarded():
    render()
