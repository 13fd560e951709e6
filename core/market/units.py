"""Units of analysis: group fact rows by concept, glossary branch, région and/or period.

``by`` is one dimension or a tuple of them. ``branch`` rolls a concept's rows up to every
code on its glossary path (its own code included): a demand on ``42610000`` counts for
``42610000``, ``42600000`` and ``42000000`` — once each, even when it sits on two concepts of
the same branch, because indicators count *distinct* demands and suppliers.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from core.errors import UserError
from core.market.regions import region_name

DIMENSIONS = ("concept", "branch", "region", "period")
KEY_OF = {
    "concept": "concept_id",
    "branch": "branch_code",
    "region": "region",
    "period": "period",
}
MIN_COUNT = 5
"""Default minimum count below which a row is flagged ``low_confidence``."""

By = str | Sequence[str]


def normalise_by(by: By) -> tuple[str, ...]:
    """Validate ``by`` and return it as a tuple.

    >>> normalise_by("concept")
    ('concept',)
    >>> normalise_by(["region", "period"])
    ('region', 'period')
    """
    dims = (by,) if isinstance(by, str) else tuple(by)
    if not dims:
        raise UserError(f"choose at least one dimension in {', '.join(DIMENSIONS)}")
    unknown = [d for d in dims if d not in DIMENSIONS]
    if unknown:
        raise UserError(f"unknown dimension(s) {', '.join(unknown)}: use {', '.join(DIMENSIONS)}")
    if len(set(dims)) != len(dims):
        raise UserError(f"dimension listed twice in {dims}")
    if "concept" in dims and "branch" in dims:
        raise UserError("group by concept or by branch, not both (a branch rolls up concepts)")
    return dims


def keys_of(by: By) -> list[str]:
    """Column names of the unit keys for ``by``.

    >>> keys_of(("branch", "period"))
    ['branch_code', 'period']
    """
    return [KEY_OF[d] for d in normalise_by(by)]


def expand(
    frame: pd.DataFrame, branches: pd.DataFrame, by: By, *, level: int | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Give each fact row its unit keys (exploding concepts to branches when asked).

    Rows without a period are left out of period views (an undated item belongs to no
    period). ``level`` keeps only branch codes at that depth (1 = the root codes).
    """
    dims = normalise_by(by)
    out = frame
    if "branch" in dims:
        rollup = branches if level is None else branches[branches["depth"] == level]
        out = out.merge(rollup[["concept_id", "branch_code"]], on="concept_id", how="inner")
    if "period" in dims:
        out = out[out["period"].notna()]
    return out, keys_of(dims)


def attach_labels(
    result: pd.DataFrame,
    keys: list[str],
    *,
    concepts: pd.DataFrame,
    branches: pd.DataFrame,
    branch_labels: pd.DataFrame,
) -> pd.DataFrame:
    """Add readable columns next to the keys: code and labels, branch labels, région names."""
    out = result
    if "concept_id" in keys:
        out = out.merge(
            concepts[["concept_id", "code", "label", "label_en", "path"]],
            on="concept_id",
            how="left",
        )
    if "branch_code" in keys:
        depth = branches.groupby("branch_code", as_index=False)["depth"].min()
        out = out.merge(depth, on="branch_code", how="left").merge(
            branch_labels, on="branch_code", how="left"
        )
    if "region" in keys:
        out = out.assign(
            region_name=[region_name(r, "fr") for r in out["region"]],
            region_name_en=[region_name(r, "en") for r in out["region"]],
        )
    label_cols = [
        c
        for c in (
            "code",
            "label",
            "label_en",
            "path",
            "depth",
            "branch_label",
            "branch_label_en",
            "region_name",
            "region_name_en",
        )
        if c in out.columns
    ]
    rest = [c for c in out.columns if c not in keys and c not in label_cols]
    return out[keys + label_cols + rest]
