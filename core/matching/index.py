"""FAISS vector index per tenant and model, derived from the pgvector embeddings.

PostgreSQL is the store of truth; the FAISS index is a rebuildable copy of the embeddings of
the tenant's *validated* concepts, written atomically into
``FAISS_INDEX_DIR/<tenant>/<model-slug>/``:

* ``index-<version>.faiss`` and ``ids-<version>.npy`` (FAISS row → concept_id), then
* ``manifest.json`` last, with ``os.replace``: readers only ever see a complete index, and a
  new manifest (new ``version``) tells them to reload.

Exact search (``IndexFlatIP``) below ``HNSW_THRESHOLD`` concepts, HNSW above (see the README's
benchmark for the measured cross-over). When the index is missing, stale (its source
signature or checksum differs from the database) or built with another model, the matcher
falls back to pgvector's own HNSW search (:func:`pgvector_search`) and says so.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import Settings, get_settings
from core.errors import UserError
from core.matching.embed import model_slug
from core.models import Concept, ConceptStatus
from core.tenancy import require_tenant, scoped, validate_tenant_id

INDEX_FORMAT = 1
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 256
MANIFEST_NAME = "manifest.json"
KEEP_OLD_VERSIONS = 1
"""Older index files kept beside the current one, for readers still loading them."""


@dataclass(frozen=True)
class IndexManifest:
    """What an index file holds and how it was made (``manifest.json``)."""

    tenant_id: str
    model: str
    dimension: int
    count: int
    checksum: str  # sha256 of the source ids + float32 embeddings
    signature: str  # cheap database fingerprint of the same rows (count:sum(ids):max(updated))
    built_at: str  # ISO 8601, UTC
    build_seconds: float
    index_type: str  # flat | hnsw
    version: str  # changes on every build: part of cache keys
    index_file: str
    ids_file: str
    hnsw_m: int | None = None
    hnsw_ef_search: int | None = None
    format: int = INDEX_FORMAT

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


@dataclass
class FaissIndex:
    """A loaded index: search it, or read its vectors back."""

    manifest: IndexManifest
    index: Any  # faiss.Index
    ids: np.ndarray  # int64 concept ids, one per FAISS row
    manifest_mtime_ns: int = 0

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(concept_ids, cosines)`` of the ``k`` nearest concepts, best first."""
        if k <= 0 or not len(self.ids):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        scores, rows = self.index.search(
            np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), min(k, len(self.ids))
        )
        keep = rows[0] >= 0
        return self.ids[rows[0][keep]], scores[0][keep]

    def vectors(self) -> np.ndarray:
        """All stored vectors, in FAISS row order (for exact rescoring and recall checks)."""
        return np.asarray(self.index.reconstruct_n(0, self.index.ntotal), dtype=np.float32)


def index_dir(tenant_id: str, model: str, settings: Settings | None = None) -> Path:
    """``FAISS_INDEX_DIR/<tenant>/<model-slug>`` (not created here)."""
    settings = settings or get_settings()
    return Path(settings.faiss_index_dir) / validate_tenant_id(tenant_id) / model_slug(model)


def _source_filter(model: str) -> tuple[Any, ...]:
    return (
        Concept.status == ConceptStatus.VALIDATED.value,
        Concept.embedding.is_not(None),
        Concept.embedding_model == model,
    )


def source_signature(session: Session, tenant_id: str, model: str) -> str:
    """Cheap fingerprint of the rows an index is built from (one aggregate query).

    Any insert, delete, status change or re-embedding changes the count, the id sum or the
    latest ``updated_at``.
    """
    stmt = scoped(Concept, tenant_id, *_source_filter(model)).with_only_columns(
        func.count(), func.coalesce(func.sum(Concept.concept_id), 0), func.max(Concept.updated_at)
    )
    count, id_sum, latest = session.execute(stmt).one()
    stamp = latest.isoformat() if latest is not None else "-"
    return f"{count}:{id_sum}:{stamp}"


def source_vectors(session: Session, tenant_id: str, model: str) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, matrix)`` of the validated concepts embedded with ``model``, by concept_id."""
    stmt = (
        scoped(Concept, tenant_id, *_source_filter(model))
        .with_only_columns(Concept.concept_id, Concept.embedding)
        .order_by(Concept.concept_id)
    )
    rows = session.execute(stmt).all()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    if not rows:
        return ids, np.zeros((0, 0), dtype=np.float32)
    matrix = np.vstack([np.asarray(r[1], dtype=np.float32) for r in rows])
    return ids, np.ascontiguousarray(matrix)


def checksum(ids: np.ndarray, matrix: np.ndarray) -> str:
    """sha256 of ids and float32 vectors: equal iff the index would be identical.

    >>> a = checksum(np.array([1, 2]), np.ones((2, 3), np.float32))
    >>> a == checksum(np.array([1, 2]), np.ones((2, 3), np.float32))
    True
    >>> a == checksum(np.array([1, 3]), np.ones((2, 3), np.float32))
    False
    """
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(ids, dtype=np.int64).tobytes())
    digest.update(np.ascontiguousarray(matrix, dtype=np.float32).tobytes())
    return digest.hexdigest()


def choose_index_type(count: int, threshold: int) -> str:
    """``flat`` (exact) below the threshold, ``hnsw`` from it on.

    >>> choose_index_type(999, 20000), choose_index_type(20000, 20000)
    ('flat', 'hnsw')
    """
    return "hnsw" if count >= threshold else "flat"


def make_faiss_index(matrix: np.ndarray, index_type: str, *, progress: bool = False) -> Any:
    """A FAISS inner-product index over L2-normalised rows (inner product = cosine)."""
    import faiss

    dim = matrix.shape[1]
    index: Any
    if index_type == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # building a graph uses every core
    try:
        if progress and index_type == "hnsw":
            from tqdm.auto import tqdm

            step = 5000
            for start in tqdm(range(0, len(matrix), step), desc="HNSW", unit="×5k"):
                index.add(matrix[start : start + step])
        else:
            index.add(matrix)
    finally:
        faiss.omp_set_num_threads(previous)
    return index


def single_threaded_search() -> None:
    """Make FAISS answer single queries on one thread (the matcher calls this once).

    One query gains nothing from OpenMP, and in a process that also runs torch the two
    OpenMP runtimes' spinning threads fight over the cores: measured on the 10k-concept
    benchmark tenant, a flat search took 15 ms with FAISS's default threads and 2 ms with one.
    """
    import faiss

    faiss.omp_set_num_threads(1)


def _atomic_write(path: Path, write: Any) -> None:
    """Write through a temporary file in the same folder, then ``os.replace``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise


def build_index(
    session: Session,
    tenant_id: str,
    *,
    settings: Settings | None = None,
    progress: bool = False,
) -> IndexManifest:
    """Build the tenant's FAISS index from pgvector and publish it atomically.

    Args:
        session: an open session (only read).
        tenant_id: the tenant (must exist).
        settings: model name, index folder and ``hnsw_threshold``.
        progress: progress bar while adding to an HNSW graph.

    Raises:
        UserError: no validated concept has an embedding from the current model.
    """
    import faiss

    settings = settings or get_settings()
    tenant = require_tenant(session, tenant_id)
    model = settings.embedding_model
    started = time.perf_counter()
    signature = source_signature(session, tenant, model)
    ids, matrix = source_vectors(session, tenant, model)
    if not len(ids):
        raise UserError(
            f"tenant {tenant} has no validated concept embedded with {model!r}: validate "
            "concepts and embed them first (the dico build does both; "
            "core.matching.embed_concepts embeds)"
        )
    index_type = choose_index_type(len(ids), settings.hnsw_threshold)
    index = make_faiss_index(matrix, index_type, progress=progress)
    digest = checksum(ids, matrix)
    now = datetime.now(UTC)
    version = f"{now.strftime('%Y%m%dT%H%M%S%f')}-{digest[:10]}"
    folder = index_dir(tenant, model, settings)
    folder.mkdir(parents=True, exist_ok=True)
    index_file, ids_file = f"index-{version}.faiss", f"ids-{version}.npy"
    _atomic_write(folder / index_file, lambda p: faiss.write_index(index, p))

    def _save_ids(p: str) -> None:
        with Path(p).open("wb") as handle:
            np.save(handle, ids)

    _atomic_write(folder / ids_file, _save_ids)
    manifest = IndexManifest(
        tenant_id=tenant,
        model=model,
        dimension=int(matrix.shape[1]),
        count=len(ids),
        checksum=digest,
        signature=signature,
        built_at=now.isoformat(),
        build_seconds=round(time.perf_counter() - started, 3),
        index_type=index_type,
        version=version,
        index_file=index_file,
        ids_file=ids_file,
        hnsw_m=HNSW_M if index_type == "hnsw" else None,
        hnsw_ef_search=HNSW_EF_SEARCH if index_type == "hnsw" else None,
    )
    _atomic_write(
        folder / MANIFEST_NAME,
        lambda p: Path(p).write_text(json.dumps(manifest.to_dict(), indent=2), encoding="utf-8"),
    )
    _prune(folder, keep={index_file, ids_file})
    return manifest


def _prune(folder: Path, *, keep: set[str]) -> None:
    """Delete index files of older versions, keeping the newest ``KEEP_OLD_VERSIONS``."""
    for pattern in ("index-*.faiss", "ids-*.npy"):
        old = sorted(
            (p for p in folder.glob(pattern) if p.name not in keep),
            key=lambda p: p.stat().st_mtime_ns,
            reverse=True,
        )
        for path in old[KEEP_OLD_VERSIONS:]:
            with contextlib.suppress(OSError):
                path.unlink()


def manifest_path(tenant_id: str, model: str, settings: Settings | None = None) -> Path:
    """Where the manifest of this tenant and model lives."""
    return index_dir(tenant_id, model, settings) / MANIFEST_NAME


def read_manifest(
    tenant_id: str, settings: Settings | None = None, *, model: str | None = None
) -> IndexManifest | None:
    """The published manifest, or ``None`` when there is none (or it is unreadable)."""
    settings = settings or get_settings()
    path = manifest_path(tenant_id, model or settings.embedding_model, settings)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return IndexManifest(**data)
    except (OSError, ValueError, TypeError):
        return None


def load_index(
    tenant_id: str, settings: Settings | None = None, *, model: str | None = None
) -> FaissIndex | None:
    """Load the published index of the current (or given) model; ``None`` when missing.

    The caller decides whether it is stale (compare ``manifest.signature`` with
    :func:`source_signature`).
    """
    import faiss

    settings = settings or get_settings()
    model = model or settings.embedding_model
    path = manifest_path(tenant_id, model, settings)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
    manifest = read_manifest(tenant_id, settings, model=model)
    if manifest is None or manifest.format != INDEX_FORMAT:
        return None
    folder = path.parent
    try:
        index: Any = faiss.read_index(str(folder / manifest.index_file))
        ids = np.load(folder / manifest.ids_file)
    except (OSError, RuntimeError, ValueError):
        return None
    if manifest.index_type == "hnsw" and manifest.hnsw_ef_search:
        index.hnsw.efSearch = manifest.hnsw_ef_search
    if index.ntotal != len(ids):
        return None
    return FaissIndex(manifest=manifest, index=index, ids=ids, manifest_mtime_ns=mtime)


def index_recall(
    session: Session,
    tenant_id: str,
    *,
    k: int = 10,
    n_queries: int = 200,
    settings: Settings | None = None,
    seed: int = 0,
) -> float:
    """recall@k of the published index against exact search over the same vectors.

    Queries are midpoints of random pairs of the tenant's concept vectors (normalised): in
    the same distribution as real queries, but not equal to any stored vector.

    Raises:
        UserError: there is no index for this tenant and model.
    """
    import faiss

    settings = settings or get_settings()
    tenant = require_tenant(session, tenant_id)
    loaded = load_index(tenant, settings)
    if loaded is None:
        raise UserError(f"no FAISS index for {tenant}: run `marketlounge index --tenant {tenant}`")
    vectors = loaded.vectors()
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(vectors), size=(n_queries, 2))
    queries = vectors[picks[:, 0]] + vectors[picks[:, 1]]
    queries /= np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    kk = min(k, len(vectors))
    _, truth = exact.search(queries, kk)
    _, approx = loaded.index.search(queries, kk)
    hits = sum(len(set(t) & set(a)) for t, a in zip(truth, approx, strict=True))
    return hits / float(kk * n_queries)


def pgvector_search(
    session: Session,
    tenant_id: str,
    query: np.ndarray,
    *,
    k: int,
    model: str,
    statuses: Sequence[str] = (ConceptStatus.VALIDATED.value,),
) -> list[tuple[int, float]]:
    """Nearest concepts by pgvector's own HNSW index: ``[(concept_id, cosine)]``, best first.

    The fallback when FAISS is missing, stale or for another model, and the path for
    non-validated statuses (FAISS holds validated concepts only).
    """
    # Tenant filtering happens after the HNSW scan: widen the scan so a small tenant among
    # large ones still gets k rows (and let pgvector >= 0.8 continue the scan if needed).
    session.execute(select(func.set_config("hnsw.ef_search", str(max(100, 4 * k)), True)))
    with contextlib.suppress(Exception), session.begin_nested():
        session.execute(select(func.set_config("hnsw.iterative_scan", "relaxed_order", True)))
    distance = Concept.embedding.cosine_distance(np.asarray(query, dtype=np.float32))
    stmt = (
        scoped(
            Concept,
            tenant_id,
            Concept.status.in_(list(statuses)),
            Concept.embedding.is_not(None),
            Concept.embedding_model == model,
        )
        .with_only_columns(Concept.concept_id, distance)
        .order_by(distance)
        .limit(k)
    )
    return [(int(cid), 1.0 - float(dist)) for cid, dist in session.execute(stmt)]


def cosines_for(
    session: Session, tenant_id: str, query: np.ndarray, concept_ids: Sequence[int], *, model: str
) -> dict[int, float]:
    """Exact cosine of the query with given concepts (pgvector path: fills gaps for fusion)."""
    if not concept_ids:
        return {}
    distance = Concept.embedding.cosine_distance(np.asarray(query, dtype=np.float32))
    stmt = scoped(
        Concept,
        tenant_id,
        Concept.concept_id.in_(list(concept_ids)),
        Concept.embedding.is_not(None),
        Concept.embedding_model == model,
    ).with_only_columns(Concept.concept_id, distance)
    return {int(cid): 1.0 - float(dist) for cid, dist in session.execute(stmt)}
