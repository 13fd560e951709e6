"""Optional LLM rerank of a shortlist, through ``core.llm``; never fails a match."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

RERANK_TIMEOUT_S = 8.0
"""Upper bound of the whole rerank call (retries included); the match goes on without it."""


@dataclass(frozen=True)
class RerankOutcome:
    """The new order (concept ids), or ``None`` when skipped, with a warning to show."""

    order: list[int] | None
    warning: str | None = None
    rationales: dict[int, str] = field(default_factory=dict)


def llm_rerank(
    query: str,
    candidates: Sequence[tuple[int, str]],
    *,
    tenant_id: str | None = None,
    timeout_s: float = RERANK_TIMEOUT_S,
    settings: Any = None,
) -> RerankOutcome:
    """Ask the LLM to reorder ``[(concept_id, text)]`` for ``query``.

    Missing module, no key, an error or a timeout → ``order=None`` and a warning (fr — en).
    """
    if len(candidates) < 2:
        return RerankOutcome(None)
    try:
        from core.llm import RerankCandidate, get_llm
    except ImportError:
        return RerankOutcome(
            None, "rerank LLM indisponible (core.llm absent) — LLM rerank unavailable"
        )
    try:
        llm = get_llm(settings)
        if not getattr(llm, "configured", False):
            return RerankOutcome(
                None,
                "rerank LLM ignoré : MISTRAL_API_KEY non configurée — "
                "LLM rerank skipped: MISTRAL_API_KEY is not set",
            )
        result = llm.rerank(
            query,
            [RerankCandidate(id=cid, text=text) for cid, text in candidates],
            timeout_s=timeout_s,
            tenant_id=tenant_id,
        )
    except Exception as exc:  # noqa: BLE001 - a rerank must never fail the match
        logger.warning("LLM rerank failed: %s", exc)
        return RerankOutcome(
            None, f"rerank LLM en échec ({type(exc).__name__}) — LLM rerank failed: {exc}"[:300]
        )
    if getattr(result, "status", "ok") != "ok":
        message = getattr(result, "message", "") or result.status
        return RerankOutcome(
            None, f"rerank LLM ignoré ({message}) — LLM rerank skipped ({message})"[:300]
        )
    known = {cid for cid, _ in candidates}
    order = [int(i) for i in result.order if _as_int(i) in known]
    order += [cid for cid, _ in candidates if cid not in order]
    rationales = {
        int(k): str(v) for k, v in getattr(result, "rationales", {}).items() if _as_int(k) in known
    }
    return RerankOutcome(order, None, rationales)


def _as_int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None
