"""Public value types of the matcher: options in, a shortlist with explanations out.

These frozen dataclasses are the contract between ``core.matching`` and its callers (API,
workbench, CLI, builds, market). Convert them with ``to_dict()`` at the edges.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

FusionMethod = Literal["weighted", "rrf"]
CandidateSource = Literal["lexical", "vector", "example"]


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def plain(value: Any) -> Any:
    """``dataclasses.asdict`` for the matcher's result types, without its deep copies.

    ``asdict`` deep-copies every leaf; on a shortlist with explanations that was about a
    sixth of a cache miss (serialised twice: cache entry and query log). Leaves here are
    immutable (str, numbers, UUID), so containers are rebuilt and leaves shared.

    >>> hit = CompanyHit(1, "ACME", None, 0.5)
    >>> plain(hit) == dataclasses.asdict(hit)
    True
    """
    cls = type(value)
    names = _FIELD_NAMES.get(cls)
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if cls is list or cls is tuple:
        return cls(plain(item) for item in value)
    if cls is dict:
        return {key: plain(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class FusionOptions:
    """How lexical and vector scores combine (defaults from settings: 0.6 / 0.4, RRF k=60)."""

    method: FusionMethod = "weighted"
    lexical_weight: float = 0.6
    vector_weight: float = 0.4
    rrf_k: int = 60


@dataclass(frozen=True)
class MatchOptions:
    """What a caller may ask of one match.

    Attributes:
        top_k: shortlist length (1..MATCH_MAX_TOP_K).
        company_id: only concepts this company is activated on.
        only_activated: only concepts with at least one activated company.
        branch: a glossary code or path prefix; only concepts under it.
        statuses: concept statuses to search (curators may look at drafts).
        fusion: fusion method and weights.
        explain: attach per-candidate explanations.
        rerank: ask the LLM to rerank (skipped with a warning when not configured).
        lang: language of the query ("fr", "en") when known; None = detect.
        use_cache: read and write the match cache.
        max_companies: companies listed per concept.
        use_examples: use the tenant's labelled examples as evidence (off: labels only, to
            measure what examples bring).
    """

    top_k: int = 10
    company_id: int | None = None
    only_activated: bool = False
    branch: str | None = None
    statuses: tuple[str, ...] = ("validated",)
    fusion: FusionOptions = field(default_factory=FusionOptions)
    explain: bool = True
    rerank: bool = False
    lang: str | None = None
    use_cache: bool = True
    max_companies: int = 10
    use_examples: bool = True

    def cache_key_part(self) -> dict[str, Any]:
        """The options that change the answer (everything but ``use_cache``)."""
        data = plain(self)
        data.pop("use_cache")
        return data


@dataclass(frozen=True)
class CompanyHit:
    """A company activated on a shortlisted concept."""

    company_id: int
    name: str
    siren: str | None
    score: float
    is_claimed: bool = False


@dataclass(frozen=True)
class CandidateExplanation:
    """Why one concept is where it is, as data and as sentences (fr, en)."""

    matched_text: str | None  # the label, synonym or example that matched lexically
    matched_kind: str | None  # label | synonym | example
    matched_lang: str | None
    lexical_score: float | None  # raw rapidfuzz score 0..100
    cosine: float | None  # raw cosine similarity
    lexical_norm: float  # normalised 0..1
    vector_norm: float  # normalised 0..1
    lexical_rank: int | None  # 1-based rank in the lexical list
    vector_rank: int | None  # 1-based rank in the vector list
    weights: dict[str, float]
    fused_score: float
    exact_hit: bool
    filters_passed: list[str]
    rerank_change: int | None  # positions moved by the LLM rerank (+ up)
    example: str | None  # a labelled example text that supported the match
    sentence_fr: str
    sentence_en: str
    agreeing_examples: int = 0  # further examples of the concept sharing the request's words


@dataclass(frozen=True)
class ShortlistItem:
    """One concept of the shortlist."""

    concept_id: int
    code: str | None
    label: str
    labels: dict[str, str]
    score: float
    sources: list[str]
    path: str | None
    companies: list[CompanyHit]
    explanation: CandidateExplanation | None = None


@dataclass(frozen=True)
class MatchResult:
    """The answer to one match request."""

    request_id: uuid.UUID
    query: str
    normalized_query: str
    shortlist: list[ShortlistItem]
    cache_hit: bool
    index_version: str | None
    vector_backend: str  # faiss | pgvector | none
    warnings: list[str]
    latency_ms: float
    summary_fr: str = ""
    summary_en: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (UUID as str)."""
        data = plain(self)
        data["request_id"] = str(self.request_id)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MatchResult:
        """Rebuild a result from :meth:`to_dict` output (the match cache stores that)."""
        shortlist = []
        for item in data["shortlist"]:
            explanation = item.get("explanation")
            shortlist.append(
                ShortlistItem(
                    **{
                        **item,
                        "companies": [CompanyHit(**c) for c in item["companies"]],
                        "explanation": (
                            CandidateExplanation(**explanation) if explanation else None
                        ),
                    }
                )
            )
        return cls(
            **{
                **data,
                "request_id": uuid.UUID(str(data["request_id"])),
                "shortlist": shortlist,
            }
        )


@dataclass(frozen=True)
class WhyNot:
    """Where a given concept was lost for a query ("why not X?")."""

    concept_id: int
    code: str | None
    label: str
    # not_found | status | filtered | too_low | cut_off | rerank | in_shortlist
    stage: str
    lexical_rank: int | None
    vector_rank: int | None
    fused_score: float | None
    cutoff: float | None
    sentence_fr: str
    sentence_en: str
