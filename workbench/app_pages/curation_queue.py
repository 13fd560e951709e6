"""Curation queue: drafts by priority with their evidence; decide one by one or in bulk."""

from __future__ import annotations

from typing import Any

import streamlit as st

from workbench import auth, services, ui
from workbench.i18n import current_lang, t
from workbench.services import LOW_SCORE, Identity

STATUSES = ["draft", "validated", "rejected", "merged"]
CURRENT = "cq_current"
FLASH = "cq_flash"


def _flash(text: str) -> None:
    st.session_state[FLASH] = text


def _show_flash() -> None:
    text = st.session_state.pop(FLASH, None)
    if text:
        st.success(text)


def _filters(tenant: str, lang: str) -> dict[str, Any]:
    cols = st.columns([2, 3, 3, 2], vertical_alignment="bottom")
    statuses = cols[0].multiselect(t("status"), STATUSES, default=["draft"], key="cq_status")
    review = cols[3].checkbox(t("needs_review"), value=True, key="cq_review")
    rows = services.branches(tenant, lang)
    labels = {"": t("all_branches")}
    labels.update({b.path: f"{'· ' * (b.level - 1)}{b.code} — {b.label}" for b in rows})
    branch = cols[1].selectbox(
        t("branch"), list(labels), format_func=lambda k: labels[k], key="cq_branch"
    )
    search = cols[2].text_input(t("search"), key="cq_search")
    stale = cols[3].checkbox(t("stale_only"), key="cq_stale")
    return {
        "statuses": tuple(statuses or ["draft"]),
        "branch": branch or None,
        "search": search.strip() or None,
        "stale_only": stale,
        "needs_review": review,
    }


def _move(ids: list[int], current: int, step: int) -> None:
    index = ids.index(current) + step
    st.session_state[CURRENT] = ids[max(0, min(index, len(ids) - 1))]


def _after_action(ids: list[int], current: int, message: str) -> None:
    """Remember the next item of the list as it was before the action, then rerun."""
    index = ids.index(current)
    st.session_state[CURRENT] = ids[index + 1] if index + 1 < len(ids) else None
    _flash(message)
    st.rerun()


def _picked() -> None:
    st.session_state[CURRENT] = st.session_state["cq_pick"]


def _evidence(ev: Any, item: Any) -> None:
    concept = ev.concept
    st.subheader(f"{concept.label} · {concept.code or '—'} · #{concept.concept_id}")
    m = st.columns(5)
    m[0].metric(t("priority"), f"{item.priority:.2f}")
    m[1].metric(t("duplicate_risk"), f"{item.duplicate_risk:.2f}")
    m[2].metric(t("demand_total"), item.demand)
    m[3].metric(t("age_days"), f"{item.age_days:.0f}")
    m[4].metric(t("status"), concept.status)
    if concept.status_reason:
        st.caption(t("status_reason", why=concept.status_reason))
    if concept.stale_reason:
        st.warning(t("stale_because", why=concept.stale_reason))
    if "duplicate?" in item.reasons and item.duplicate_of:
        near = {n.concept_id: n.label for n in ev.neighbours}
        other = (
            f"« {near[item.duplicate_of]} » (#{item.duplicate_of})"
            if item.duplicate_of in near
            else f"#{item.duplicate_of}"
        )
        st.info(t("duplicate_hint", other=other, cos=f"{item.duplicate_risk:.2f}"))
    if not concept.has_embedding:
        st.info(t("no_embedding"))
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('sources')}**")
        for node in ev.nodes:
            crumbs = " › ".join(f"{code} {label}" for code, label in node.breadcrumbs)
            st.markdown(f"- `{node.taxonomy}` {crumbs} (v{node.version}, {node.status})")
        if not ev.nodes:
            st.caption(t("nothing"))
        st.markdown(f"**{t('texts')}**")
        ui.table(
            [
                {"field": x.field, "lang": x.lang, "text": x.text, "source": x.source,
                 "detail": x.detail}
                for x in ev.labels
            ]
        )  # fmt: skip
    with right:
        st.markdown(f"**{t('neighbours')}**")
        ui.table(
            [
                {"#": n.concept_id, "cosine": n.cosine, t("label"): n.label, t("code"): n.code,
                 t("status"): n.status, "proposal": n.proposal_id}
                for n in ev.neighbours
            ]
        )  # fmt: skip
        st.markdown(f"**{t('companies')}**")
        ui.table(
            [
                {"#": c.company_id, "name": c.name, "siren": c.siren, "why": c.reason,
                 "score": c.score}
                for c in ev.companies
            ]
        )  # fmt: skip
    with st.expander(t("samples"), expanded=bool(ev.demands or ev.queries or ev.examples)):
        cols = st.columns(3)
        cols[0].markdown(f"**{t('examples')}**")
        for text in ev.examples:
            cols[0].markdown(f"- {text}")
        cols[1].markdown(f"**{t('demands')}**")
        for text in ev.demands:
            cols[1].markdown(f"- {text}")
        cols[2].markdown(f"**{t('queries')}**")
        for text in ev.queries:
            cols[2].markdown(f"- {text}")


def _decision_form(user: Identity, tenant: str, lang: str, ev: Any, ids: list[int]) -> None:
    cid = ev.concept.concept_id
    st.markdown(f"#### {t('decision')}")
    search = st.text_input(t("merge_search"), key="cq_target_search")
    targets: dict[int, str] = {
        n.concept_id: f"{n.label} · {n.code or '—'} · #{n.concept_id} (cos {n.cosine:.2f})"
        for n in ev.neighbours
    }
    if search.strip():
        for choice in services.find_concepts(tenant, search, lang, exclude=(cid,)):
            targets.setdefault(choice.id, choice.text)
    options: list[int | None] = [*targets] or [None]
    with st.form("cq_decide", clear_on_submit=True, enter_to_submit=True):
        target = st.selectbox(
            t("merge_target"),
            options,
            format_func=lambda i: targets.get(i, "—") if i is not None else "—",
            key="cq_target",
        )
        reason = st.text_input(t("reason"), key="cq_reason")
        cols = st.columns(3)
        accept = cols[0].form_submit_button(
            t("act_accept"), type="primary", key="cq_accept", shortcut="Alt+A"
        )
        reject = cols[1].form_submit_button(t("act_reject"), key="cq_reject", shortcut="Alt+J")
        merge = cols[2].form_submit_button(t("act_merge"), key="cq_merge", shortcut="Alt+M")
        st.caption(t("keyboard_hint") + " Alt+A / Alt+J / Alt+M · Alt+P / Alt+N")
    if not (accept or reject or merge):
        return
    with ui.guarded():
        if accept:
            event = services.accept(user, tenant, cid, reason or None)
        elif reject:
            event = services.reject(user, tenant, cid, reason)
        else:
            if target is None:
                st.error(t("merge_target"))
                return
            event = services.merge(user, tenant, cid, int(target), reason or None)
        _after_action(ids, cid, t("done", what=f"{event.action} #{cid} (event {event.event_id})"))


def _edit_form(user: Identity, tenant: str, ev: Any) -> None:
    concept = ev.concept
    cid = concept.concept_id
    with st.expander(t("edit")), st.form(f"cq_edit_{cid}"):
        cols = st.columns(2)
        values: dict[str, dict[str, Any]] = {"labels": {}, "synonyms": {}, "definitions": {}}
        for col, lang in zip(cols, ("fr", "en"), strict=True):
            values["labels"][lang] = col.text_input(
                f"{t('label')} ({lang})", concept.labels.get(lang, ""), key=f"cq_lab_{lang}_{cid}"
            )
            synonyms = col.text_area(
                f"{t('synonyms_help')} ({lang})",
                "\n".join(concept.synonyms.get(lang, [])),
                key=f"cq_syn_{lang}_{cid}",
            )
            values["synonyms"][lang] = ui.lines(synonyms)
            values["definitions"][lang] = col.text_area(
                f"{t('definition')} ({lang})",
                concept.definitions.get(lang, ""),
                key=f"cq_def_{lang}_{cid}",
            )
        saved = st.form_submit_button(t("save_edit"), key=f"cq_save_{cid}", shortcut="Alt+E")
    if saved:
        with ui.guarded():
            event = services.edit(
                user, tenant, cid, labels=values["labels"], synonyms=values["synonyms"],
                definitions=values["definitions"],
            )  # fmt: skip
            _flash(t("done", what=f"edit #{cid} (event {event.event_id})"))
            st.rerun()


def _history(user: Identity, tenant: str, ev: Any) -> None:
    st.markdown(f"#### {t('history')}")
    if not ev.history:
        st.caption(t("nothing"))
    for event in ev.history:
        cols = st.columns([6, 1], vertical_alignment="center")
        when = event.created_at.strftime("%Y-%m-%d %H:%M") if event.created_at else ""
        fields = ", ".join(event.changed_fields())
        note = f" · {t('undone_by', id=event.undone_by)}" if event.undone_by else ""
        cols[0].markdown(
            f"`#{event.event_id}` **{event.action}** · {event.actor} · {when}"
            f"{' · ' + event.reason if event.reason else ''} · _{fields}_{note}"
        )
        if event.undone_by is None and cols[1].button(t("undo"), key=f"cq_undo_{event.event_id}"):
            with ui.guarded():
                services.undo(user, tenant, event.event_id)
                _flash(t("done", what=f"undo #{event.event_id}"))
                st.rerun()


def _queue_tab(user: Identity, tenant: str, lang: str, items: list[Any]) -> None:
    if not items:
        st.success(t("queue_empty"))
        return
    ids = [i.concept_id for i in items]
    by_id = {i.concept_id: i for i in items}
    remembered: Any = st.session_state.get(CURRENT)
    current: int = remembered if remembered in by_id else ids[0]
    st.session_state[CURRENT] = current
    st.caption(t("queue_count", n=len(items)))
    ui.table(
        [
            {"#": i.concept_id, t("priority"): round(i.priority, 3), t("label"): i.label,
             t("code"): i.code, t("duplicate_risk"): i.duplicate_risk, t("demand"): i.demand,
             t("age_days"): round(i.age_days, 1), t("status"): i.status,
             t("why"): ", ".join(i.reasons)}
            for i in items[:200]
        ],
        height=220,
    )  # fmt: skip
    nav = st.columns([2, 7, 2], vertical_alignment="bottom")
    if nav[0].button(t("previous"), key="cq_prev", shortcut="Alt+P"):
        _move(ids, current, -1)
        st.rerun()
    st.session_state["cq_pick"] = current
    nav[1].selectbox(
        t("position", i=ids.index(current) + 1, n=len(ids)),
        ids,
        format_func=lambda i: f"{by_id[i].label} · {by_id[i].code or '—'} · #{i}",
        key="cq_pick",
        on_change=_picked,
    )
    if nav[2].button(t("next"), key="cq_next", shortcut="Alt+N"):
        _move(ids, current, 1)
        st.rerun()
    ev = services.evidence(tenant, current, lang)
    _evidence(ev, by_id[current])
    _decision_form(user, tenant, lang, ev, ids)
    _edit_form(user, tenant, ev)
    _history(user, tenant, ev)


def _bulk_tab(user: Identity, tenant: str, lang: str, items: list[Any]) -> None:
    n = len(items)
    st.write(t("bulk_intro", n=n))
    if not n:
        return
    search = st.text_input(t("merge_search"), key="cq_bulk_target_search")
    targets = {c.id: c.text for c in services.find_concepts(tenant, search, lang)}
    with st.form("cq_bulk"):
        action = st.radio(
            t("action"),
            ["accept", "reject", "merge"],
            format_func=lambda a: t(f"act_{a}"),
            horizontal=True,
            key="cq_bulk_action",
        )
        limit = st.number_input(t("bulk_limit"), 1, n, n, key="cq_bulk_limit")
        reason = st.text_input(t("reason"), key="cq_bulk_reason")
        target = st.selectbox(
            t("merge_target"),
            [None, *targets],
            format_func=lambda i: "—" if i is None else targets[i],
            key="cq_bulk_target",
        )
        confirm = st.checkbox(t("bulk_confirm", n=f"≤ {n}"), key="cq_bulk_confirm")
        run = st.form_submit_button(t("bulk_run"), type="primary", key="cq_bulk_run")
    if not run:
        return
    if not confirm:
        st.warning(t("bulk_need_confirm"))
        return
    with ui.guarded():
        chosen = [i.concept_id for i in items[: int(limit)]]
        events = services.bulk(
            user, tenant, chosen, action, reason=reason or None,
            into_id=int(target) if target is not None else None,
        )  # fmt: skip
        _flash(t("done", what=f"{action} × {len(events)}"))
        st.rerun()


def _candidates_tab(user: Identity, tenant: str, lang: str) -> None:
    st.caption(t("candidates_intro"))
    rows = services.candidate_queries(tenant, LOW_SCORE)
    ui.table(
        [
            {t("wording"): c.example, t("count"): c.count,
             t("best_score"): ui.fmt_score(c.best_score), "last": c.last_seen}
            for c in rows
        ]
    )  # fmt: skip
    if not rows:
        return
    with st.form("cq_propose"):
        wording = st.selectbox(t("wording"), [c.example for c in rows], key="cq_prop_wording")
        label = st.text_input(t("label"), key="cq_prop_label")
        go = st.form_submit_button(t("propose"), key="cq_prop_go")
    if go:
        with ui.guarded():
            counts = {c.example: c.count for c in rows}
            event = services.propose(
                user, tenant, label.strip() or wording, lang,
                reason=f"query log: '{wording}' × {counts.get(wording, 0)}",
            )  # fmt: skip
            st.session_state[CURRENT] = event.concept_id
            _flash(t("done", what=f"propose #{event.concept_id}"))
            st.rerun()


def _activity_tab(tenant: str) -> None:
    ui.table(
        [
            {"#": e.event_id, "concept": e.concept_id, t("action"): e.action, "actor": e.actor,
             "reason": e.reason, "at": e.created_at, "undone_by": e.undone_by}
            for e in services.recent_events(tenant)
        ]
    )  # fmt: skip


def render() -> None:
    """The page body."""
    user, tenant = auth.require_page("curation_queue")
    lang = current_lang()
    st.title(t("cq_title"))
    st.caption(t("cq_caption"))
    _show_flash()
    counts = services.status_counts(tenant)
    cols = st.columns(len(STATUSES))
    for col, status in zip(cols, STATUSES, strict=True):
        col.metric(status, counts.get(status, 0))
    filters = _filters(tenant, lang)
    items = services.queue(tenant, lang=lang, **filters)
    queue_tab, bulk_tab, cand_tab, activity_tab = st.tabs(
        [t("tab_queue"), t("tab_bulk"), t("tab_candidates"), t("tab_activity")]
    )
    with queue_tab, ui.guarded():
        _queue_tab(user, tenant, lang, items)
    with bulk_tab, ui.guarded():
        _bulk_tab(user, tenant, lang, items)
    with cand_tab, ui.guarded():
        _candidates_tab(user, tenant, lang)
    with activity_tab, ui.guarded():
        _activity_tab(tenant)


with ui.guarded():
    render()
