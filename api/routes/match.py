"""``POST /match`` (a free-text need → shortlist) and ``GET /match/{request_id}`` (read back)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from api.deps import CallerDep, StateDep
from api.errors import ERROR_RESPONSES, NOT_FOUND_RESPONSE, FieldError
from api.responses import model_response
from api.schemas import (
    LoggedCandidate,
    MatchFusion,
    MatchLogOut,
    MatchRequest,
    MatchResponse,
    ShortlistItemOut,
    SummaryOut,
)
from core.config import Settings
from core.match_logs import get_match_log
from core.matching.types import FusionOptions, MatchOptions, MatchResult

router = APIRouter(tags=["match"], responses=ERROR_RESPONSES)


def check_limits(body: MatchRequest, settings: Settings) -> None:
    """Refuse a query or a ``top_k`` over the server's limits, naming the setting.

    Raises:
        FieldError: 422 with the field and what to send instead.
    """
    if len(body.query) > settings.match_max_query_chars:
        raise FieldError(
            "query",
            f"query is {len(body.query)} characters long; the limit is "
            f"{settings.match_max_query_chars} (MATCH_MAX_QUERY_CHARS): send a shorter text "
            "(requête trop longue : raccourcissez-la)",
        )
    if body.top_k > settings.match_max_top_k:
        raise FieldError(
            "top_k",
            f"top_k must be between 1 and {settings.match_max_top_k} (MATCH_MAX_TOP_K), "
            f"not {body.top_k} (top_k hors limites)",
        )


def to_options(body: MatchRequest, settings: Settings) -> MatchOptions:
    """The matcher's options for a request; unset fusion values take the settings' defaults.

    >>> from core.config import Settings
    >>> opts = to_options(MatchRequest(query="q", fusion={"method": "rrf"}), Settings())
    >>> opts.fusion.method, opts.fusion.rrf_k, opts.statuses
    ('rrf', 60, ('validated',))
    """
    fusion = body.fusion or MatchFusion()
    filters = body.filters
    return MatchOptions(
        top_k=body.top_k,
        company_id=body.company_id,
        only_activated=body.only_activated,
        branch=filters.branch if filters and filters.branch else None,
        statuses=tuple(filters.statuses) if filters and filters.statuses else ("validated",),
        fusion=FusionOptions(
            method=fusion.method,
            lexical_weight=_or(fusion.lexical_weight, settings.match_lexical_weight),
            vector_weight=_or(fusion.vector_weight, settings.match_vector_weight),
            rrf_k=fusion.rrf_k if fusion.rrf_k is not None else settings.match_rrf_k,
        ),
        explain=body.explain,
        rerank=body.rerank,
        lang=body.lang,
    )


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def to_response(result: MatchResult, *, explain: bool, warnings: list[str]) -> MatchResponse:
    """The HTTP body of a match result (explanations only when asked for)."""
    shortlist = [
        ShortlistItemOut.model_validate(item, from_attributes=True) for item in result.shortlist
    ]
    if not explain:
        shortlist = [item.model_copy(update={"explanation": None}) for item in shortlist]
    summary = (
        SummaryOut(fr=result.summary_fr, en=result.summary_en)
        if explain and (result.summary_fr or result.summary_en)
        else None
    )
    return MatchResponse(
        request_id=result.request_id,
        query=result.query,
        normalized_query=result.normalized_query,
        shortlist=shortlist,
        explanation=summary,
        cache="hit" if result.cache_hit else "miss",
        index_version=result.index_version,
        vector_backend=result.vector_backend,
        warnings=[*result.warnings, *warnings],
        latency_ms=result.latency_ms,
    )


@router.post(
    "/match",
    response_model=MatchResponse,
    summary="Match a free-text need to concepts and companies",
    responses={
        **NOT_FOUND_RESPONSE,
        200: {
            "headers": {"X-Request-ID": {"description": "The request_id, for GET /match/{id}."}}
        },
    },
)
def post_match(
    body: MatchRequest,
    caller: CallerDep,
    state: StateDep,
) -> Response:
    """Turn a need ("usinage titane", "maintenance de compresseurs") into a shortlist of
    concepts of your dictionary, each with its activated companies and, with ``explain``, why
    it matched (lexical and vector evidence, in French and English).

    Answers are cached per query and options until the index is rebuilt (``cache``: hit or
    miss). Every call is logged; read it back with ``GET /match/{request_id}``.
    """
    check_limits(body, state.settings)
    matcher = state.require_matcher()
    options = to_options(body, state.settings)
    with state.transaction(fast_commit=True) as session:
        result = matcher.match(session, caller.tenant_id, body.query, options, source="api")
    state.metrics.match_cache.labels("hit" if result.cache_hit else "miss").inc()
    return model_response(
        to_response(result, explain=body.explain, warnings=caller.warnings),
        headers={**caller.headers, "X-Request-ID": str(result.request_id)},
    )


@router.get(
    "/match/{request_id}",
    response_model=MatchLogOut,
    summary="Read back a logged match and its explanation",
    responses=NOT_FOUND_RESPONSE,
)
def get_match(request_id: uuid.UUID, caller: CallerDep, state: StateDep) -> Response:
    """The logged call ``request_id`` of your tenant: query, options, shortlist, scores and
    the rationale the matcher stored. Another tenant's request id answers 404."""
    with state.transaction() as session:
        view = get_match_log(session, caller.tenant_id, request_id)
    log = MatchLogOut(
        request_id=view.request_id,
        query=view.query,
        normalized_query=view.normalized_query,
        options=view.options,
        shortlist=[
            LoggedCandidate(concept_id=cid, score=view.scores[i] if i < len(view.scores) else None)
            for i, cid in enumerate(view.concept_ids)
        ],
        rationale=view.rationale,
        result_count=view.result_count,
        top_score=view.top_score,
        cache="hit" if view.cache_hit else "miss",
        index_version=view.index_version,
        latency_ms=view.latency_ms,
        source=view.source,
        created_at=view.created_at,
    )
    return model_response(log, headers=caller.headers)
