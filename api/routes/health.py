"""Operations: ``/health`` (liveness), ``/ready`` (dependencies), ``/metrics`` (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from api.deps import StateDep
from api.metrics import CONTENT_TYPE
from api.readiness import check_readiness
from api.schemas import ErrorOut, HealthOut, ReadyOut

router = APIRouter(tags=["operations"])


@router.get("/health", response_model=HealthOut, summary="Liveness")
async def health() -> HealthOut:
    """Answers as long as the process serves HTTP (no dependency is checked)."""
    return HealthOut()


@router.get(
    "/ready",
    response_model=ReadyOut,
    summary="Readiness: database, cache, matcher (model, index) and LLM",
    responses={
        503: {"model": ReadyOut, "description": "The database or the matcher is down."},
        500: {"model": ErrorOut, "description": "Internal error."},
    },
)
def ready(state: StateDep) -> JSONResponse:
    """``ok``; ``degraded`` (200) when Redis or the LLM is down but matching works; ``down``
    (503) when the database or the matcher cannot serve."""
    report = check_readiness(state)
    return JSONResponse(
        report.model_dump(mode="json"), status_code=503 if report.status == "down" else 200
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics(state: StateDep) -> Response:
    """Requests by route and status, latency histogram, errors, match cache hits and misses,
    Redis fallbacks (text exposition format)."""
    return Response(state.metrics.render(), media_type=CONTENT_TYPE)
