"""Read the match log: recent queries with filters, and the unanswered ones curators should see.

Queries that found nothing, or only weak matches, are the clearest signal of a missing
concept: :func:`candidate_queries` groups them by normalised text so a curator can turn the
frequent ones into draft concepts (``core.curation.propose``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.orm import Session

from core.curation.views import escape_like, pick_label
from core.models import Concept, QueryMatchLog
from core.tenancy import scoped

LOW_SCORE = 0.4
"""Top score under which a logged match counts as weak (scores are fused, in 0..1)."""


@dataclass(frozen=True)
class LogRow:
    """One logged match in a listing."""

    request_id: uuid.UUID
    created_at: datetime | None
    query: str
    result_count: int
    top_score: float | None
    top_label: str
    latency_ms: float
    cache_hit: bool
    source: str


@dataclass(frozen=True)
class CandidateQuery:
    """A wording buyers used that found nothing good: maybe a missing concept."""

    normalized: str
    example: str
    count: int
    best_score: float | None
    last_seen: datetime | None


@dataclass(frozen=True)
class LogDetail:
    """One logged match with its stored explanation and the shortlisted concepts' labels."""

    request_id: uuid.UUID
    created_at: datetime | None
    query: str
    normalized: str
    options: dict[str, Any]
    shortlist: list[tuple[int, str, float | None]]  # concept id, label, score
    rationale: dict[str, Any]
    latency_ms: float
    cache_hit: bool
    index_version: str | None
    source: str


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _labels(session: Session, tenant_id: str, ids: set[int], lang: str) -> dict[int, str]:
    if not ids:
        return {}
    stmt = scoped(Concept, tenant_id, Concept.concept_id.in_(ids)).with_only_columns(
        Concept.concept_id, Concept.labels
    )
    return {cid: pick_label(labels, lang) for cid, labels in session.execute(stmt)}


def _weak(max_top_score: float) -> Any:
    return or_(QueryMatchLog.result_count == 0, QueryMatchLog.top_score < max_top_score)


def recent_logs(
    session: Session,
    tenant_id: str,
    *,
    since: date | None = None,
    until: date | None = None,
    no_result_only: bool = False,
    max_top_score: float | None = None,
    search: str | None = None,
    lang: str = "fr",
    limit: int = 200,
) -> list[LogRow]:
    """Logged matches, newest first.

    Args:
        since: first day included (UTC).
        until: last day included (UTC).
        no_result_only: only matches that returned nothing.
        max_top_score: only matches with no result or a top score below this.
        search: text contained in the query.
        lang: language of the top concept's label.
        limit: most rows returned (1..1000).
    """
    criteria: list[Any] = []
    if since:
        criteria.append(QueryMatchLog.created_at >= _day_start(since))
    if until:
        criteria.append(QueryMatchLog.created_at < _day_start(until + timedelta(days=1)))
    if no_result_only:
        criteria.append(QueryMatchLog.result_count == 0)
    if max_top_score is not None:
        criteria.append(_weak(max_top_score))
    if search and search.strip():
        criteria.append(QueryMatchLog.raw_text.ilike(f"%{escape_like(search.strip())}%"))
    stmt = (
        scoped(QueryMatchLog, tenant_id, *criteria)
        .order_by(QueryMatchLog.created_at.desc())
        .limit(max(1, min(limit, 1000)))
    )
    logs = list(session.scalars(stmt))
    tops = {int(log.matched_concept_ids[0]) for log in logs if log.matched_concept_ids}
    labels = _labels(session, tenant_id, tops, lang)
    return [
        LogRow(
            request_id=log.request_id,
            created_at=log.created_at,
            query=log.raw_text,
            result_count=log.result_count,
            top_score=log.top_score,
            top_label=labels.get(int(log.matched_concept_ids[0]), "")
            if log.matched_concept_ids
            else "",
            latency_ms=log.latency_ms,
            cache_hit=log.cache_hit,
            source=log.source,
        )
        for log in logs
    ]


def candidate_queries(
    session: Session,
    tenant_id: str,
    *,
    low_score: float = LOW_SCORE,
    since: date | None = None,
    limit: int = 50,
) -> list[CandidateQuery]:
    """Unanswered or weakly answered wordings, most frequent first (candidate concepts)."""
    criteria: list[Any] = [_weak(low_score)]
    if since:
        criteria.append(QueryMatchLog.created_at >= _day_start(since))
    key = func.coalesce(func.nullif(QueryMatchLog.normalized_text, ""), QueryMatchLog.raw_text)
    stmt = (
        scoped(QueryMatchLog, tenant_id, *criteria)
        .with_only_columns(
            key.label("normalized"),
            func.min(QueryMatchLog.raw_text),
            func.count(),
            func.max(QueryMatchLog.top_score),
            func.max(QueryMatchLog.created_at),
        )
        .group_by(key)
        .order_by(func.count().desc(), func.max(QueryMatchLog.created_at).desc())
        .limit(limit)
    )
    return [
        CandidateQuery(norm, example, int(n), best, last)
        for norm, example, n, best, last in session.execute(stmt)
    ]


def log_detail(
    session: Session, tenant_id: str, request_id: uuid.UUID | str, *, lang: str = "fr"
) -> LogDetail:
    """One logged match with its stored explanation (NotFoundError for another tenant's)."""
    from core.match_logs import get_match_log

    view = get_match_log(session, tenant_id, request_id)
    labels = _labels(session, tenant_id, set(view.concept_ids), lang)
    scores: list[float | None] = [*view.scores]
    scores += [None] * (len(view.concept_ids) - len(scores))
    return LogDetail(
        request_id=view.request_id,
        created_at=view.created_at,
        query=view.query,
        normalized=view.normalized_query,
        options=view.options,
        shortlist=[
            (cid, labels.get(cid, f"#{cid}"), score)
            for cid, score in zip(view.concept_ids, scores, strict=False)
        ],
        rationale=view.rationale,
        latency_ms=view.latency_ms,
        cache_hit=view.cache_hit,
        index_version=view.index_version,
        source=view.source,
    )
