"""The LLM facade (Mistral): ``get_llm()`` then ``complete`` / ``complete_json`` /
``translate`` / ``rerank``; enrichment proposals live in ``core.llm.enrich``.

Without ``MISTRAL_API_KEY`` everything still imports and runs: LLM features report
"LLM not configured" (degraded mode). ``mistralai`` itself is imported on the first call.
"""

from core.llm.client import LLM, get_llm, reset_llm
from core.llm.errors import LlmError, LlmNotConfigured, LlmUnavailable
from core.llm.types import (
    NOT_CONFIGURED,
    EnrichmentResult,
    LlmText,
    Provenance,
    RerankCandidate,
    RerankResult,
)

__all__ = [
    "LLM",
    "NOT_CONFIGURED",
    "EnrichmentResult",
    "LlmError",
    "LlmNotConfigured",
    "LlmText",
    "LlmUnavailable",
    "Provenance",
    "RerankCandidate",
    "RerankResult",
    "get_llm",
    "reset_llm",
]
