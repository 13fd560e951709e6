"""Plotly figures of market tension, shared by the HTML report and the workbench page.

Each builder takes the DataFrames of ``core.market.tension`` / ``indicators`` and a language
(``"fr"`` or ``"en"``) and returns a ``plotly.graph_objects.Figure``. Small samples
(``low_confidence``) are always drawn differently — hollow grey markers, hatched or pale
bars, greyed table rows — so nobody reads them as certain.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from core.market.tension import COMPONENTS, ranked, used_components

LOW_CONFIDENCE_COLOR = "#9e9e9e"
TENSION_SCALE = "RdBu_r"  # blue = slack, red = tension
COMPONENT_COLORS = {
    "tightness": "#d62728",
    "demand_dynamics": "#ff7f0e",
    "supply_dynamics": "#8c564b",
    "concentration": "#9467bd",
    "unmet": "#e377c2",
    "search": "#17becf",
}


def _t(lang: str, fr: str, en: str) -> str:
    """French or English text.

    >>> _t("en", "Demande", "Demand")
    'Demand'
    """
    return fr if lang == "fr" else en


def _name(row: pd.Series, lang: str) -> str:
    """Display name of a unit row (concept, branch or région)."""
    for fr, en in (
        ("label", "label_en"),
        ("branch_label", "branch_label_en"),
        ("region_name", "region_name_en"),
    ):
        if fr in row.index:
            return str(row[en] if lang == "en" and en in row.index else row[fr])
    return str(row.get("period", ""))


def _layout(fig: go.Figure, title: str, **extra: Any) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01},
        template="plotly_white",
        margin={"l": 40, "r": 20, "t": 60, "b": 40},
        **extra,
    )
    return fig


def _color_of(value: float, low: float = -2.0, high: float = 2.0) -> str:
    """Colour of an index value on the tension scale (clipped to ±2).

    >>> _color_of(0.0).startswith("rgb")
    True
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return LOW_CONFIDENCE_COLOR
    position = (min(max(value, low), high) - low) / (high - low)
    return str(sample_colorscale(TENSION_SCALE, [position])[0])


CHANGE_TICKS = (-0.9, -0.75, -0.5, 0.0, 1.0, 3.0, 9.0)
"""Changes marked on the quadrant's log axes (−90 % … +900 %)."""


def change_axis(values: pd.Series) -> dict[str, Any]:
    """Axis settings that draw smoothed log changes with percent tick labels.

    Rises and falls are symmetric on a log scale (×2 and ÷2 are equally far from 0).

    >>> change_axis(pd.Series([0.0]))["ticktext"][:3]
    ['−50 %', '0', '+100 %']
    """
    span = max(0.8, float(values.abs().max() if len(values) else 0) * 1.15)
    ticks = [(math.log1p(p), p) for p in CHANGE_TICKS if abs(math.log1p(p)) <= span * 1.05]
    return {
        "range": [-span, span],
        "tickvals": [t for t, _ in ticks],
        "ticktext": [f"{p * 100:+.0f} %".replace("+0 %", "0").replace("-", "−") for _, p in ticks],
        "zeroline": False,
    }


def tension_quadrant(index: pd.DataFrame, *, lang: str = "fr") -> go.Figure:
    """Demand change (x) against supply change (y), one point per unit (CBS-style quadrant).

    Below the diagonal demand grows faster than supply: tension builds. Point size follows
    the number of demands, colour the tension index; small samples are hollow and grey.
    """
    fig = go.Figure()
    if index.empty:
        return _layout(fig, _t(lang, "Quadrant de tension (aucune donnée)", "Tension quadrant"))
    data = index.assign(
        x=index["demand_log_change"].fillna(0).astype("float64"),
        y=index["supply_log_change"].fillna(0).astype("float64"),
        x_pct=np.expm1(index["demand_log_change"].fillna(0).astype("float64")) * 100,
        y_pct=np.expm1(index["supply_log_change"].fillna(0).astype("float64")) * 100,
        name=[_name(r, lang) for _, r in index.iterrows()],
        size=8 + 4 * np.sqrt(index["demands"].astype("float64")),
    )
    hover = _t(
        lang,
        "<b>%{text}</b><br>demande %{customdata[1]:+.0f} %<br>offre %{customdata[2]:+.0f} %"
        "<br>indice %{customdata[0]:.2f}<extra></extra>",
        "<b>%{text}</b><br>demand %{customdata[1]:+.0f}%<br>supply %{customdata[2]:+.0f}%"
        "<br>index %{customdata[0]:.2f}<extra></extra>",
    )
    reliable = data[~data["low_confidence"]]
    small = data[data["low_confidence"]]
    if len(reliable):
        fig.add_trace(
            go.Scatter(
                x=reliable["x"],
                y=reliable["y"],
                mode="markers",
                text=reliable["name"],
                customdata=reliable[["tension_index", "x_pct", "y_pct"]].to_numpy(),
                hovertemplate=hover,
                name=_t(lang, "effectif suffisant", "enough data"),
                marker={
                    "size": reliable["size"],
                    "color": reliable["tension_index"],
                    "colorscale": TENSION_SCALE,
                    "cmid": 0,
                    "colorbar": {"title": _t(lang, "indice", "index")},
                    "line": {"width": 1, "color": "#333"},
                },
            )
        )
    if len(small):
        fig.add_trace(
            go.Scatter(
                x=small["x"],
                y=small["y"],
                mode="markers",
                text=small["name"],
                customdata=small[["tension_index", "x_pct", "y_pct"]].to_numpy(),
                hovertemplate=hover,
                name=_t(lang, "petit effectif (indicatif)", "small sample (indicative)"),
                marker={
                    "size": small["size"],
                    "symbol": "circle-open",
                    "color": LOW_CONFIDENCE_COLOR,
                    "line": {"width": 2},
                },
            )
        )
    fig.add_hline(y=0, line={"color": "#bbb", "width": 1})
    fig.add_vline(x=0, line={"color": "#bbb", "width": 1})
    axis = change_axis(pd.concat([data["x"], data["y"]]))
    span = axis["range"][1]
    fig.add_trace(
        go.Scatter(
            x=[-span, span],
            y=[-span, span],
            mode="lines",
            line={"dash": "dot", "color": "#999"},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    corners = [
        (span, -span, _t(lang, "demande ↑ offre ↓ : tension", "demand ↑ supply ↓: tension")),
        (-span, span, _t(lang, "demande ↓ offre ↑ : détente", "demand ↓ supply ↑: slack")),
    ]
    for x, y, text in corners:
        fig.add_annotation(
            x=x * 0.7, y=y * 0.95, text=text, showarrow=False, font={"color": "#666"}
        )
    periods = ""
    if "previous_period" in index and index["previous_period"].notna().any():
        periods = f" ({index['previous_period'].dropna().iloc[0]} → "
        periods += f"{index['current_period'].dropna().iloc[0]})"
    return _layout(
        fig,
        _t(lang, "Quadrant de tension", "Tension quadrant") + periods,
        xaxis={
            **axis,
            "title": _t(lang, "Évolution de la demande (lissée)", "Demand change (smoothed)"),
        },
        yaxis={
            **axis,
            "title": _t(lang, "Évolution de l'offre (lissée)", "Supply change (smoothed)"),
        },
        legend={"orientation": "h", "y": -0.15},
    )


def tension_treemap(
    by_branch: pd.DataFrame, concepts: pd.DataFrame, *, lang: str = "fr"
) -> go.Figure:
    """Tension over the taxonomy: boxes sized by demands, coloured by the branch index.

    Args:
        by_branch: ``tension_index(facts, by="branch")``.
        concepts: ``facts.concepts`` (their paths give the tree).
        lang: fr or en.
    """
    fig = go.Figure()
    if by_branch.empty:
        return _layout(fig, _t(lang, "Tension par branche (aucune donnée)", "Tension by branch"))
    parent_of: dict[str, str] = {}
    for path in concepts["path"].dropna():
        parts = path.split("/")
        for parent, child in zip(parts, parts[1:], strict=False):
            parent_of.setdefault(child, parent)
    present = set(by_branch["branch_code"])
    demands = dict(zip(by_branch["branch_code"], by_branch["demands"], strict=True))
    children_total: dict[str, float] = {}
    for code in present:
        parent = parent_of.get(code)
        if parent is not None and parent in present:
            children_total[parent] = children_total.get(parent, 0) + demands[code]
    ids, parents, values, colors, labels, hovers = [], [], [], [], [], []
    for _, row in by_branch.iterrows():
        code = row["branch_code"]
        parent = parent_of.get(code)
        ids.append(code)
        parents.append(parent if parent in present else "")
        values.append(max(float(row["demands"]) - children_total.get(code, 0.0), 0.0))
        small = bool(row["low_confidence"])
        colors.append(LOW_CONFIDENCE_COLOR if small else _color_of(row["tension_index"]))
        name = _name(row, lang)
        labels.append(f"{code} {name}" + (" ⚠" if small else ""))
        hovers.append(
            f"{name}<br>{_t(lang, 'indice', 'index')} {row['tension_index']:+.2f}"
            f"<br>{_t(lang, 'demandes', 'demands')} {row['demands']}, "
            f"{_t(lang, 'fournisseurs', 'suppliers')} {row['suppliers']}"
            + (f"<br>{_t(lang, 'petit effectif', 'small sample')}" if small else "")
        )
    fig.add_trace(
        go.Treemap(
            ids=ids,
            parents=parents,
            values=values,
            labels=labels,
            branchvalues="remainder",
            maxdepth=3,
            marker={"colors": colors},
            hovertext=hovers,
            hoverinfo="text",
        )
    )
    return _layout(
        fig,
        _t(
            lang,
            "Tension sur la taxonomie (rouge = tendu, bleu = détendu, gris = petit effectif)",
            "Tension over the taxonomy (red = tense, blue = slack, grey = small sample)",
        ),
    )


def demand_supply_timeseries(
    series: pd.DataFrame, *, title: str = "", lang: str = "fr"
) -> go.Figure:
    """Demands and active suppliers per period (rows of ``demand_supply_ratio`` by period).

    Periods with a small sample get hollow markers.
    """
    fig = go.Figure()
    data = series.sort_values("period")
    small = data["low_confidence"].astype(bool) if len(data) else pd.Series(dtype=bool)
    for column, name, color in (
        ("demands", _t(lang, "demandes", "demands"), "#d62728"),
        ("suppliers", _t(lang, "fournisseurs actifs", "active suppliers"), "#1f77b4"),
    ):
        fig.add_trace(
            go.Scatter(
                x=data["period"],
                y=data[column],
                mode="lines+markers",
                name=name,
                line={"color": color},
                marker={
                    "size": 10,
                    "symbol": ["circle-open" if s else "circle" for s in small],
                    "color": [LOW_CONFIDENCE_COLOR if s else color for s in small],
                },
            )
        )
    head = _t(lang, "Demande et offre par période", "Demand and supply by period")
    return _layout(
        fig,
        f"{head} — {title}" if title else head,
        xaxis_title=_t(lang, "période", "period"),
        yaxis_title=_t(lang, "nombre", "count"),
        xaxis={"type": "category"},
    )


def decomposition_bar(index: pd.DataFrame, *, top: int = 15, lang: str = "fr") -> go.Figure:
    """Each unit's index split into component contributions (stacked), most tense on top.

    Units with enough data come first (``tension.ranked``); small samples are pale and hatched.
    """
    fig = go.Figure()
    head = ranked(index).head(top).iloc[::-1]
    names = [_name(r, lang) + (" ⚠" if r["low_confidence"] else "") for _, r in head.iterrows()]
    small = head["low_confidence"].astype(bool).tolist() if len(head) else []
    for component in used_components(index):
        meta = COMPONENTS[component]
        fig.add_trace(
            go.Bar(
                y=names,
                x=head[f"{component}_contrib"],
                orientation="h",
                name=_t(lang, meta.label_fr, meta.label_en),
                marker={
                    "color": COMPONENT_COLORS.get(component, "#777"),
                    "opacity": [0.35 if s else 1.0 for s in small],
                    "pattern": {"shape": ["/" if s else "" for s in small]},
                },
                hovertemplate="%{y}: %{x:+.2f}<extra>"
                + _t(lang, meta.label_fr, meta.label_en)
                + "</extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            y=names,
            x=head["tension_index"] if len(head) else [],
            mode="markers",
            name=_t(lang, "indice", "index"),
            marker={"symbol": "diamond", "size": 10, "color": "#111"},
        )
    )
    return _layout(
        fig,
        _t(lang, "Décomposition de l'indice de tension", "Tension index decomposition"),
        barmode="relative",
        xaxis_title=_t(lang, "contribution (écarts-types)", "contribution (standard deviations)"),
        height=max(350, 28 * len(head) + 150),
        legend={"orientation": "h", "y": -0.2},
    )


def region_bar(by_region: pd.DataFrame, *, lang: str = "fr") -> go.Figure:
    """Tension index by French région; small samples are hollow grey bars.

    The hover gives the demand/supply ratio with its 95 % interval.
    """
    fig = go.Figure()
    data = by_region.sort_values("tension_index", ascending=False)
    small = data["low_confidence"].astype(bool).tolist() if len(data) else []
    names = [_name(r, lang) for _, r in data.iterrows()]
    hover = [
        f"{name}<br>{_t(lang, 'demandes', 'demands')} {r['demands']}, "
        f"{_t(lang, 'fournisseurs', 'suppliers')} {r['suppliers']}<br>ratio "
        f"{_fmt(r['ratio'])} [{_fmt(r['ratio_low'])} – {_fmt(r['ratio_high'])}]"
        for name, (_, r) in zip(names, data.iterrows(), strict=True)
    ]
    fig.add_trace(
        go.Bar(
            x=names,
            y=data["tension_index"],
            hovertext=hover,
            hoverinfo="text",
            marker={
                "color": [
                    "rgba(0,0,0,0)" if s else _color_of(v)
                    for s, v in zip(small, data["tension_index"], strict=True)
                ],
                "line": {
                    "color": [LOW_CONFIDENCE_COLOR if s else "#333" for s in small],
                    "width": 1.5,
                },
            },
            name=_t(lang, "indice de tension", "tension index"),
        )
    )
    return _layout(
        fig,
        _t(
            lang,
            "Tension par région (contour gris = petit effectif)",
            "Tension by région (grey outline = small sample)",
        ),
        yaxis_title=_t(lang, "indice", "index"),
    )


def _fmt(value: object) -> str:
    """Compact number for hovers and tables.

    >>> _fmt(2.0), _fmt(float("inf")), _fmt(None)
    ('2.00', '∞', '–')
    """
    if value is None or not isinstance(value, int | float) or math.isnan(value):
        return "–"
    if math.isinf(value):
        return "∞"
    return f"{value:.2f}"


def scarcest_table(scarcest: pd.DataFrame, *, lang: str = "fr") -> go.Figure:
    """The scarcest concepts with their suppliers; small samples in grey italics-like tone."""
    small = scarcest["low_confidence"].astype(bool).tolist() if len(scarcest) else []
    font_colors = [LOW_CONFIDENCE_COLOR if s else "#111" for s in small]
    label_col = "label" if lang == "fr" else "label_en"
    driver_col = "driver_label" if lang == "fr" else "driver_label_en"
    header = [
        _t(lang, "code", "code"),
        _t(lang, "concept", "concept"),
        _t(lang, "indice", "index"),
        _t(lang, "moteur", "driver"),
        _t(lang, "demandes", "demands"),
        _t(lang, "fournisseurs", "suppliers"),
        _t(lang, "ratio [IC 95 %]", "ratio [95% CI]"),
        _t(lang, "fournisseurs connus", "known suppliers"),
    ]
    cells = [
        scarcest["code"].fillna("").tolist(),
        [
            f"{name}{' (petit effectif)' if s and lang == 'fr' else ''}"
            f"{' (small sample)' if s and lang != 'fr' else ''}"
            for name, s in zip(scarcest[label_col], small, strict=True)
        ],
        [f"{v:+.2f}" for v in scarcest["tension_index"]],
        scarcest[driver_col].tolist(),
        scarcest["demands"].tolist(),
        scarcest["suppliers"].tolist(),
        [
            f"{_fmt(r)} [{_fmt(lo)} – {_fmt(hi)}]"
            for r, lo, hi in zip(
                scarcest["ratio"], scarcest["ratio_low"], scarcest["ratio_high"], strict=True
            )
        ],
        scarcest["supplier_names"].tolist(),
    ]
    fig = go.Figure(
        go.Table(
            columnwidth=[70, 220, 60, 150, 70, 80, 130, 300],
            header={"values": header, "fill_color": "#eee", "align": "left"},
            cells={
                "values": cells,
                "align": "left",
                "font": {"color": [font_colors] * len(header)},
            },
        )
    )
    return _layout(
        fig,
        _t(lang, "Concepts les plus en tension", "Scarcest concepts"),
        height=max(300, 40 * len(scarcest) + 120),
    )
