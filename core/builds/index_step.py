"""Build step 4: the tenant's FAISS index from pgvector, checked against exact search."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.builds.common import Stopwatch, build_tenant
from core.builds.results import IndexBuildResult
from core.config import get_settings


def build_index_step(
    session: Session,
    tenant_id: str,
    *,
    recall_k: int = 10,
    force: bool = False,
    progress: bool = False,
) -> IndexBuildResult:
    """(Re)build the FAISS index of the tenant's validated concepts and measure its recall.

    The index is rebuilt only when the validated concepts' vectors changed since the
    published manifest (same database signature and a loadable index: nothing to do), so a
    re-run neither rewrites files nor invalidates the match cache. ``force`` rebuilds anyway.

    Args:
        session: an open session (read only here).
        tenant_id: whose index.
        recall_k: k of the recall@k check of the index against exact (brute-force) search.
        force: rebuild even when nothing changed.
        progress: progress bar while building an HNSW graph.

    Returns:
        ``vectors``, ``rebuilt`` (0/1) and ``recall`` counts, plus the manifest.
    """
    from core.matching.index import build_index, index_recall, load_index, source_signature

    watch = Stopwatch()
    build_tenant(session, tenant_id)
    settings = get_settings()
    current = load_index(tenant_id, settings)
    signature = source_signature(session, tenant_id, settings.embedding_model)
    if current is not None and current.manifest.signature == signature and not force:
        manifest, rebuilt = current.manifest, 0
    else:
        manifest, rebuilt = (
            build_index(session, tenant_id, settings=settings, progress=progress),
            1,
        )
    recall = index_recall(session, tenant_id, k=recall_k, settings=settings)
    return IndexBuildResult(
        tenant_id=tenant_id,
        counts={"vectors": manifest.count, "rebuilt": rebuilt, "recall": round(recall, 4)},
        duration_s=watch.elapsed,
        manifest=manifest.to_dict(),
        recall=recall,
        recall_k=recall_k,
    )
