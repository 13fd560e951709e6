"""Figures of the workbench (presentation only): a match's score parts per candidate."""

from __future__ import annotations

from typing import Any

PARTS = ("lexical", "vector", "fusion", "filters", "rerank")


def score_parts(shortlist: list[Any]) -> list[dict[str, Any]]:
    """One row per candidate and score part, from shortlist items with explanations.

    ``filters`` is 1 when the candidate passed every requested filter (the shortlist only
    holds those) and lists them in ``detail``; ``rerank`` is the number of places the LLM
    rerank moved it (0 when rerank was off).

    >>> from types import SimpleNamespace as NS
    >>> ex = NS(lexical_norm=0.8, vector_norm=0.5, fused_score=0.68, filters_passed=["branch"],
    ...         rerank_change=None, lexical_score=80.0, cosine=0.61)
    >>> rows = score_parts([NS(concept_id=1, label="Pompes", code="42122000", explanation=ex)])
    >>> [(r["part"], r["value"]) for r in rows]
    [('lexical', 0.8), ('vector', 0.5), ('fusion', 0.68), ('filters', 1.0), ('rerank', 0.0)]
    """
    rows: list[dict[str, Any]] = []
    for rank, item in enumerate(shortlist, start=1):
        ex = item.explanation
        if ex is None:
            continue
        name = f"{rank}. {item.label} ({item.code or item.concept_id})"
        values = {
            "lexical": (ex.lexical_norm, f"rapidfuzz {ex.lexical_score}"),
            "vector": (ex.vector_norm, f"cosine {ex.cosine}"),
            "fusion": (ex.fused_score, ""),
            "filters": (1.0, ", ".join(ex.filters_passed) or "—"),
            "rerank": (float(ex.rerank_change or 0), "positions"),
        }
        for part in PARTS:
            value, detail = values[part]
            rows.append(
                {"candidate": name, "part": part, "value": round(float(value), 4),
                 "detail": detail}
            )  # fmt: skip
    return rows


def score_parts_figure(shortlist: list[Any], *, title: str = "") -> Any:
    """Horizontal bars, one panel per score part, each on its own scale (plotly Figure)."""
    import pandas as pd
    import plotly.express as px

    frame = pd.DataFrame(score_parts(shortlist))
    if frame.empty:
        return None
    figure = px.bar(
        frame,
        x="value",
        y="candidate",
        color="part",
        facet_col="part",
        orientation="h",
        hover_data=["detail"],
        category_orders={"part": list(PARTS), "candidate": list(dict.fromkeys(frame.candidate))},
        title=title or None,
    )
    figure.update_xaxes(matches=None, title_text="")
    figure.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
    figure.update_layout(
        showlegend=False,
        height=max(240, 120 + 48 * frame.candidate.nunique()),
        margin={"l": 10, "r": 10},
    )
    figure.update_yaxes(title_text="")
    return figure
