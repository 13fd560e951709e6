"""A tenant's concepts and examples, precomputed once per version for fast matching.

The matcher keeps one :class:`Catalog` per tenant in memory: concept metadata in arrays, the
lexical index over every label and synonym (all languages, all statuses — the status filter
is a mask), and the concept examples with their lexical index and vectors. It is immutable:
a change in the database produces a new catalog, swapped in atomically.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.matching.lexical import LexicalIndex
from core.matching.normalize import normalize
from core.models import CompanyConceptActivation, CompanyProfile, Concept, ConceptExample
from core.tenancy import scoped

LANG_PREFERENCE = ("fr", "en")
EXAMPLE_HNSW_THRESHOLD = 50_000
"""Examples searched by an HNSW graph from this many on (exact search below)."""


def display_label(labels: dict[str, str], lang: str | None = None) -> str:
    """The label to show: the requested language, else French, else English, else any.

    >>> display_label({"en": "Lathes", "fr": "Tours"}), display_label({"en": "Lathes"}, "fr")
    ('Tours', 'Lathes')
    """
    for candidate in (lang, *LANG_PREFERENCE):
        if candidate and labels.get(candidate):
            return labels[candidate]
    return next((v for v in labels.values() if v), "")


def parent_from_path(path: str | None, code: str | None) -> str | None:
    """The parent code from a materialised path ``a/b/c`` (``b`` for ``c``).

    >>> parent_from_path("42000000/42600000/42610000", "42610000")
    '42600000'
    >>> parent_from_path("42000000", "42000000") is None
    True
    """
    if not path:
        return None
    parts = [p for p in path.split("/") if p]
    if code and parts and parts[-1] == code:
        parts = parts[:-1]
    return parts[-1] if parts else None


@dataclass(frozen=True)
class ExampleSet:
    """Concept examples of a tenant: texts, their concept rows, lexical index and vectors."""

    ids: np.ndarray  # example_id per example row
    concept_row: np.ndarray  # catalog row of the example's concept
    texts: list[str]
    lexical: LexicalIndex
    vectors: np.ndarray  # (n, dim) float32; rows without a vector of the model are zero
    has_vector: np.ndarray  # bool per example row
    index: Any = None  # FAISS inner-product index over ``vectors`` (None without vectors)

    def nearest(self, query: np.ndarray, k: int, allowed: np.ndarray | None) -> np.ndarray:
        """Example rows by cosine with ``query``, best first, ``(rows, cosines)`` stacked.

        FAISS answers single queries without waking BLAS threads, which on a busy 2-core
        machine costs milliseconds per call; a filter leaving few examples is scored exactly.
        """
        usable = self.has_vector if allowed is None else self.has_vector & allowed
        n_usable = int(usable.sum())
        if self.index is None or n_usable == 0:
            return np.zeros((2, 0), dtype=np.float64)
        if n_usable <= 2048 or n_usable < len(usable) // 2:
            rows = np.flatnonzero(usable)
            sims = np.einsum("ij,j->i", self.vectors[rows], query)
            order = np.argsort(-sims)[:k]
            return np.vstack([rows[order], sims[order]])
        scores, found = self.index.search(query.reshape(1, -1).astype(np.float32), k * 2)
        keep = (found[0] >= 0) & usable[np.maximum(found[0], 0)]
        return np.vstack([found[0][keep][:k], scores[0][keep][:k]])


@dataclass(frozen=True)
class Catalog:
    """Immutable snapshot of one tenant's concepts for matching."""

    tenant_id: str
    model: str
    signature: str
    ids: np.ndarray  # concept_id per row
    row_of: dict[int, int]
    codes: list[str | None]
    labels: list[dict[str, str]]
    paths: list[str | None]
    parents: list[str | None]
    statuses: np.ndarray  # str per row
    entry_kind: list[str]  # label | synonym, per lexical entry
    entry_lang: list[str]
    entry_text: list[str]  # the raw label or synonym
    lexical: LexicalIndex
    examples: ExampleSet | None
    built_at: float = field(default_factory=time.time)
    build_seconds: float = 0.0
    _masks: dict[Any, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def short_signature(self) -> str:
        """12 hex digits of the signature (part of cache keys and index versions)."""
        return hashlib.sha1(self.signature.encode()).hexdigest()[:12]

    def status_mask(self, statuses: tuple[str, ...]) -> np.ndarray:
        """Rows whose status is one of ``statuses`` (cached per tuple)."""
        key = ("status", tuple(sorted(statuses)))
        mask = self._masks.get(key)
        if mask is None:
            mask = np.isin(self.statuses, list(statuses))
            self._masks[key] = mask
        return mask

    def branch_mask(self, branch: str) -> np.ndarray:
        """Rows under a glossary code or path prefix (cached per branch).

        A concept is under ``branch`` when its code equals it, its path starts with it, or
        the code appears as one segment of its path.
        """
        key = ("branch", branch)
        mask = self._masks.get(key)
        if mask is None:
            wanted = branch.strip().strip("/")
            mask = np.fromiter(
                (
                    code == wanted
                    or (path is not None and (path == wanted or path.startswith(wanted + "/")))
                    or (path is not None and wanted in path.split("/"))
                    for code, path in zip(self.codes, self.paths, strict=True)
                ),
                dtype=bool,
                count=len(self.codes),
            )
            self._masks[key] = mask
        return mask

    def rows_for(self, concept_ids: set[int] | list[int]) -> np.ndarray:
        """Boolean mask of the rows of the given concept ids (unknown ids ignored)."""
        mask = np.zeros(len(self.ids), dtype=bool)
        rows = [self.row_of[c] for c in concept_ids if c in self.row_of]
        if rows:
            mask[np.asarray(rows, dtype=np.int64)] = True
        return mask


def catalog_signature(session: Session, tenant_id: str) -> str:
    """Fingerprint of everything a catalog is built from (one query of six aggregates)."""
    parts = []
    for model, pk in ((Concept, Concept.concept_id), (ConceptExample, ConceptExample.example_id)):
        for column in (func.count(), func.coalesce(func.sum(pk), 0), func.max(model.updated_at)):
            parts.append(scoped(model, tenant_id).with_only_columns(column).scalar_subquery())
    values = session.execute(select(*parts)).one()
    return ":".join(v.isoformat() if hasattr(v, "isoformat") else str(v) for v in values)


def activation_signature(session: Session, tenant_id: str) -> str:
    """Fingerprint of the tenant's activations and company profiles (the companies shown per
    concept): ``"<activation count>:…"``."""
    parts = []
    for model, pk in (
        (CompanyConceptActivation, CompanyConceptActivation.activation_id),
        (CompanyProfile, CompanyProfile.company_id),
    ):
        for column in (func.count(), func.coalesce(func.sum(pk), 0), func.max(model.updated_at)):
            parts.append(scoped(model, tenant_id).with_only_columns(column).scalar_subquery())
    values = session.execute(select(*parts)).one()
    return ":".join(v.isoformat() if hasattr(v, "isoformat") else str(v) for v in values)


def load_catalog(session: Session, tenant_id: str, *, model: str) -> Catalog:
    """Read the tenant's concepts and examples and precompute everything matching needs."""
    started = time.perf_counter()
    signature = catalog_signature(session, tenant_id)
    rows = session.execute(
        scoped(Concept, tenant_id)
        .with_only_columns(
            Concept.concept_id,
            Concept.code,
            Concept.labels,
            Concept.synonyms,
            Concept.path,
            Concept.status,
        )
        .order_by(Concept.concept_id)
    ).all()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    codes, labels, paths, parents, statuses = [], [], [], [], []
    entry_norm: list[str] = []
    entry_owner: list[int] = []
    entry_kind: list[str] = []
    entry_lang: list[str] = []
    entry_text: list[str] = []
    for row_index, (_, code, label_map, synonym_map, path, status) in enumerate(rows):
        label_map = {k: v for k, v in (label_map or {}).items() if isinstance(v, str) and v}
        codes.append(code)
        labels.append(label_map)
        paths.append(path)
        parents.append(parent_from_path(path, code))
        statuses.append(status)
        for lang, text in label_map.items():
            entry_norm.append(normalize(text))
            entry_owner.append(row_index)
            entry_kind.append("label")
            entry_lang.append(lang)
            entry_text.append(text)
        for lang, values in (synonym_map or {}).items():
            for text in values or []:
                if isinstance(text, str) and text.strip():
                    entry_norm.append(normalize(text))
                    entry_owner.append(row_index)
                    entry_kind.append("synonym")
                    entry_lang.append(lang)
                    entry_text.append(text)
    row_of = {int(cid): i for i, cid in enumerate(ids)}
    lexical = LexicalIndex(entry_norm, entry_owner, len(rows))
    examples = _load_examples(session, tenant_id, row_of, model=model)
    return Catalog(
        tenant_id=tenant_id,
        model=model,
        signature=signature,
        ids=ids,
        row_of=row_of,
        codes=codes,
        labels=labels,
        paths=paths,
        parents=parents,
        statuses=np.asarray(statuses, dtype=object),
        entry_kind=entry_kind,
        entry_lang=entry_lang,
        entry_text=entry_text,
        lexical=lexical,
        examples=examples,
        build_seconds=round(time.perf_counter() - started, 3),
    )


def _load_examples(
    session: Session, tenant_id: str, row_of: dict[int, int], *, model: str
) -> ExampleSet | None:
    rows = session.execute(
        scoped(ConceptExample, tenant_id)
        .with_only_columns(
            ConceptExample.example_id,
            ConceptExample.concept_id,
            ConceptExample.text,
            ConceptExample.embedding,
            ConceptExample.embedding_model,
        )
        .order_by(ConceptExample.example_id)
    ).all()
    rows = [r for r in rows if r[1] in row_of and r[2]]
    if not rows:
        return None
    dim = next((len(r[3]) for r in rows if r[3] is not None), 0)
    vectors = np.zeros((len(rows), max(dim, 1)), dtype=np.float32)
    has_vector = np.zeros(len(rows), dtype=bool)
    for i, (_, _, _, embedding, emb_model) in enumerate(rows):
        if embedding is not None and emb_model == model and len(embedding) == dim:
            vectors[i] = np.asarray(embedding, dtype=np.float32)
            has_vector[i] = True
    texts = [r[2] for r in rows]
    index = None
    if has_vector.any():
        from core.matching.index import make_faiss_index

        kind = "hnsw" if len(rows) >= EXAMPLE_HNSW_THRESHOLD else "flat"
        index = make_faiss_index(vectors, kind)
    return ExampleSet(
        ids=np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
        concept_row=np.fromiter((row_of[r[1]] for r in rows), dtype=np.int64, count=len(rows)),
        texts=texts,
        lexical=LexicalIndex([normalize(t) for t in texts], list(range(len(rows))), len(rows)),
        vectors=vectors,
        has_vector=has_vector,
        index=index,
    )
