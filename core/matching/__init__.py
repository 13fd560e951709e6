"""Hybrid matching: free text → shortlist of concepts with companies and explanations.

Entry points (imported lazily, so ``import core.matching`` stays cheap):

* ``core.matching.embed_concepts`` / ``embed_examples`` — store embeddings (``store``);
* ``core.matching.index.build_index`` — the FAISS index of a tenant;
* ``core.matching.service.get_matcher()`` — the process-wide matcher.
"""

from __future__ import annotations

from typing import Any

__all__ = ["embed_concepts", "embed_examples", "get_matcher"]


def __getattr__(name: str) -> Any:
    if name in ("embed_concepts", "embed_examples"):
        from core.matching import store

        return getattr(store, name)
    if name == "get_matcher":
        from core.matching.service import get_matcher

        return get_matcher
    raise AttributeError(f"module 'core.matching' has no attribute {name!r}")
