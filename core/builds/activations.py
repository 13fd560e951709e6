"""Build step 3: company profiles × validated concepts → activations with their evidence.

Evidence, strongest first: contracts the company won on the concept (or one level around it),
declared products, the company's own description, and its NAF activity (the NAF ↔ CPV table
of :mod:`core.builds.evidence`, or the similarity of the NAF label to the concept). Each piece
has a strength in [0, 1]; :func:`core.builds.evidence.combine` turns them into the score.
Activations a company claimed itself (``is_claimed``) are never touched; the others belong to
this build, which creates, updates and removes them so that a re-run changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.builds.common import Stopwatch, build_tenant, dry_run_guard, matching_function
from core.builds.evidence import (
    WEIGHTS,
    combine,
    contract_strength,
    cosine_strength,
    naf_compatible,
)
from core.builds.results import ActivationBuildResult
from core.models import (
    CompanyConceptActivation,
    CompanyProfile,
    Concept,
    ConceptStatus,
    Demand,
    GlossaryNode,
)
from core.tenancy import scoped

MAX_CONTRACTS_SHOWN = 5
NAF_TABLE_STRENGTH = 0.6
"""Strength of a division-level NAF ↔ CPV compatibility (a prior, not proof)."""


@dataclass
class _Candidate:
    """Evidence gathered for one company × concept pair."""

    strengths: dict[str, float] = field(default_factory=dict)
    contracts: list[dict[str, str]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def add(self, kind: str, strength: float) -> None:
        if strength > self.strengths.get(kind, 0.0):
            self.strengths[kind] = round(strength, 4)


@dataclass(frozen=True)
class _ConceptRow:
    concept_id: int
    code: str
    path: str
    label: str
    level: int


def build_activations(
    session: Session,
    tenant_id: str,
    *,
    threshold: float = 0.35,
    max_per_company: int = 50,
    dry_run: bool = False,
    progress: bool = False,
) -> ActivationBuildResult:
    """Compute every company's activations on validated concepts, with evidence JSON.

    Args:
        session: an open session; the caller commits (one transaction for the whole step).
        tenant_id: whose companies and concepts.
        threshold: minimum score of a stored activation (below it, the build's own
            activation is removed; claimed ones stay).
        max_per_company: keep at most this many activations per company (best first), so
            a vague description cannot activate a whole branch.
        dry_run: compute and report, then roll everything back.
        progress: show progress bars while encoding.

    Returns:
        Counts (``created``, ``updated``, ``unchanged``, ``removed``, ``claimed_kept`` …),
        the best activations and the score distribution.
    """
    watch = Stopwatch()
    build_tenant(session, tenant_id)
    counts: dict[str, int | float] = dict.fromkeys(
        ("created", "updated", "unchanged", "removed", "claimed_kept", "companies", "concepts",
         "with_contracts"), 0
    )  # fmt: skip
    with dry_run_guard(session, dry_run):
        _ensure_embeddings(session, tenant_id, progress=progress)
        concepts, vectors = _validated_concepts(session, tenant_id)
        companies = list(session.scalars(scoped(CompanyProfile, tenant_id)))
        counts["companies"], counts["concepts"] = len(companies), len(concepts)
        candidates: dict[tuple[int, int], _Candidate] = defaultdict(_Candidate)
        _contract_evidence(session, tenant_id, concepts, candidates)
        counts["with_contracts"] = len({company for company, _ in candidates})
        if concepts and companies:
            _text_evidence(companies, concepts, vectors, candidates, progress=progress)
            _naf_evidence(session, tenant_id, companies, concepts, vectors, candidates)
        wanted = _select(candidates, threshold=threshold, max_per_company=max_per_company)
        stored = _store(session, tenant_id, wanted, concepts, threshold, counts)
    return ActivationBuildResult(
        tenant_id=tenant_id,
        counts=counts,
        dry_run=dry_run,
        duration_s=watch.elapsed,
        threshold=threshold,
        top=_top_table(stored, companies, concepts),
        scores=sorted(score for score, _ in stored.values()),
    )


def _ensure_embeddings(session: Session, tenant_id: str, *, progress: bool) -> None:
    matching_function("embed_concepts")(session, tenant_id, only_missing=True, progress=progress)
    session.flush()


def _validated_concepts(
    session: Session, tenant_id: str
) -> tuple[dict[int, _ConceptRow], dict[int, np.ndarray]]:
    rows = session.execute(
        select(Concept.concept_id, Concept.code, Concept.path, Concept.labels, Concept.embedding)
        .where(Concept.tenant_id == tenant_id, Concept.status == ConceptStatus.VALIDATED.value)
        .order_by(Concept.concept_id)
    ).all()
    concepts: dict[int, _ConceptRow] = {}
    vectors: dict[int, np.ndarray] = {}
    for concept_id, code, path, labels, embedding in rows:
        label = (labels or {}).get("fr") or (labels or {}).get("en") or code or ""
        path = path or code or str(concept_id)
        concepts[concept_id] = _ConceptRow(
            concept_id, code or "", path, label, path.count("/") + 1
        )
        if embedding is not None:
            vectors[concept_id] = np.asarray(embedding, dtype=np.float32)
    return concepts, vectors


def _contract_evidence(
    session: Session,
    tenant_id: str,
    concepts: dict[int, _ConceptRow],
    candidates: dict[tuple[int, int], _Candidate],
) -> None:
    """Won contracts: exact code, a code below the concept (≤ 2 levels), or just above it."""
    by_path = {row.path: row for row in concepts.values()}
    by_code = {row.code: row for row in concepts.values()}
    node_paths: dict[str, str] = dict(
        session.execute(
            select(GlossaryNode.code, GlossaryNode.path).where(GlossaryNode.tenant_id == tenant_id)
        )
        .tuples()
        .all()
    )
    children: dict[str, list[_ConceptRow]] = defaultdict(list)
    for row in concepts.values():
        if "/" in row.path:
            children[row.path.rsplit("/", 1)[0]].append(row)
    demands = session.execute(
        select(Demand.external_ref, Demand.demand_id, Demand.text, Demand.concept_code,
               Demand.awarded_company_ids)
        .where(Demand.tenant_id == tenant_id, Demand.concept_code.is_not(None))
        .order_by(Demand.demand_id)
    )  # fmt: skip
    per_pair: dict[tuple[int, int, str], list[dict[str, str]]] = defaultdict(list)
    for ref, demand_id, text, code, winners in demands:
        if not winners:
            continue
        path = by_code[code].path if code in by_code else node_paths.get(code)
        if not path:
            continue
        related: list[tuple[_ConceptRow, str]] = []
        if path in by_path:
            related.append((by_path[path], "exact"))
        parts = path.split("/")
        for up in (1, 2):
            if len(parts) > up and "/".join(parts[:-up]) in by_path:
                related.append((by_path["/".join(parts[:-up])], "narrower"))
        related.extend((child, "broader") for child in children.get(path, []))
        reference = ref or f"demand:{demand_id}"
        for company_id in winners:
            for row, relation in related:
                per_pair[(int(company_id), row.concept_id, relation)].append(
                    {"ref": reference, "code": code, "relation": relation,
                     "text": f"won contract {reference}: {(text or '').strip()[:160]}"}
                )  # fmt: skip
    for (company_id, concept_id, relation), contracts in sorted(per_pair.items()):
        candidate = candidates[(company_id, concept_id)]
        candidate.add("contracts", contract_strength(relation, len(contracts)))
        candidate.contracts.extend(contracts)


def _company_text(company: CompanyProfile) -> tuple[str, list[str]]:
    """The company's own words: description (+ LLM summary) and declared products."""
    facets = company.facets or {}
    products = facets.get("products") or []
    if isinstance(products, str):
        products = [p.strip() for p in products.replace(";", "|").split("|")]
    products = [str(p).strip() for p in products if str(p).strip()]
    text = " ".join(t for t in (company.description, company.summary) if t and t.strip())
    return text.strip(), products[:20]


def _text_evidence(
    companies: list[CompanyProfile],
    concepts: dict[int, _ConceptRow],
    vectors: dict[int, np.ndarray],
    candidates: dict[tuple[int, int], _Candidate],
    *,
    progress: bool,
) -> None:
    """Cosine of the description and of each declared product to every concept."""
    texts: list[str] = []
    owners: list[tuple[int, str, str]] = []  # company_id, kind, text
    for company in companies:
        description, products = _company_text(company)
        if description:
            texts.append(description)
            owners.append((company.company_id, "text", description))
        for product in products:
            texts.append(product)
            owners.append((company.company_id, "products", product))
    concept_ids = [cid for cid in concepts if cid in vectors]
    if not texts or not concept_ids:
        return
    from core.matching.embed import get_encoder

    encoder = get_encoder()
    floor = getattr(encoder, "cosine_floor", None)
    encoded = np.asarray(encoder.encode_documents(texts, progress=progress), dtype=np.float32)
    matrix = np.stack([vectors[cid] for cid in concept_ids])
    sims = encoded @ matrix.T
    for row, (company_id, kind, text) in enumerate(owners):
        for col in np.nonzero(sims[row] > (floor or 0.25))[0].tolist():
            cosine = float(sims[row, col])
            strength = _strength(cosine, floor)
            if strength <= 0:
                continue
            candidate = candidates[(company_id, concept_ids[col])]
            before = candidate.strengths.get(kind, 0.0)
            candidate.add(kind, strength)
            if strength > before:
                key = "product" if kind == "products" else "description"
                candidate.details[kind] = {"cosine": round(cosine, 4), key: text[:120]}


def _strength(cosine: float, floor: float | None) -> float:
    """Cosine → strength; the encoder's own floor (unrelated texts) shifts the scale."""
    if floor is None:
        return cosine_strength(cosine)
    return cosine_strength(cosine - floor + 0.25)


def _naf_evidence(
    session: Session,
    tenant_id: str,
    companies: list[CompanyProfile],
    concepts: dict[int, _ConceptRow],
    vectors: dict[int, np.ndarray],
    candidates: dict[tuple[int, int], _Candidate],
) -> None:
    """NAF ↔ CPV table (division level) and NAF label similarity (when the NAF is imported).

    Only pairs that already have another piece of evidence get the NAF one: alone it is a
    prior over a whole division, not a sign that the company does this particular thing.
    """
    naf_of = {c.company_id: c.naf_code for c in companies if c.naf_code}
    if not naf_of:
        return
    labels = _naf_labels(session, tenant_id, set(naf_of.values()))
    label_sims: dict[str, dict[int, float]] = {}
    if labels and vectors:
        from core.matching.embed import get_encoder

        encoder = get_encoder()
        floor = getattr(encoder, "cosine_floor", None)
        codes = sorted(labels)
        encoded = np.asarray(encoder.encode_documents([labels[c] for c in codes]), np.float32)
        concept_ids = list(vectors)
        sims = encoded @ np.stack([vectors[cid] for cid in concept_ids]).T
        for i, code in enumerate(codes):
            label_sims[code] = {
                concept_ids[j]: _strength(float(sims[i, j]), floor)
                for j in range(len(concept_ids))
            }
    for (company_id, concept_id), candidate in candidates.items():
        naf = naf_of.get(company_id)
        concept = concepts.get(concept_id)
        if not naf or concept is None:
            continue
        compatible = naf_compatible(naf, concept.code)
        label_strength = label_sims.get(_naf_key(naf), {}).get(concept_id, 0.0)
        strength = max(NAF_TABLE_STRENGTH if compatible else 0.0, label_strength)
        if strength > 0:
            candidate.add("naf", strength)
            candidate.details["naf"] = {
                "code": naf,
                "compatible_division": compatible,
                "label_strength": round(label_strength, 4),
            }


def _naf_key(code: str) -> str:
    """NAF codes compared without dots or spaces (``28.41Z`` = ``2841Z``).

    >>> _naf_key("28.41Z")
    '2841Z'
    """
    return code.replace(".", "").replace(" ", "").upper()


def _naf_labels(session: Session, tenant_id: str, codes: set[str]) -> dict[str, str]:
    wanted = {_naf_key(code) for code in codes}
    rows = session.execute(
        select(GlossaryNode.code, GlossaryNode.labels).where(
            GlossaryNode.tenant_id == tenant_id, GlossaryNode.taxonomy == "naf"
        )
    )
    found: dict[str, str] = {}
    for code, labels in rows:
        label = (labels or {}).get("fr") or (labels or {}).get("en")
        if label and _naf_key(code) in wanted:
            found[_naf_key(code)] = label
    return found


def _reasons(candidate: _Candidate) -> list[str]:
    reasons = [c["text"] for c in candidate.contracts[:MAX_CONTRACTS_SHOWN]]
    if len(candidate.contracts) > MAX_CONTRACTS_SHOWN:
        reasons.append(f"… and {len(candidate.contracts) - MAX_CONTRACTS_SHOWN} more contracts")
    if "products" in candidate.details:
        d = candidate.details["products"]
        reasons.append(f"declared product {d['product']!r} (cosine {d['cosine']})")
    if "text" in candidate.details:
        reasons.append(
            f"description similar to the concept (cosine {candidate.details['text']['cosine']})"
        )
    if "naf" in candidate.details:
        d = candidate.details["naf"]
        how = "compatible division (table)" if d["compatible_division"] else "similar NAF label"
        reasons.append(f"NAF {d['code']}: {how}")
    return reasons


def _select(
    candidates: dict[tuple[int, int], _Candidate], *, threshold: float, max_per_company: int
) -> dict[tuple[int, int], tuple[float, dict[str, Any]]]:
    """Scores and evidence of the pairs to store (≥ threshold, best per company)."""
    per_company: dict[int, list[tuple[float, int, dict[str, Any]]]] = defaultdict(list)
    for (company_id, concept_id), candidate in candidates.items():
        score = combine(candidate.strengths)
        if score < threshold:
            continue
        evidence = {
            "score": score,
            "threshold": threshold,
            "strengths": dict(sorted(candidate.strengths.items())),
            "weights": {k: WEIGHTS[k] for k in sorted(candidate.strengths)},
            "contracts": candidate.contracts[:MAX_CONTRACTS_SHOWN],
            "contract_count": len(candidate.contracts),
            **{k: candidate.details[k] for k in sorted(candidate.details)},
            "reasons": _reasons(candidate),
            "source": "build:activations",
        }
        per_company[company_id].append((score, concept_id, evidence))
    chosen: dict[tuple[int, int], tuple[float, dict[str, Any]]] = {}
    for company_id, items in per_company.items():
        items.sort(key=lambda item: (-item[0], item[1]))
        for score, concept_id, evidence in items[:max_per_company]:
            chosen[(company_id, concept_id)] = (score, evidence)
    return chosen


def _store(
    session: Session,
    tenant_id: str,
    wanted: dict[tuple[int, int], tuple[float, dict[str, Any]]],
    concepts: dict[int, _ConceptRow],
    threshold: float,
    counts: dict[str, int | float],
) -> dict[tuple[int, int], tuple[float, dict[str, Any]]]:
    """Upsert the wanted activations; remove the build's others; leave claimed ones alone."""
    existing = {
        (a.company_id, a.concept_id): a
        for a in session.scalars(scoped(CompanyConceptActivation, tenant_id))
    }
    obsolete: list[int] = []
    for key, activation in existing.items():
        if activation.is_claimed:
            counts["claimed_kept"] += 1
        elif key not in wanted:
            obsolete.append(activation.activation_id)
    for key, (score, evidence) in wanted.items():
        current = existing.get(key)
        if current is None:
            session.add(
                CompanyConceptActivation(
                    tenant_id=tenant_id, company_id=key[0], concept_id=key[1], score=score,
                    evidence=evidence, facets={},
                )
            )  # fmt: skip
            counts["created"] += 1
        elif current.is_claimed:
            continue
        elif current.score == score and current.evidence == evidence:
            counts["unchanged"] += 1
        else:
            current.score = score
            current.evidence = evidence
            counts["updated"] += 1
    if obsolete:
        session.execute(
            delete(CompanyConceptActivation).where(
                CompanyConceptActivation.tenant_id == tenant_id,
                CompanyConceptActivation.activation_id.in_(obsolete),
            )
        )
        counts["removed"] = len(obsolete)
    session.flush()
    return {k: v for k, v in wanted.items() if not (k in existing and existing[k].is_claimed)}


def _top_table(
    stored: dict[tuple[int, int], tuple[float, dict[str, Any]]],
    companies: list[CompanyProfile],
    concepts: dict[int, _ConceptRow],
) -> pd.DataFrame:
    names = {c.company_id: c.name for c in companies}
    rows = [
        {"company": names.get(company_id, str(company_id)), "code": concepts[concept_id].code,
         "concept": concepts[concept_id].label, "score": score,
         "evidence": "; ".join(evidence["reasons"][:2])}
        for (company_id, concept_id), (score, evidence) in stored.items()
        if concept_id in concepts
    ]  # fmt: skip
    table = pd.DataFrame(rows, columns=["company", "code", "concept", "score", "evidence"])
    return table.sort_values(["score", "company"], ascending=[False, True]).reset_index(drop=True)
