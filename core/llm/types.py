"""Value types the LLM facade returns: texts with usage, rerank and enrichment results."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

ResultStatus = Literal["ok", "skipped", "failed"]
NOT_CONFIGURED = "LLM not configured"
"""The message of every result skipped in degraded mode (no ``MISTRAL_API_KEY``)."""

V = TypeVar("V")


def utc_now_iso() -> str:
    """The current UTC time as an ISO 8601 string, seconds precision (for provenance)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class LlmText:
    """One completion: the text and what it cost.

    Attributes:
        text: the assistant message content.
        model: the model that answered (as reported by the server).
        prompt_tokens / completion_tokens: usage reported by the server.
        cost_eur: estimated from the per-1k-token prices in settings.
        attempts: HTTP attempts made (1 = no retry).
        retry_delays: seconds waited before each retry, in order (Retry-After or backoff).
    """

    text: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_eur: float = 0.0
    attempts: int = 1
    retry_delays: tuple[float, ...] = ()


@dataclass(frozen=True)
class Provenance:
    """Where a value came from: ``machine`` for LLM output (with model and time)."""

    source: Literal["imported", "machine", "human"]
    model: str | None
    at: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, the shape stored in the models' ``provenance`` JSONB."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class EnrichmentResult(Generic[V]):
    """A proposal from the LLM (synonyms, a definition, a summary), never applied by itself.

    Attributes:
        status: ``ok`` (value is set), ``skipped`` (degraded mode or nothing to do),
            ``failed`` (the LLM was configured but did not give a usable answer).
        value: the proposal when ``ok``, else ``None``.
        provenance: ``{source: machine, model, at}`` when ``ok``.
        message: why it was skipped or failed (``"LLM not configured"`` in degraded mode).
    """

    status: ResultStatus
    value: V | None = None
    provenance: Provenance | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        """True when there is a value to use."""
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (for the API and build reports)."""
        return {
            "status": self.status,
            "value": self.value,
            "provenance": self.provenance.to_dict() if self.provenance else None,
            "message": self.message,
        }


@dataclass(frozen=True)
class RerankCandidate:
    """A candidate for reranking: an id the caller knows and the text the LLM reads."""

    id: int | str
    text: str


@dataclass(frozen=True)
class RerankResult:
    """A reordering of candidates with one-line rationales.

    ``order`` always holds every candidate id exactly once: the LLM's order when ``ok``,
    the original order when ``skipped`` or ``failed`` (so callers can use it blindly).
    """

    status: ResultStatus
    order: list[int | str]
    rationales: dict[int | str, str] = field(default_factory=dict)
    message: str = ""
    model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (rationale keys as strings)."""
        return {
            "status": self.status,
            "order": list(self.order),
            "rationales": {str(k): v for k, v in self.rationales.items()},
            "message": self.message,
            "model": self.model,
        }
