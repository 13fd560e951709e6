"""Market tension: the composite index, its drivers and the scarcest concepts, with filters.

UI only: every number and figure comes from ``core.market`` through ``workbench.services``.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from workbench import auth, services, ui
from workbench.i18n import current_lang, t

TEXT: dict[str, tuple[str, str]] = {
    "caption": (
        "Indice composite de tension par concept, dans l'esprit de l'indicateur de la DARES : "
        "composantes centrées-réduites (demande/offre, dynamique de la demande, concentration "
        "des fournisseurs, demande non satisfaite, recherches sans réponse), pondérées par "
        "leur crédibilité n/(n+5). Les demandes réelles viennent des marchés publics (DECP).",
        "Composite tension index per concept, in the spirit of the DARES indicator: "
        "standardised components (demand/supply, demand dynamics, supplier concentration, "
        "unmet demand, searched but not found), weighed by their credibility n/(n+5). Real "
        "demands come from French public procurement (DECP).",
    ),
    "period": ("Période", "Period"),
    "region": ("Région", "Région"),
    "branch": ("Branche", "Branch"),
    "freq": ("Granularité", "Granularity"),
    "all": ("Toutes", "All"),
    "freq_Q": ("Trimestre", "Quarter"),
    "freq_H": ("Semestre", "Half-year"),
    "freq_M": ("Mois", "Month"),
    "freq_Y": ("Année", "Year"),
    "concepts": ("Concepts", "Concepts"),
    "demands": ("Demandes", "Demands"),
    "suppliers": ("Fournisseurs", "Suppliers"),
    "small": ("Petits effectifs", "Small samples"),
    "compared": ("Périodes comparées", "Periods compared"),
    "caveat": (
        "{n} concept(s) reposent sur moins de 5 demandes : valeurs indicatives, jamais "
        "certaines (marqueurs gris/creux, barres hachurées, lignes grisées ; intervalles à 95 %).",
        "{n} concept(s) rest on fewer than 5 demands: indicative values, never certain (grey/"
        "hollow markers, hatched bars, greyed rows; 95% intervals).",
    ),
    "drivers": ("Ce qui tire la tension", "What drives tension"),
    "tab_quadrant": ("Quadrant", "Quadrant"),
    "tab_treemap": ("Taxonomie", "Taxonomy"),
    "tab_decomposition": ("Décomposition", "Decomposition"),
    "tab_regions": ("Régions", "Régions"),
    "tab_series": ("Série temporelle", "Time series"),
    "whole_market": ("Tout le marché", "Whole market"),
    "concept": ("Concept", "Concept"),
    "scarcest": ("Concepts les plus en tension", "Scarcest concepts"),
    "csv_scarcest": ("Exporter ce tableau (CSV)", "Export this table (CSV)"),
    "csv_index": ("Exporter tous les indicateurs (CSV)", "Export every indicator (CSV)"),
    "empty": (
        "Aucune demande sur un concept avec ces filtres : importez des demandes "
        "(`marketlounge import-market`) puis `marketlounge market classify`.",
        "No demand on a concept with these filters: import demands "
        "(`marketlounge import-market`) then `marketlounge market classify`.",
    ),
    "col_code": ("Code", "Code"),
    "col_label": ("Concept", "Concept"),
    "col_index": ("Indice", "Index"),
    "col_driver": ("Moteur", "Driver"),
    "col_ratio": ("Demandes / fournisseur", "Demands per supplier"),
    "col_ci": ("IC 95 %", "95% CI"),
    "col_unmet": ("Non satisfaite", "Unmet"),
    "col_small": ("Petit effectif", "Small sample"),
    "col_suppliers_names": ("Fournisseurs connus", "Known suppliers"),
}


def _t(key: str, **values: Any) -> str:
    """This page's text in the session language."""
    fr, en = TEXT[key]
    text = en if current_lang() == "en" else fr
    return text.format(**values) if values else text


def _filters(tenant: str, lang: str) -> dict[str, Any]:
    choices = services.market_choices(tenant)
    cols = st.columns([3, 2, 3, 1], vertical_alignment="bottom")
    period_from = period_to = None
    if choices.first_day and choices.last_day:
        picked = cols[0].date_input(
            _t("period"),
            (choices.first_day, choices.last_day),
            key="mt_period",
        )
        full = (choices.first_day, choices.last_day)
        if isinstance(picked, tuple) and len(picked) == 2 and tuple(picked) != full:
            period_from, period_to = picked  # the full range keeps undated demands too
    # labels are computed now: format functions may be called outside the script run
    region_labels: dict[str | None, str] = {None: _t("all")}
    region_labels.update({r: services.market_region_name(r, lang) for r in choices.regions})
    region = cols[1].selectbox(
        _t("region"), list(region_labels), format_func=region_labels.__getitem__, key="mt_region"
    )
    branch_labels: dict[str | None, str] = {None: _t("all")}
    branch_labels.update(
        {
            code: f"{code} {fr if lang == 'fr' else en} ({n})"
            for code, fr, en, n in choices.branches
        }
    )
    branch = cols[2].selectbox(
        _t("branch"), list(branch_labels), format_func=branch_labels.__getitem__, key="mt_branch"
    )
    freq_labels = {f: _t(f"freq_{f}") for f in ("Q", "H", "M", "Y")}
    freq = cols[3].selectbox(
        _t("freq"), list(freq_labels), format_func=freq_labels.__getitem__, key="mt_freq"
    )
    return {
        "period_from": period_from,
        "period_to": period_to,
        "region": region,
        "branch": branch,
        "freq": freq,
    }


def _metrics(summary: dict[str, Any]) -> None:
    numbers = summary["numbers"]
    cols = st.columns(4)
    cols[0].metric(_t("concepts"), numbers["concepts"])
    cols[1].metric(_t("demands"), numbers["demands"])
    cols[2].metric(_t("suppliers"), numbers["suppliers"])
    cols[3].metric(_t("small"), numbers["low_confidence_concepts"])
    colon = " :" if current_lang() == "fr" else ":"
    st.caption(f"{_t('compared')}{colon} {numbers['periods']}")
    st.info(_t("caveat", n=numbers["low_confidence_concepts"]))


def _scarcest_table(view: Any, lang: str) -> None:
    st.markdown(f"### {_t('scarcest')}")
    table = view.scarcest
    shown = table.astype({"unmet_share": "float64", "ratio": "float64"}).assign(
        ci=[
            f"{ui.fmt_score(lo)} – {'∞' if hi == float('inf') else ui.fmt_score(hi)}"
            for lo, hi in zip(table["ratio_low"], table["ratio_high"], strict=True)
        ]
    )
    columns = {
        "code": _t("col_code"),
        "label" if lang == "fr" else "label_en": _t("col_label"),
        "tension_index": _t("col_index"),
        "driver_label" if lang == "fr" else "driver_label_en": _t("col_driver"),
        "demands": _t("demands"),
        "suppliers": _t("suppliers"),
        "ratio": _t("col_ratio"),
        "ci": _t("col_ci"),
        "unmet_share": _t("col_unmet"),
        "low_confidence": _t("col_small"),
        "supplier_names": _t("col_suppliers_names"),
    }
    display = shown[list(columns)].rename(columns=columns)
    st.dataframe(
        display.style.apply(
            lambda row: [
                "color: #9e9e9e" if row[_t("col_small")] else "" for _ in row
            ],
            axis=1,
        ).format({_t("col_index"): "{:+.2f}", _t("col_ratio"): "{:.2f}",
                  _t("col_unmet"): "{:.0%}"}, na_rep="–"),
        hide_index=True,
        key="mt_scarcest",
    )  # fmt: skip
    cols = st.columns(2)
    cols[0].download_button(
        _t("csv_scarcest"),
        display.to_csv(index=False).encode("utf-8"),
        file_name="scarcest_concepts.csv",
        mime="text/csv",
        key="mt_csv_scarcest",
    )
    cols[1].download_button(
        _t("csv_index"),
        services.market_ranked(view.index).to_csv(index=False).encode("utf-8"),
        file_name="market_tension.csv",
        mime="text/csv",
        key="mt_csv_index",
    )


def render() -> None:
    """The page body."""
    _user, tenant = auth.require_page("market_tension")
    lang = current_lang()
    st.title(t("market_tension"))
    st.caption(_t("caption"))
    filters = _filters(tenant, lang)
    view = services.market_view(tenant, **filters)
    if view.index.empty:
        st.info(_t("empty"))
        return
    summary = services.market_summary(view, lang)
    _metrics(summary)
    st.markdown(f"### {_t('drivers')}")
    for sentence in summary["sentences"]:
        st.markdown(f"- {sentence}")
    for note in summary["notes"]:
        st.caption(note)

    ranked = services.market_ranked(view.index)
    concept_names = {
        int(cid): f"{code} {label}"
        for cid, code, label in zip(
            ranked["concept_id"], ranked["code"], ranked["label" if lang == "fr" else "label_en"],
            strict=True,
        )
    }  # fmt: skip
    tabs = st.tabs(
        [_t(k) for k in ("tab_quadrant", "tab_treemap", "tab_decomposition", "tab_regions",
                         "tab_series")]
    )  # fmt: skip
    concept_labels: dict[int | None, str] = {None: _t("whole_market"), **concept_names}
    with tabs[4]:
        chosen = st.selectbox(
            _t("concept"),
            list(concept_labels),
            format_func=concept_labels.__getitem__,
            key="mt_concept",
        )
    figures = services.market_figures(view, lang, concept_id=chosen)
    for tab, name in zip(
        tabs, ("quadrant", "treemap", "decomposition", "regions", "series"), strict=True
    ):
        with tab:
            st.plotly_chart(figures[name], width="stretch", key=f"mt_fig_{name}")
    _scarcest_table(view, lang)


with ui.guarded():
    render()
