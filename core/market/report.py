"""A standalone HTML market-tension report that opens offline (plotly.js is embedded).

For people outside the workbench: the same indicators and charts as the dashboard page, a
short French/English explanation of the index and its drivers, and the small-sample caveat.
"""

from __future__ import annotations

import html
import os
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from core.errors import UserError
from core.market.facts import MarketFilters
from core.market.indicators import demand_supply_ratio
from core.market.tension import (
    COMPONENTS,
    DEFAULT_COMPONENTS,
    TensionView,
    describe_driver,
    headline,
    market_tension,
    ranked,
    used_components,
)
from core.market.units import MIN_COUNT

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1200px;color:#222;line-height:1.45;padding:0 1rem}
h1{margin-bottom:.2rem} h2{margin-top:2.2rem;border-bottom:1px solid #ddd}
.muted{color:#666} .kpis{display:flex;gap:1rem;flex-wrap:wrap}
.kpi{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;min-width:150px}
.kpi b{display:block;font-size:1.4rem} .caveat{background:#fff8e1;border-left:4px solid #f0b400;
padding:.6rem 1rem} .cols{display:grid;grid-template-columns:1fr 1fr;gap:1.5rem}
table.data{border-collapse:collapse;font-size:.85rem;width:100%}
table.data th,table.data td{border-bottom:1px solid #eee;padding:.25rem .4rem;text-align:left}
tr.low td{color:#9e9e9e}
"""


def _esc(value: object) -> str:
    return html.escape(str(value))


def _figure_html(fig: Any, *, first: bool) -> str:
    """A figure as an HTML fragment; the first one carries the whole plotly.js bundle."""
    return str(
        fig.to_html(
            full_html=False,
            include_plotlyjs=first,  # True embeds the bundle: no CDN
            config={"displaylogo": False, "responsive": True},
        )
    )


def _table(frame: pd.DataFrame, columns: dict[str, str], *, low: pd.Series | None = None) -> str:
    """A small HTML table; rows flagged in ``low`` are grey (small samples)."""
    if frame.empty:
        return "<p class='muted'>Aucune donnée / no data.</p>"
    head = "".join(f"<th>{_esc(title)}</th>" for title in columns.values())
    rows = []
    for position, (_, row) in enumerate(frame.iterrows()):
        css = " class='low'" if low is not None and bool(low.iloc[position]) else ""
        cells = "".join(f"<td>{_esc(_cell(row[c]))}</td>" for c in columns)
        rows.append(f"<tr{css}>{cells}</tr>")
    return f"<table class='data'><tr>{head}</tr>{''.join(rows)}</table>"


def _cell(value: object) -> str:
    """Readable cell text.

    >>> _cell(0.123456), _cell(float("nan")), _cell(True), _cell(["a", "b"])
    ('0.123', '–', 'oui / yes', 'a; b')
    """
    if isinstance(value, bool):
        return "oui / yes" if value else "non / no"
    if isinstance(value, float):
        if value != value:  # nan
            return "–"
        if value in (float("inf"), float("-inf")):
            return "∞"
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _explanation(components: list[str], min_count: int) -> str:
    items_fr = "".join(
        f"<li><b>{_esc(COMPONENTS[c].label_fr)}</b> : {_esc(COMPONENTS[c].meaning_fr)}</li>"
        for c in components
    )
    items_en = "".join(
        f"<li><b>{_esc(COMPONENTS[c].label_en)}</b>: {_esc(COMPONENTS[c].meaning_en)}</li>"
        for c in components
    )
    return f"""
<div class="cols">
<div lang="fr"><h3>Lire l'indice</h3>
<p>L'indice de tension suit l'esprit de l'indicateur de tensions de la DARES : chaque
composante est centrée-réduite sur l'ensemble des concepts (0 = situation moyenne,
+1 = un écart-type plus tendu que la moyenne), puis l'indice est la moyenne de ces scores.
La moyenne et l'écart-type de référence sont ceux des concepts ayant assez de demandes, et
chaque score est pondéré par sa <b>crédibilité</b> n / (n + {min_count}) : un petit effectif
est ramené vers la moyenne. La <b>contribution</b> d'une composante est sa part de l'indice ;
les contributions s'additionnent exactement à l'indice. Le <b>moteur</b> est la composante
qui pousse le plus l'indice dans son sens.</p><ul>{items_fr}</ul>
<p>L'offre compte les fournisseurs distincts ayant gagné un marché sur le concept, publié une
offre ou étant activés dessus ; chaque entreprise compte une fois.</p></div>
<div lang="en"><h3>Reading the index</h3>
<p>The tension index follows the DARES labour-market tension indicator: each component is
standardised across concepts (0 = average, +1 = one standard deviation tenser than
average) and the index is the mean of these scores. The reference mean and spread come from
concepts with enough demands, and each score is weighed by its <b>credibility</b>
n / (n + {min_count}), which pulls small samples towards average. A component's
<b>contribution</b> is its share of the index; contributions add up to the index exactly.
The <b>driver</b> is the component pushing the index furthest in its own direction.</p>
<ul>{items_en}</ul>
<p>Supply counts the distinct suppliers that won a contract on the concept, posted an offer
or are activated on it; each company counts once.</p></div>
</div>"""


def _caveat(min_count: int, low: int, total: int) -> str:
    return f"""
<div class="caveat">
<p lang="fr"><b>Petits effectifs.</b> {low} concept(s) sur {total} reposent sur moins de
{min_count} demandes : leurs valeurs sont indicatives, jamais certaines. Les graphiques les
montrent en gris, creux ou hachurés ; les ratios et parts portent un intervalle de confiance à
95 % (Wilson pour les parts, Poisson conditionnel pour les ratios).</p>
<p lang="en"><b>Small samples.</b> {low} of {total} concept(s) rest on fewer than
{min_count} demands: their values are indicative, never certain. Charts draw them grey,
hollow or hatched; ratios and shares carry 95% confidence intervals (Wilson for shares,
conditional Poisson for ratios).</p>
</div>"""


def render_report(view: TensionView, *, title: str, min_count: int = MIN_COUNT) -> str:
    """The report as one HTML string (figures + tables), plotly.js embedded once."""
    from core.market import charts

    numbers = headline(view)
    index = view.index
    facts = view.facts
    whole = demand_supply_ratio(facts, by="period", min_count=min_count)
    figures = [
        charts.tension_quadrant(index, lang="fr"),
        charts.decomposition_bar(index, top=15, lang="fr"),
        charts.tension_treemap(view.by_branch, facts.concepts, lang="fr"),
        charts.region_bar(view.by_region, lang="fr"),
        charts.demand_supply_timeseries(whole, title="tout le marché / whole market"),
    ]
    if len(index):
        top = index.iloc[0]
        rows = view.series[view.series["concept_id"] == top["concept_id"]]
        figures.append(
            charts.demand_supply_timeseries(rows, title=f"{top['code']} {top['label']}")
        )
    figures.append(charts.scarcest_table(view.scarcest, lang="fr"))
    parts = [_figure_html(fig, first=i == 0) for i, fig in enumerate(figures)]

    drivers_fr = "".join(
        f"<li>{_esc(describe_driver(row.to_dict(), 'fr'))}</li>"
        for _, row in ranked(index).head(5).iterrows()
    )
    drivers_en = "".join(
        f"<li>{_esc(describe_driver(row.to_dict(), 'en'))}</li>"
        for _, row in ranked(index).head(5).iterrows()
    )
    kpis = [
        ("Concepts", numbers["concepts"]),
        ("Demandes / demands", numbers["demands"]),
        ("Fournisseurs / suppliers", numbers["suppliers"]),
        ("Petits effectifs / small samples", numbers["low_confidence_concepts"]),
        ("Non classées / unclassified", numbers["unclassified_demands"]),
        ("Périodes comparées / periods", numbers["periods"]),
    ]
    kpi_html = "".join(f"<div class='kpi'>{_esc(k)}<b>{_esc(v)}</b></div>" for k, v in kpis)
    notes = "".join(f"<li>{_esc(n)}</li>" for n in facts.notes)
    table_columns = {
        "code": "code",
        "label": "concept",
        "tension_index": "indice / index",
        "driver_label": "moteur / driver",
        "demands": "demandes / demands",
        "suppliers": "fournisseurs / suppliers",
        "ratio": "ratio",
        "ratio_low": "IC bas / CI low",
        "ratio_high": "IC haut / CI high",
        "demand_growth": "Δ demande / demand",
        "supply_growth": "Δ offre / supply",
        "hhi": "HHI",
        "unmet_share": "non satisfaite / unmet",
        "n": "n",
    }
    search = view.search
    search_html = _table(
        search.head(15),
        {
            "code": "code",
            "label": "concept",
            "searches": "recherches / searches",
            "not_found": "sans réponse / not found",
            "examples": "exemples / examples",
        },
    )
    components = used_components(index) or list(DEFAULT_COMPONENTS)
    ordered = ranked(index)
    generated = datetime.now().strftime("%Y-%m-%d %H:%M")
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_esc(title)}</title><style>{_STYLE}</style></head>
<body>
<h1>{_esc(title)}</h1>
<p class="muted">Tenant <code>{_esc(facts.tenant_id)}</code> · {_esc(facts.filters.describe())}
· période / period: {_esc(facts.freq)} · généré le / generated {generated}</p>
<div class="kpis">{kpi_html}</div>
<h2>Ce qui tire la tension / What drives tension</h2>
<div class="cols"><div lang="fr"><ol>{drivers_fr}</ol></div>
<div lang="en"><ol>{drivers_en}</ol></div></div>
{_caveat(min_count, int(numbers["low_confidence_concepts"]), int(numbers["concepts"]))}
{_explanation(components, min_count)}
<h2>Graphiques / Charts</h2>
{"".join(parts)}
<h2>Indicateurs par concept / Indicators by concept</h2>
{_table(ordered, table_columns, low=ordered["low_confidence"] if len(ordered) else None)}
<h2>Recherches sans réponse / Searched but not found</h2>
{search_html}
<h2>Notes</h2><ul>{notes or "<li>–</li>"}
<li>Source des demandes réelles : Données essentielles de la commande publique, data.gouv.fr
(Licence Ouverte 2.0) / real demands from French public procurement data.</li></ul>
</body></html>"""


def build_report(
    session: Session,
    tenant_id: str,
    out_path: str | Path,
    *,
    period_from: date | None = None,
    period_to: date | None = None,
    region: str | None = None,
    branch: str | None = None,
    freq: str = "Q",
    include_search: bool = True,
    min_count: int = MIN_COUNT,
    top: int = 20,
    title: str | None = None,
) -> Path:
    """Write the standalone HTML report and return its path.

    Args:
        session: open session (read only).
        tenant_id: the tenant.
        out_path: the ``.html`` file to write (its folder is created; written atomically).
        period_from, period_to, region, branch: filters (see ``MarketFilters``).
        freq: period granularity Y, H, Q (default) or M.
        include_search: add the "searched but not found" component from the query logs.
        min_count: fewer demands than this → flagged as a small sample.
        top: rows of the scarcest-concepts table.
        title: report title (default: "Tensions de marché / Market tension — <tenant>").
    """
    out = Path(out_path)
    if out.suffix.lower() not in (".html", ".htm"):
        raise UserError(f"the report is HTML: give a path ending in .html, not {out.name!r}")
    view = market_tension(
        session,
        tenant_id,
        MarketFilters(period_from=period_from, period_to=period_to, region=region, branch=branch),
        freq=freq,
        include_search=include_search,
        min_count=min_count,
        top=top,
    )
    text = render_report(
        view,
        title=title or f"Tensions de marché / Market tension — {view.facts.tenant_id}",
        min_count=min_count,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        Path(temp).chmod(0o644)  # a report is meant to be shared (mkstemp makes it 0600)
        Path(temp).replace(out)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return out
