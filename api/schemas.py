"""Request and response bodies of the API (pydantic), separate from the ORM classes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

INT32_MAX = 2**31 - 1
"""Largest id the database stores; bigger ids are refused before reaching it."""

StatusName = Literal["draft", "validated", "rejected", "merged"]


def storable_text(value: str) -> str:
    """Refuse text PostgreSQL cannot store (NUL bytes, lone surrogates), with a clear reason.

    >>> storable_text("usinage titane")
    'usinage titane'
    >>> storable_text("a\\x00b")
    Traceback (most recent call last):
    ...
    ValueError: must not contain NUL (\\x00) characters: remove them
    """
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\x00) characters: remove them")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid UTF-8 text (a lone surrogate was found)") from None
    return value


StorableStr = Annotated[str, AfterValidator(storable_text)]


# --- POST /match ---------------------------------------------------------------------------
class MatchFilters(BaseModel):
    """Where to search: a glossary branch and the concept statuses."""

    model_config = ConfigDict(extra="forbid", strict=True)

    branch: StorableStr | None = Field(
        default=None,
        max_length=200,
        description="A glossary code or path prefix: only concepts under it (e.g. 42600000).",
        examples=["42600000"],
    )
    statuses: list[StatusName] | None = Field(
        default=None,
        min_length=1,
        max_length=4,
        description="Concept statuses to search; default validated only.",
        examples=[["validated"]],
    )


class MatchFusion(BaseModel):
    """How lexical and vector scores combine; unset values take the server's defaults."""

    model_config = ConfigDict(extra="forbid", strict=True)

    method: Literal["weighted", "rrf"] = Field(
        default="weighted", description="weighted sum of normalised scores, or RRF."
    )
    lexical_weight: float | None = Field(
        default=None, ge=0, le=1, description="Weight of the lexical score (default 0.6)."
    )
    vector_weight: float | None = Field(
        default=None, ge=0, le=1, description="Weight of the vector score (default 0.4)."
    )
    rrf_k: int | None = Field(default=None, ge=1, le=1000, description="RRF constant (60).")


class MatchRequest(BaseModel):
    """A free-text need to match against the tenant's dictionary of concepts."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {"query": "usinage titane", "top_k": 5},
                {
                    "query": "maintenance de compresseurs",
                    "top_k": 10,
                    "only_activated": True,
                    "fusion": {"method": "rrf", "rrf_k": 60},
                    "lang": "fr",
                },
            ]
        },
    )

    query: StorableStr = Field(
        min_length=1,
        description="The need, in French or English (limit: MATCH_MAX_QUERY_CHARS, 1000).",
        examples=["usinage titane"],
    )
    top_k: int = Field(default=10, ge=1, description="Shortlist length, 1..MATCH_MAX_TOP_K (50).")
    company_id: int | None = Field(
        default=None, ge=1, le=INT32_MAX, description="Only concepts this company is active on."
    )
    only_activated: bool = Field(
        default=False, description="Only concepts with at least one activated company."
    )
    filters: MatchFilters | None = None
    fusion: MatchFusion | None = None
    explain: bool = Field(default=True, description="Attach per-concept explanations.")
    rerank: bool = Field(
        default=False, description="LLM rerank (skipped with a warning when not configured)."
    )
    lang: Literal["fr", "en"] | None = Field(
        default=None, description="Language of the query when known; default: detected."
    )


class CompanyOut(BaseModel):
    """A company activated on a shortlisted concept."""

    company_id: int
    name: str
    siren: str | None
    score: float
    is_claimed: bool = False


class CandidateExplanationOut(BaseModel):
    """Why one concept is where it is, as data and as sentences (fr, en)."""

    matched_text: str | None
    matched_kind: str | None
    matched_lang: str | None
    lexical_score: float | None
    cosine: float | None
    lexical_norm: float
    vector_norm: float
    lexical_rank: int | None
    vector_rank: int | None
    weights: dict[str, float]
    fused_score: float
    exact_hit: bool
    filters_passed: list[str]
    rerank_change: int | None
    example: str | None
    agreeing_examples: int = 0
    sentence_fr: str
    sentence_en: str


class ShortlistItemOut(BaseModel):
    """One concept of the shortlist, with its companies."""

    concept_id: int
    code: str | None
    label: str
    labels: dict[str, str]
    score: float
    sources: list[str]
    path: str | None
    companies: list[CompanyOut]
    explanation: CandidateExplanationOut | None = None


class SummaryOut(BaseModel):
    """The whole answer in one sentence per language."""

    fr: str
    en: str


class MatchResponse(BaseModel):
    """The shortlist for one query; ``request_id`` reads it back with GET /match/{id}."""

    request_id: uuid.UUID
    query: str
    normalized_query: str
    shortlist: list[ShortlistItemOut]
    explanation: SummaryOut | None = None
    cache: Literal["hit", "miss"]
    index_version: str | None
    vector_backend: str
    warnings: list[str]
    latency_ms: float


class LoggedCandidate(BaseModel):
    """A concept of a logged shortlist, in rank order."""

    concept_id: int
    score: float | None


class MatchLogOut(BaseModel):
    """A logged match: the question, the options, the shortlist and the rationale."""

    request_id: uuid.UUID
    query: str
    normalized_query: str
    options: dict[str, Any]
    shortlist: list[LoggedCandidate]
    rationale: dict[str, Any]
    result_count: int
    top_score: float | None
    cache: Literal["hit", "miss"]
    index_version: str | None
    latency_ms: float
    source: str
    created_at: datetime | None


# --- concepts ------------------------------------------------------------------------------
class ConceptOut(BaseModel):
    """A concept of the tenant's dictionary."""

    concept_id: int
    code: str | None
    taxonomy: str | None
    status: str
    labels: dict[str, str]
    synonyms: dict[str, list[str]]
    definitions: dict[str, str]
    path: str | None
    merged_into_id: int | None
    activated_companies: int


class ConceptPage(BaseModel):
    """One page of a concept search."""

    items: list[ConceptOut]
    count: int = Field(description="Items in this page.")
    limit: int
    offset: int


# --- operations ----------------------------------------------------------------------------
CheckState = Literal["ok", "degraded", "down", "disabled"]


class HealthOut(BaseModel):
    """Liveness: the process answers."""

    status: Literal["ok"] = "ok"


class CheckOut(BaseModel):
    """One dependency's state."""

    status: CheckState
    detail: str = ""


class ReadyOut(BaseModel):
    """Readiness: ``ok``, ``degraded`` (matching works, Redis or the LLM does not) or
    ``down`` (HTTP 503: the database or the matcher is unusable)."""

    status: Literal["ok", "degraded", "down"]
    checks: dict[str, CheckOut]
    matcher: dict[str, Any] = Field(default_factory=dict)


# --- errors --------------------------------------------------------------------------------
class FieldProblem(BaseModel):
    """One invalid field and what to do about it."""

    field: str
    message: str


class ErrorOut(BaseModel):
    """Every error body: a message that says what to fix, and the request id to quote."""

    detail: str
    request_id: str | None = None
    errors: list[FieldProblem] | None = None
