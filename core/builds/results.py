"""What each build step returns: counts for the run history, tables and data for the notebook.

Displaying a result in a notebook (the last line of the build cell) shows its counts and also
publishes them under :data:`RESULT_MIME`, which the runner reads back from the executed
notebook into the ``BuildRun`` row: the notebook stays thin and the history stays exact.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

RESULT_MIME = "application/vnd.marketlounge.build+json"
"""Mimetype of the build report inside an executed notebook."""

Number = int | float


@dataclass
class StepResult:
    """Common part of every step's result.

    Attributes:
        tenant_id: whose data was built.
        counts: what changed (``created``, ``updated`` …); all zero on an idempotent re-run.
        dry_run: nothing was written (the work ran inside a rolled-back savepoint).
        duration_s: wall time of the step function.
        warnings: non-fatal problems, one line each.
    """

    step: ClassVar[str] = ""
    tenant_id: str
    counts: dict[str, Number] = field(default_factory=dict)
    dry_run: bool = False
    duration_s: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        """Rows written or changed by the step (0 means the re-run changed nothing).

        >>> StepResult("tenant_x", counts={"created": 2, "unchanged": 5, "updated": 1}).changes
        3
        """
        keys = ("created", "updated", "removed", "stale_marked", "rebuilt", "embedded",
                "synonyms_added", "synonyms_proposed")  # fmt: skip
        return int(sum(v for k, v in self.counts.items() if k in keys or k.endswith("_created")))

    def details(self) -> dict[str, Any]:
        """Step-specific, JSON-ready details stored in ``BuildRun.report``."""
        return {}

    def report(self) -> dict[str, Any]:
        """Everything the run history keeps about this result (JSON-ready).

        >>> StepResult("tenant_x", counts={"created": 1}).report()["counts"]
        {'created': 1}
        """
        return {
            "step": self.step,
            "tenant_id": self.tenant_id,
            "counts": _finite(dict(self.counts)),
            "dry_run": self.dry_run,
            "duration_s": round(self.duration_s, 3),
            "warnings": list(self.warnings[:200]),
            "details": _jsonable(self.details()),
        }

    def summary(self) -> pd.DataFrame:
        """The counts as a two-column table (what the summary cell shows).

        >>> StepResult("tenant_x", counts={"created": 1}).summary().values.tolist()
        [['created', 1]]
        """
        return pd.DataFrame(
            {
                "count": list(self.counts),
                "value": pd.Series(list(self.counts.values()), dtype=object),
            }
        )

    def headline(self) -> str:
        """One line: step, tenant, counts.

        >>> StepResult("tenant_x", counts={"created": 1, "updated": 0}).headline()
        ' tenant_x: created=1 updated=0'
        """
        counts = " ".join(f"{k}={_fmt(v)}" for k, v in self.counts.items())
        flag = " (dry run: nothing written)" if self.dry_run else ""
        return f"{self.step} {self.tenant_id}: {counts}{flag}"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        table = self.summary().to_html(index=False)
        warnings = ""
        if self.warnings:
            shown = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings[:20])
            warnings = f"<p>{len(self.warnings)} warning(s):</p><ul>{shown}</ul>"
        return {
            "text/plain": self.headline(),
            "text/html": f"<p><b>{html.escape(self.headline())}</b></p>{table}{warnings}",
            RESULT_MIME: self.report(),
        }


def _fmt(value: Number) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _jsonable(value: Any) -> Any:
    """Plain JSON values: numpy numbers unwrapped, NaN/inf → None, the rest ``str``.

    >>> _jsonable({"rank": float("nan"), "n": 2, "path": __import__("pathlib").Path("a")})
    {'rank': None, 'n': 2, 'path': 'a'}
    """
    return _finite(json.loads(json.dumps(value, default=_default)))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def _default(value: Any) -> Any:
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        return value.item()
    return str(value)


@dataclass
class GlossaryBuildResult(StepResult):
    """Import counts plus the quality report of the imported tree.

    Attributes:
        taxonomy: the taxonomy name (``cpv``, ``naf`` …).
        quality: one row per problem (``check, severity, code, lang, detail``).
        quality_summary: problems per check, zeros included.
        levels: nodes per level.
        nodes: ``code, parent_code, level, label`` of every node (for the tree figure).
    """

    step: ClassVar[str] = "glossary"
    taxonomy: str = ""
    quality: pd.DataFrame = field(default_factory=pd.DataFrame)
    quality_summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    levels: pd.DataFrame = field(default_factory=pd.DataFrame)
    nodes: pd.DataFrame = field(default_factory=pd.DataFrame)

    def details(self) -> dict[str, Any]:
        return {
            "taxonomy": self.taxonomy,
            "quality": self.quality_summary.to_dict("records"),
            "levels": self.levels.to_dict("records"),
        }


@dataclass
class DicoBuildResult(StepResult):
    """Concepts proposed or refreshed, examples attached, near-duplicates proposed.

    Attributes:
        status_counts: concepts per status after the build.
        merge_proposals: open merge proposals created now (``code, other_code, cosine …``).
        proposed_synonyms: wordings proposed from examples (``code, label, wordings``).
        llm: what the LLM enrichment did (``ok``/``skipped``/``failed`` counts, reason).
        timings_s: seconds per phase (concepts, llm, examples, embeddings, merge proposals).
    """

    step: ClassVar[str] = "dico"
    status_counts: pd.DataFrame = field(default_factory=pd.DataFrame)
    merge_proposals: pd.DataFrame = field(default_factory=pd.DataFrame)
    proposed_synonyms: pd.DataFrame = field(default_factory=pd.DataFrame)
    llm: dict[str, Any] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)

    def details(self) -> dict[str, Any]:
        return {
            "timings_s": self.timings_s,
            "status_counts": self.status_counts.to_dict("records"),
            "merge_proposals": self.merge_proposals.head(50).to_dict("records"),
            "proposed_synonyms": self.proposed_synonyms.head(50).to_dict("records"),
            "llm": self.llm,
        }


@dataclass
class ActivationBuildResult(StepResult):
    """Company × concept activations with their evidence.

    Attributes:
        threshold: minimum stored score.
        top: the best activations (``company, concept, score, evidence``).
        scores: every stored, non-claimed activation score (for the histogram).
    """

    step: ClassVar[str] = "activations"
    threshold: float = 0.0
    top: pd.DataFrame = field(default_factory=pd.DataFrame)
    scores: list[float] = field(default_factory=list)

    def details(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "top": self.top.head(30).to_dict("records")}


@dataclass
class IndexBuildResult(StepResult):
    """The FAISS index written for the tenant and its recall against exact search.

    Attributes:
        manifest: the index manifest (model, dimension, count, checksum …).
        recall: recall@k of the index against exact (brute-force) search.
        recall_k: the k of that recall.
    """

    step: ClassVar[str] = "index"
    manifest: dict[str, Any] = field(default_factory=dict)
    recall: float | None = None
    recall_k: int = 10

    def details(self) -> dict[str, Any]:
        return {"manifest": self.manifest, "recall": self.recall, "recall_k": self.recall_k}


@dataclass
class EvaluationResult(StepResult):
    """The matcher's metrics on a labelled file.

    Attributes:
        metrics: one row per method and credit (exact / loose) with its metrics.
        curve: recall@k per method (``method, k, recall``) for the plot.
        worst: the worst queries with the expected concept, what came first and why.
        raw: the harness' metrics dict as it returned it.
    """

    step: ClassVar[str] = "evaluate"
    metrics: pd.DataFrame = field(default_factory=pd.DataFrame)
    curve: pd.DataFrame = field(default_factory=pd.DataFrame)
    worst: pd.DataFrame = field(default_factory=pd.DataFrame)
    raw: dict[str, Any] = field(default_factory=dict)

    def details(self) -> dict[str, Any]:
        return {
            "metrics": self.raw,
            "curve": self.curve.to_dict("records"),
            "worst": self.worst.head(20).to_dict("records"),
        }
