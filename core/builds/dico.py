"""Build step 2: glossary nodes → concepts (the semantic dictionary) for curators.

One concept per glossary node, identified by its code. The build proposes and refreshes
*drafts* only: a validated, rejected or merged concept is a curator's decision and is never
rewritten; when its source node changed (a higher ``version`` than the one recorded), it is
flagged ``is_stale`` for a curator to review. Labelled texts (coded demands, a labelled file)
become the concepts' examples, their recurring wordings become synonym proposals, and
near-duplicate concepts become merge proposals.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.builds.common import (
    Stopwatch,
    build_tenant,
    content_hash,
    dry_run_guard,
    matching_function,
)
from core.builds.examples import attach_examples
from core.builds.params import OFFICIAL_TAXONOMIES, resolve_path
from core.builds.results import DicoBuildResult
from core.builds.wording import common_wordings, fold, frequent_wordings, unambiguous_variants
from core.config import get_settings
from core.models import Concept, ConceptExample, ConceptStatus, GlossaryNode, MergeProposal
from core.tenancy import scoped

logger = logging.getLogger(__name__)

DRAFT = ConceptStatus.DRAFT.value
VALIDATED = ConceptStatus.VALIDATED.value
REJECTED = ConceptStatus.REJECTED.value
MERGED = ConceptStatus.MERGED.value
BUILD_ACTOR = "build:dico"


def build_dico(
    session: Session,
    tenant_id: str,
    *,
    taxonomy: str | None = None,
    auto_validate: bool | None = False,
    duplicate_threshold: float = 0.92,
    use_llm: bool = True,
    use_demands: bool = True,
    holdout: float = 0.0,
    examples_path: str | Path | None = None,
    dry_run: bool = False,
    progress: bool = False,
) -> DicoBuildResult:
    """Propose or refresh draft concepts from the glossary, with examples and proposals.

    Args:
        session: an open session; the caller commits (one transaction for the whole step).
        tenant_id: whose dictionary.
        taxonomy: only this taxonomy's nodes (None: every taxonomy of the tenant).
        auto_validate: create *new* concepts already validated (origin ``imported``), for a
            trusted official nomenclature; ``None`` does so for CPV and NAF only.
        duplicate_threshold: cosine from which two concepts become a merge proposal.
        use_llm: ask the LLM for synonyms and definitions of new or changed drafts (skipped
            without ``MISTRAL_API_KEY``).
        use_demands: attach the tenant's demands that carry a concept code as examples.
        holdout: share of those demands kept out of the examples (chosen by a hash of the
            text, so always the same ones): unseen texts for the evaluate step.
        examples_path: a labelled CSV (``text``, ``expected_code``, optional ``lang``) whose
            rows become examples too.
        dry_run: compute and report, then roll everything back.
        progress: show progress bars.

    Returns:
        Counts (``created``, ``updated``, ``unchanged``, ``kept``, ``stale_marked``,
        ``examples_created``, ``synonyms_proposed``, ``merge_proposals_created`` …) and tables.
    """
    watch = Stopwatch()
    build_tenant(session, tenant_id)
    examples_file = resolve_path(examples_path) if examples_path else None
    counts: dict[str, int | float] = dict.fromkeys(
        ("created", "updated", "unchanged", "kept", "stale_marked", "skipped", "examples_created",
         "synonyms_added", "synonyms_proposed", "embedded", "merge_proposals_created"), 0
    )  # fmt: skip
    warnings: list[str] = []
    with dry_run_guard(session, dry_run):
        enrich = _upsert_concepts(session, tenant_id, taxonomy, auto_validate, counts, warnings)
        timings = {"concepts": watch.elapsed}
        llm = _enrich_with_llm(enrich, use_llm=use_llm, progress=progress)
        session.flush()
        timings["llm"] = watch.elapsed
        examples = attach_examples(
            session,
            tenant_id,
            use_demands=use_demands,
            holdout=holdout,
            path=examples_file,
            warnings=warnings,
        )
        counts["examples_created"] = examples.created
        counts["examples_unmatched"] = examples.unmatched
        counts["examples_held_out"] = examples.held_out
        wordings = _propose_wordings(session, tenant_id, counts)
        timings["examples"] = watch.elapsed
        counts["embedded"] = _embed(session, tenant_id, progress=progress)
        timings["embeddings"] = watch.elapsed
        proposals = _merge_proposals(session, tenant_id, duplicate_threshold)
        counts["merge_proposals_created"] = len(proposals)
        statuses = _status_counts(session, tenant_id)
        timings["merge_proposals"] = watch.elapsed
    return DicoBuildResult(
        tenant_id=tenant_id,
        counts=counts,
        dry_run=dry_run,
        duration_s=watch.elapsed,
        warnings=warnings,
        status_counts=statuses,
        merge_proposals=proposals,
        proposed_synonyms=wordings,
        llm=llm,
        timings_s=_phase_durations(timings),
    )


def _phase_durations(marks: dict[str, float]) -> dict[str, float]:
    """Seconds per phase from cumulative stopwatch marks (in insertion order).

    >>> _phase_durations({"a": 1.0, "b": 3.5})
    {'a': 1.0, 'b': 2.5}
    """
    durations: dict[str, float] = {}
    previous = 0.0
    for name, mark in marks.items():
        durations[name] = round(mark - previous, 3)
        previous = mark
    return durations


# --- concepts from nodes ------------------------------------------------------------------


def _node_content(node: GlossaryNode, variants: list[str]) -> dict[str, Any]:
    """What a draft concept derives from its node (hashed to notice changes)."""
    labels = {
        lang: text.strip() for lang, text in (node.labels or {}).items() if text and text.strip()
    }
    synonyms: dict[str, list[str]] = defaultdict(list)
    for lang, label in labels.items():
        for variant in variants:
            if variant in _variants_of(label) and variant not in synonyms[lang]:
                synonyms[lang].append(variant)
    extra_synonyms = (node.extra or {}).get("synonyms")
    if isinstance(extra_synonyms, dict):
        for lang, values in extra_synonyms.items():
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, str) and value.strip() and value not in synonyms[lang]:
                    synonyms[lang].append(value.strip())
    definitions = {
        lang: t.strip() for lang, t in (node.descriptions or {}).items() if t and t.strip()
    }
    return {
        "taxonomy": node.taxonomy,
        "labels": labels,
        "synonyms": {lang: values for lang, values in synonyms.items() if values},
        "definitions": definitions,
        "path": node.path,
        "source_node_ids": [node.node_id],
        "source_versions": {str(node.node_id): node.version},
    }


def _variants_of(label: str) -> list[str]:
    from core.builds.wording import label_variants

    return label_variants(label)


def _union(*maps: dict[str, list[str]] | None) -> dict[str, list[str]]:
    """Merge language → list maps, keeping first spellings and dropping fold-duplicates.

    >>> _union({"fr": ["Tours"]}, {"fr": ["tours", "Fraiseuses"], "en": ["Lathes"]})
    {'fr': ['Tours', 'Fraiseuses'], 'en': ['Lathes']}
    """
    merged: dict[str, list[str]] = {}
    for mapping in maps:
        for lang, values in (mapping or {}).items():
            bucket = merged.setdefault(lang, [])
            seen = {fold(v) for v in bucket}
            for value in values:
                if value and fold(value) not in seen:
                    bucket.append(value)
                    seen.add(fold(value))
    return {lang: values for lang, values in merged.items() if values}


def _apply_draft(concept: Concept, content: dict[str, Any], source_hash: str) -> None:
    """Write a node's content into a draft, keeping its LLM and example-derived additions."""
    sources = dict((concept.extra or {}).get("synonym_sources") or {})
    sources["taxonomy"] = content["synonyms"]
    llm = (concept.extra or {}).get("llm") or {}
    concept.taxonomy = content["taxonomy"]
    concept.labels = content["labels"]
    concept.synonyms = _union(sources.get("taxonomy"), sources.get("llm"), sources.get("examples"))
    concept.definitions = {**(llm.get("definitions") or {}), **content["definitions"]}
    concept.path = content["path"]
    concept.source_node_ids = content["source_node_ids"]
    concept.source_versions = content["source_versions"]
    concept.content_hash = source_hash
    concept.is_stale = False
    concept.embedding = None  # re-embedded below
    concept.embedding_model = None
    provenance = {
        key: value
        for key, value in (concept.provenance or {}).items()
        if not key.startswith(("label:", "definition:"))
    }
    version = next(iter(content["source_versions"].values()))
    for lang in content["labels"]:
        provenance[f"label:{lang}"] = {"source": "imported", "node_version": version}
    for lang in content["definitions"]:
        provenance[f"definition:{lang}"] = {"source": "imported", "node_version": version}
    concept.provenance = provenance
    concept.extra = {**(concept.extra or {}), "synonym_sources": sources}


def _is_stale(concept: Concept, nodes_by_id: dict[int, GlossaryNode]) -> str | None:
    """Why a decided concept no longer matches its source nodes (None: it still does)."""
    recorded = concept.source_versions or {}
    for node_id in concept.source_node_ids or []:
        node = nodes_by_id.get(int(node_id))
        if node is None:
            return f"source node {node_id} was deleted"
        if node.status != "active":
            return f"source node {node.code} is {node.status}"
        before = int(recorded.get(str(node_id), 0))
        if node.version > before:
            return f"source node {node.code} changed (version {before} → {node.version})"
    return None


def _upsert_concepts(
    session: Session,
    tenant_id: str,
    taxonomy: str | None,
    auto_validate: bool | None,
    counts: dict[str, int | float],
    warnings: list[str],
) -> list[Concept]:
    """Create, refresh or flag concepts; return the drafts that need LLM enrichment."""
    all_nodes = list(
        session.scalars(scoped(GlossaryNode, tenant_id).execution_options(populate_existing=True))
    )
    nodes_by_id = {node.node_id: node for node in all_nodes}
    nodes = [
        node
        for node in sorted(all_nodes, key=lambda n: (n.taxonomy, n.path))
        if node.status == "active" and (taxonomy is None or node.taxonomy == taxonomy)
    ]
    if taxonomy is not None and not nodes:
        warnings.append(f"no active glossary node of taxonomy {taxonomy!r}: build glossary first")
    variants: dict[tuple[str, str], list[str]] = {}
    by_taxonomy: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for node in nodes:
        by_taxonomy[node.taxonomy][node.code] = [t for t in (node.labels or {}).values() if t]
    for name, labels in by_taxonomy.items():
        for code, found in unambiguous_variants(labels).items():
            variants[(name, code)] = found

    stmt = scoped(Concept, tenant_id).execution_options(populate_existing=True)
    concepts = {c.code: c for c in session.scalars(stmt) if c.code}
    to_enrich: list[Concept] = []
    seen_ids: set[int] = set()
    for node in nodes:
        content = _node_content(node, variants.get((node.taxonomy, node.code), []))
        source_hash = content_hash(content)
        concept = concepts.get(node.code)
        if concept is None:
            validate = (
                node.taxonomy in OFFICIAL_TAXONOMIES if auto_validate is None else auto_validate
            )
            concept = Concept(
                tenant_id=tenant_id,
                code=node.code,
                status=VALIDATED if validate else DRAFT,
                origin="imported" if validate else "machine",
                status_reason=(
                    f"auto-validated: official nomenclature {node.taxonomy}" if validate else None
                ),
                provenance={},
                extra={},
                related_concept_ids=[],
            )
            _apply_draft(concept, content, source_hash)
            session.add(concept)
            concepts[node.code] = concept
            counts["created"] += 1
            to_enrich.append(concept)
            continue
        if concept.taxonomy and concept.taxonomy != node.taxonomy:
            counts["skipped"] += 1
            warnings.append(
                f"code {node.code} of {node.taxonomy} already names a {concept.taxonomy} concept;"
                " node skipped"
            )
            continue
        seen_ids.add(concept.concept_id)
        if concept.status == DRAFT and concept.origin != "human":
            if concept.content_hash == source_hash:
                counts["unchanged"] += 1
            else:
                _apply_draft(concept, content, source_hash)
                counts["updated"] += 1
                to_enrich.append(concept)
            continue
        counts["kept"] += 1
        _flag_if_stale(concept, nodes_by_id, counts)
    # decided concepts whose node left the selection (retired, deleted) are flagged too
    for concept in concepts.values():
        if (
            concept.concept_id is not None
            and concept.concept_id not in seen_ids
            and concept.source_node_ids
            and (taxonomy is None or concept.taxonomy == taxonomy)
            and concept.status != DRAFT
        ):
            _flag_if_stale(concept, nodes_by_id, counts)
    return to_enrich


def _flag_if_stale(
    concept: Concept, nodes_by_id: dict[int, GlossaryNode], counts: dict[str, int | float]
) -> None:
    reason = _is_stale(concept, nodes_by_id)
    if reason and not concept.is_stale:
        concept.is_stale = True
        concept.extra = {**(concept.extra or {}), "stale_reason": reason}
        counts["stale_marked"] += 1


# --- LLM enrichment -----------------------------------------------------------------------


def _as_lang_lists(value: Any, lang: str = "fr") -> dict[str, list[str]]:
    """Normalise an LLM synonym proposal to ``{lang: [..]}``.

    >>> _as_lang_lists(["a", "b"]), _as_lang_lists({"en": "x"})
    ({'fr': ['a', 'b']}, {'en': ['x']})
    """
    if isinstance(value, dict):
        return {
            str(k): [str(v) for v in (vals if isinstance(vals, list) else [vals]) if v]
            for k, vals in value.items()
        }
    if isinstance(value, list | tuple):
        return {lang: [str(v) for v in value if v]}
    if isinstance(value, str) and value.strip():
        return {lang: [value.strip()]}
    return {}


def _as_lang_texts(value: Any, lang: str = "fr") -> dict[str, str]:
    """Normalise an LLM definition proposal to ``{lang: text}``.

    >>> _as_lang_texts("Une machine"), _as_lang_texts({"en": "A machine"})
    ({'fr': 'Une machine'}, {'en': 'A machine'})
    """
    if isinstance(value, dict):
        return {str(k): str(v).strip() for k, v in value.items() if v and str(v).strip()}
    if isinstance(value, str) and value.strip():
        return {lang: value.strip()}
    return {}


def _enrich_with_llm(concepts: list[Concept], *, use_llm: bool, progress: bool) -> dict[str, Any]:
    """Ask the LLM for synonyms and definitions of new or changed drafts, when configured."""
    summary: dict[str, Any] = {"ok": 0, "skipped": 0, "failed": 0, "reason": ""}
    drafts = [c for c in concepts if c.status == DRAFT]
    if not use_llm:
        summary.update(skipped=len(drafts), reason="use_llm=False")
        return summary
    if not get_settings().mistral_api_key:
        summary.update(skipped=len(drafts), reason="LLM not configured (no MISTRAL_API_KEY)")
        return summary
    from core.llm.enrich import propose_definition, propose_synonyms

    iterable: Iterable[Concept] = drafts
    if progress:
        from tqdm import tqdm

        iterable = tqdm(drafts, desc="LLM enrichment", unit="concept", leave=False)
    for concept in iterable:
        llm = dict((concept.extra or {}).get("llm") or {})
        sources = dict((concept.extra or {}).get("synonym_sources") or {})
        provenance = dict(concept.provenance or {})
        synonyms = propose_synonyms(concept)
        definition = propose_definition(concept)
        for result in (synonyms, definition):
            summary[result.status] = summary.get(result.status, 0) + 1
            if result.status == "failed" and not summary["reason"]:
                summary["reason"] = result.message
        if synonyms.status == "ok":
            sources["llm"] = _as_lang_lists(synonyms.value)
            provenance["synonyms:llm"] = _provenance(synonyms)
        if definition.status == "ok":
            llm["definitions"] = _as_lang_texts(definition.value)
            for lang in llm["definitions"]:
                if lang not in concept.definitions or not concept.definitions.get(lang):
                    provenance[f"definition:{lang}"] = _provenance(definition)
            concept.definitions = {**llm["definitions"], **(concept.definitions or {})}
        concept.synonyms = _union(
            sources.get("taxonomy"), sources.get("llm"), sources.get("examples")
        )
        concept.provenance = provenance
        concept.extra = {**(concept.extra or {}), "llm": llm, "synonym_sources": sources}
    return summary


def _provenance(result: Any) -> dict[str, Any]:
    provenance = getattr(result, "provenance", None)
    if provenance is None:
        return {"source": "machine"}
    return provenance.to_dict() if hasattr(provenance, "to_dict") else dict(provenance)


# --- wordings from examples ---------------------------------------------------------------


def _propose_wordings(
    session: Session, tenant_id: str, counts: dict[str, int | float]
) -> pd.DataFrame:
    """Recurring wordings of each concept's examples → synonyms (drafts) or proposals."""
    texts: dict[int, list[str]] = defaultdict(list)
    rows = session.execute(
        select(ConceptExample.concept_id, ConceptExample.text)
        .where(ConceptExample.tenant_id == tenant_id)
        .order_by(ConceptExample.example_id)
    )
    for concept_id, text in rows:
        texts[concept_id].append(text)
    common = common_wordings(list(texts.values()))
    concepts = {
        c.concept_id: c
        for c in session.scalars(scoped(Concept, tenant_id, Concept.concept_id.in_(list(texts))))
    }
    table: list[dict[str, Any]] = []
    for concept_id, examples in sorted(texts.items()):
        concept = concepts.get(concept_id)
        if concept is None or concept.status in (REJECTED, MERGED):
            continue
        extra = dict(concept.extra or {})
        sources = dict(extra.get("synonym_sources") or {})
        known = [
            *(concept.labels or {}).values(),
            *(s for values in (concept.synonyms or {}).values() for s in values),
            *extra.get("rejected_synonyms", []),
        ]
        if concept.status == DRAFT:
            known = [
                k
                for k in known
                if fold(k) not in {fold(w) for w in _flat(sources.get("examples"))}
            ]
        found = frequent_wordings(examples, known, common=common)
        label = (concept.labels or {}).get("fr") or (concept.labels or {}).get("en") or ""
        if found:
            table.append(
                {"code": concept.code, "label": label, "status": concept.status,
                 "examples": len(examples), "wordings": " | ".join(found)}
            )  # fmt: skip
        if concept.status == DRAFT and concept.origin != "human":
            wanted = {"fr": found} if found else {}
            if (sources.get("examples") or {}) != wanted:
                sources["examples"] = wanted
                concept.synonyms = _union(sources.get("taxonomy"), sources.get("llm"), wanted)
                concept.extra = {**extra, "synonym_sources": sources}
                concept.embedding = None
                concept.embedding_model = None
                counts["synonyms_added"] += 1
        elif concept.status != DRAFT and extra.get("proposed_synonyms", []) != found:
            concept.extra = {**extra, "proposed_synonyms": found}
            counts["synonyms_proposed"] += 1
    return pd.DataFrame(table, columns=["code", "label", "status", "examples", "wordings"])


def _flat(mapping: dict[str, list[str]] | None) -> list[str]:
    return [value for values in (mapping or {}).values() for value in values]


# --- embeddings and near-duplicates -------------------------------------------------------


def _embed(session: Session, tenant_id: str, *, progress: bool) -> int:
    """Embed concepts (and examples) that have no vector yet, with the matcher's encoder."""
    session.flush()
    embed_concepts = matching_function("embed_concepts")
    embed_examples = matching_function("embed_examples")
    done = int(embed_concepts(session, tenant_id, only_missing=True, progress=progress))
    embed_examples(session, tenant_id, only_missing=True, progress=progress)
    return done


def _merge_proposals(session: Session, tenant_id: str, threshold: float) -> pd.DataFrame:
    """Open a merge proposal for every new pair of live concepts above ``threshold``."""
    columns = ["code", "label", "other_code", "other_label", "cosine"]
    session.flush()
    rows = session.execute(
        select(Concept.concept_id, Concept.code, Concept.labels, Concept.embedding)
        .where(
            Concept.tenant_id == tenant_id,
            Concept.status.in_([DRAFT, VALIDATED]),
            Concept.embedding.is_not(None),
        )
        .order_by(Concept.concept_id)
    ).all()
    if len(rows) < 2:
        return pd.DataFrame([], columns=columns)
    ids = np.array([row.concept_id for row in rows])
    matrix = np.asarray([row.embedding for row in rows], dtype=np.float32)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    pairs = close_pairs(matrix, threshold)
    existing = {
        (a, b)
        for a, b in session.execute(
            select(MergeProposal.concept_id, MergeProposal.other_concept_id).where(
                MergeProposal.tenant_id == tenant_id
            )
        )
    }
    info = {row.concept_id: row for row in rows}
    created: list[dict[str, Any]] = []
    for i, j, cosine in pairs:
        a, b = int(ids[i]), int(ids[j])
        if (a, b) in existing or (b, a) in existing:
            continue
        session.add(
            MergeProposal(
                tenant_id=tenant_id, concept_id=a, other_concept_id=b, cosine=cosine, status="open"
            )
        )
        created.append(
            {"code": info[a].code, "label": _label(info[a].labels), "other_code": info[b].code,
             "other_label": _label(info[b].labels), "cosine": round(cosine, 4)}
        )  # fmt: skip
    session.flush()
    table = pd.DataFrame(created, columns=columns)
    return table.sort_values("cosine", ascending=False).reset_index(drop=True)


def close_pairs(
    matrix: np.ndarray, threshold: float, *, block: int = 1024
) -> list[tuple[int, int, float]]:
    """Index pairs ``i < j`` of L2-normalised rows whose cosine is at least ``threshold``.

    Computed block by block, so 10,000 concepts need a few MB, not a full square matrix.

    >>> m = np.array([[1, 0], [0.99, 0.141], [0, 1]], dtype=np.float32)
    >>> [(i, j) for i, j, _ in close_pairs(m, 0.95)]
    [(0, 1)]
    """
    pairs: list[tuple[int, int, float]] = []
    n = len(matrix)
    for start in range(0, n, block):
        sims = matrix[start : start + block] @ matrix.T
        rows, cols = np.nonzero(sims >= threshold)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            i = start + r
            if c > i:
                pairs.append((i, c, float(sims[r, c])))
    return pairs


def _label(labels: dict[str, str] | None) -> str:
    return (labels or {}).get("fr") or (labels or {}).get("en") or ""


def _status_counts(session: Session, tenant_id: str) -> pd.DataFrame:
    rows = session.execute(
        select(Concept.status, func.count(), func.count().filter(Concept.is_stale))
        .where(Concept.tenant_id == tenant_id)
        .group_by(Concept.status)
        .order_by(Concept.status)
    ).all()
    return pd.DataFrame(
        [(status, int(n), int(stale)) for status, n, stale in rows],
        columns=["status", "concepts", "stale"],
    )
