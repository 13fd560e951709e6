"""Write one ``QueryMatchLog`` row per match (the caller's transaction commits it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.matching.types import MatchOptions, MatchResult, plain
from core.models import QueryMatchLog


def options_json(options: MatchOptions) -> dict[str, Any]:
    """The options as plain JSON (tuples become lists).

    >>> options_json(MatchOptions(top_k=3))["statuses"]
    ['validated']
    """
    data = plain(options)
    data["statuses"] = list(options.statuses)
    return data


def log_match(
    session: Session,
    tenant_id: str,
    result: MatchResult,
    options: MatchOptions,
    *,
    source: str,
    extra: dict[str, Any] | None = None,
) -> QueryMatchLog:
    """Add the log row of ``result`` to the session (no flush: it goes with the commit)."""
    rationale: dict[str, Any] = {
        "explanations": [
            {
                "concept_id": item.concept_id,
                "code": item.code,
                "label": item.label,
                "score": item.score,
                "sources": item.sources,
                **(plain(item.explanation) if item.explanation else {}),
            }
            for item in result.shortlist
        ],
        "warnings": list(result.warnings),
        "vector_backend": result.vector_backend,
        "summary_fr": result.summary_fr,
        "summary_en": result.summary_en,
        **(extra or {}),
    }
    row = QueryMatchLog(
        request_id=result.request_id,
        tenant_id=tenant_id,
        raw_text=result.query,
        normalized_text=result.normalized_query,
        options=options_json(options),
        matched_concept_ids=[item.concept_id for item in result.shortlist],
        scores=[item.score for item in result.shortlist],
        rationale=rationale,
        result_count=len(result.shortlist),
        top_score=result.shortlist[0].score if result.shortlist else None,
        latency_ms=round(result.latency_ms, 3),
        cache_hit=result.cache_hit,
        index_version=result.index_version,
        source=source[:20],
    )
    session.add(row)
    return row
