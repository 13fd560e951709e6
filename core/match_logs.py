"""Read back a logged match (``QueryMatchLog``): what was asked, what came back and why."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.errors import NotFoundError, UserError
from core.models import QueryMatchLog
from core.tenancy import scoped, validate_tenant_id


@dataclass(frozen=True)
class MatchLogView:
    """One logged match, as stored by the matcher."""

    request_id: uuid.UUID
    query: str
    normalized_query: str
    options: dict[str, Any]
    concept_ids: list[int]
    scores: list[float]
    rationale: dict[str, Any]
    result_count: int
    top_score: float | None
    latency_ms: float
    cache_hit: bool
    index_version: str | None
    source: str
    created_at: datetime | None


def parse_request_id(value: str) -> uuid.UUID:
    """A request id as a UUID, or a ``UserError`` saying what a request id looks like.

    >>> str(parse_request_id("6F9619FF-8B86-D011-B42D-00C04FC964FF"))
    '6f9619ff-8b86-d011-b42d-00c04fc964ff'
    """
    try:
        return uuid.UUID(value.strip())
    except (ValueError, AttributeError):
        raise UserError(
            f"{value!r} is not a request id: use the request_id (a UUID) returned by POST "
            "/match or its X-Request-ID header"
        ) from None


def get_match_log(session: Session, tenant_id: str, request_id: uuid.UUID | str) -> MatchLogView:
    """The logged match ``request_id`` of this tenant.

    Raises:
        NotFoundError: no such request in this tenant (another tenant's request included).
    """
    tenant = validate_tenant_id(tenant_id)
    rid = request_id if isinstance(request_id, uuid.UUID) else parse_request_id(request_id)
    row = session.scalars(scoped(QueryMatchLog, tenant, QueryMatchLog.request_id == rid)).first()
    if row is None:
        raise NotFoundError(
            f"no logged match {rid} in this tenant: request ids are kept per tenant and only "
            "logged calls (POST /match) can be read back"
        )
    return MatchLogView(
        request_id=row.request_id,
        query=row.raw_text,
        normalized_query=row.normalized_text,
        options=dict(row.options or {}),
        concept_ids=[int(c) for c in row.matched_concept_ids or []],
        scores=[float(s) for s in row.scores or []],
        rationale=dict(row.rationale or {}),
        result_count=row.result_count,
        top_score=row.top_score,
        latency_ms=row.latency_ms,
        cache_hit=row.cache_hit,
        index_version=row.index_version,
        source=row.source,
        created_at=row.created_at,
    )
