"""Query logs as a demand signal: what people searched, and what they searched but not found.

Every ``match`` call is logged (QueryMatchLog). A search is a sign of demand for the concept
it found first; a search that found nothing (``result_count == 0``) or only a weak candidate
(``top_score < low_score``) is *searched but not found* — demand the marketplace does not
serve yet. These counts feed the optional ``search`` component of the tension index.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from core.models import Concept, QueryMatchLog
from core.tenancy import require_tenant, scoped

SIGNAL_COLUMNS = [
    "concept_id",
    "code",
    "label",
    "searches",
    "not_found",
    "not_found_share",
    "examples",
]
DEFAULT_LOW_SCORE = 0.35
"""Top score below which a search counts as "not found" (the matcher's scores are 0..1)."""


def search_demand_signal(
    session: Session,
    tenant_id: str,
    *,
    period_from: date | None = None,
    period_to: date | None = None,
    low_score: float = DEFAULT_LOW_SCORE,
    exclude_sources: tuple[str, ...] = ("eval", "market"),
    max_examples: int = 3,
) -> pd.DataFrame:
    """Searches per concept (its first result) and how many were "searched but not found".

    Args:
        session: open session.
        tenant_id: the tenant.
        period_from, period_to: days included (on the log's ``created_at``).
        low_score: a top score below this counts as not found.
        exclude_sources: log sources that are not people searching (evaluation runs, the
            market classifier).
        max_examples: not-found query texts kept per row, for curators.

    Returns:
        ``concept_id`` (``<NA>`` for searches with no result at all), ``code``, ``label``,
        ``searches``, ``not_found``, ``not_found_share``, ``examples`` (list of texts);
        sorted by ``not_found`` then ``searches``.
    """
    tenant = require_tenant(session, tenant_id)
    where: list[Any] = []
    if exclude_sources:
        where.append(QueryMatchLog.source.notin_(exclude_sources))
    if period_from:
        where.append(QueryMatchLog.created_at >= datetime.combine(period_from, time.min, UTC))
    if period_to:
        where.append(QueryMatchLog.created_at <= datetime.combine(period_to, time.max, UTC))
    rows = session.execute(
        scoped(QueryMatchLog, tenant, *where).with_only_columns(
            QueryMatchLog.raw_text,
            QueryMatchLog.result_count,
            QueryMatchLog.top_score,
            QueryMatchLog.matched_concept_ids,
        )
    ).all()
    records = []
    for raw_text, result_count, top_score, matched in rows:
        concept_id = int(matched[0]) if matched and result_count else None
        weak = not result_count or top_score is None or top_score < low_score
        records.append({"concept_id": concept_id, "text": raw_text, "not_found": weak})
    if not records:
        return pd.DataFrame(columns=SIGNAL_COLUMNS)
    logs = pd.DataFrame(records)
    logs["concept_id"] = logs["concept_id"].astype("Int64")
    grouped = logs.groupby("concept_id", dropna=False)
    result = pd.DataFrame(
        {"searches": grouped.size(), "not_found": grouped["not_found"].sum()}
    ).reset_index()
    examples = (
        logs[logs["not_found"]]
        .groupby("concept_id", dropna=False)["text"]
        .agg(lambda texts: list(dict.fromkeys(texts))[:max_examples])
    )
    result["examples"] = [examples.get(cid, []) for cid in result["concept_id"]]
    result[["searches", "not_found"]] = result[["searches", "not_found"]].astype("int64")
    result["not_found_share"] = result["not_found"] / result["searches"]
    concept_ids = [int(c) for c in result["concept_id"].dropna()]
    names: dict[int, tuple[str | None, str]] = {}
    if concept_ids:
        for cid, code, labels in session.execute(
            scoped(Concept, tenant, Concept.concept_id.in_(concept_ids)).with_only_columns(
                Concept.concept_id, Concept.code, Concept.labels
            )
        ):
            labels = labels or {}
            names[cid] = (code, labels.get("fr") or labels.get("en") or code or f"#{cid}")
    result["code"] = [
        names.get(int(c), (None, ""))[0] if pd.notna(c) else None for c in result["concept_id"]
    ]
    result["label"] = [
        names.get(int(c), (None, f"#{c}"))[1] if pd.notna(c) else "sans résultat / no result"
        for c in result["concept_id"]
    ]
    result = result.sort_values(["not_found", "searches"], ascending=False, kind="stable")
    return result[SIGNAL_COLUMNS].reset_index(drop=True)
