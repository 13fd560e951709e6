"""Plotly figures the build notebooks show (plotly is imported only when a figure is made)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from plotly.graph_objects import Figure


def glossary_tree_figure(nodes: pd.DataFrame, *, max_level: int = 3) -> Figure:
    """A sunburst of the glossary tree down to ``max_level`` (sector size = subtree size).

    Args:
        nodes: ``code, parent_code, level, label`` (``GlossaryBuildResult.nodes``).
        max_level: deepest level drawn; a full CPV has 9,454 nodes, three levels keep
            the figure readable and the notebook small.
    """
    import plotly.graph_objects as go

    shown = nodes[nodes["level"] <= max_level].copy()
    codes = set(shown["code"])
    subtree = _subtree_sizes(nodes)
    parents = [p if isinstance(p, str) and p in codes else "" for p in shown["parent_code"]]
    figure = go.Figure(
        go.Sunburst(
            ids=shown["code"],
            parents=parents,
            labels=[_short(label) for label in shown["label"]],
            values=[subtree.get(code, 1) for code in shown["code"]],
            branchvalues="total",
            hovertext=[
                f"{c} · {label}" for c, label in zip(shown["code"], shown["label"], strict=True)
            ],
            hoverinfo="text",
        )
    )
    figure.update_layout(
        title=f"Glossary tree (levels 1–{max_level}, {len(nodes)} nodes in all)",
        margin={"t": 40, "l": 0, "r": 0, "b": 0},
        height=600,
    )
    return figure


def _subtree_sizes(nodes: pd.DataFrame) -> dict[str, int]:
    """Nodes in each subtree, the node included (what ``branchvalues='total'`` needs)."""
    parent_of = {
        code: parent
        for code, parent in zip(nodes["code"], nodes["parent_code"], strict=True)
        if isinstance(parent, str) and parent
    }
    sizes: dict[str, int] = dict.fromkeys(nodes["code"], 0)
    for code in nodes["code"]:
        seen: set[str] = set()
        current: str | None = code
        while current is not None and current in sizes and current not in seen:
            seen.add(current)
            sizes[current] += 1
            current = parent_of.get(current)
    return sizes


def _short(label: Any, width: int = 28) -> str:
    text = str(label)
    return text if len(text) <= width else text[: width - 1] + "…"


def status_figure(status_counts: pd.DataFrame) -> Figure:
    """Concepts per curation status (``status, concepts, stale``)."""
    import plotly.express as px

    figure = px.bar(
        status_counts,
        x="status",
        y="concepts",
        text="concepts",
        title="Concepts per status / concepts par statut",
    )
    figure.update_layout(height=350)
    return figure


def score_histogram(scores: list[float], threshold: float) -> Figure:
    """Distribution of activation scores with the threshold drawn."""
    import plotly.express as px

    figure = px.histogram(
        pd.DataFrame({"score": scores}),
        x="score",
        nbins=20,
        title="Activation scores / scores d'activation",
        range_x=[0, 1],
    )
    figure.add_vline(x=threshold, line_dash="dash", annotation_text=f"threshold {threshold}")
    figure.update_layout(height=350)
    return figure


def recall_curve_figure(curve: pd.DataFrame) -> Figure:
    """Recall@k per method (``method, k, recall``): how far down the right concept sits."""
    import plotly.express as px

    figure = px.line(
        curve,
        x="k",
        y="recall",
        color="method",
        markers=True,
        title="Recall@k per method (exact code) / rappel@k par méthode",
    )
    figure.update_layout(height=400, yaxis_range=[0, 1])
    return figure
