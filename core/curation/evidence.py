"""Evidence for one proposal: its sources, look-alikes, and what and whom it would match."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.orm import Session

from core.curation.history import history
from core.curation.queue import LIVE_STATUSES, demand_counts
from core.curation.views import (
    CompanyEvidence,
    ConceptView,
    Evidence,
    LabelEvidence,
    Neighbour,
    NodeEvidence,
    pick_label,
)
from core.errors import NotFoundError
from core.models import (
    CompanyConceptActivation,
    CompanyProfile,
    Concept,
    ConceptExample,
    Demand,
    GlossaryNode,
    MergeProposal,
    QueryMatchLog,
)
from core.tenancy import scoped

_FIELD_NAMES = {
    "label": "label",
    "labels": "label",
    "synonym": "synonym",
    "synonyms": "synonym",
    "definition": "definition",
    "definitions": "definition",
}


def get_concept(session: Session, tenant_id: str, concept_id: int) -> Concept:
    """The tenant's concept ``concept_id`` or a NotFoundError that says where to look."""
    concept = session.scalar(scoped(Concept, tenant_id, Concept.concept_id == concept_id))
    if concept is None:
        raise NotFoundError(f"concept {concept_id} not found in {tenant_id}")
    return concept


def provenance_of(provenance: dict[str, dict[str, Any]], field: str, lang: str) -> tuple[str, str]:
    """``(source, detail)`` of one text from a provenance map with keys ``<field>:<lang>``.

    Builds write ``label:fr``; older rows may say ``labels:fr``: both are read.

    >>> provenance_of({"label:fr": {"source": "imported", "at": "2024-01-01"}}, "label", "fr")
    ('imported', '2024-01-01')
    >>> provenance_of({"synonyms:en": {"source": "machine", "model": "m"}}, "synonym", "en")
    ('machine', 'm')
    >>> provenance_of({}, "definition", "fr")
    ('unknown', '')
    """
    for key, value in provenance.items():
        name, _, key_lang = key.partition(":")
        if _FIELD_NAMES.get(name) == field and key_lang == lang:
            detail = value.get("by") or value.get("model") or value.get("at") or ""
            return str(value.get("source", "unknown")), str(detail)
    return "unknown", ""


def label_evidence(concept: Concept) -> list[LabelEvidence]:
    """Every label, synonym and definition per language with its provenance."""
    prov = concept.provenance or {}
    rows: list[LabelEvidence] = []
    for lang, text in sorted((concept.labels or {}).items()):
        rows.append(LabelEvidence("label", lang, text, *provenance_of(prov, "label", lang)))
    for lang, texts in sorted((concept.synonyms or {}).items()):
        source, detail = provenance_of(prov, "synonym", lang)
        rows.extend(LabelEvidence("synonym", lang, t, source, detail) for t in texts)
    for lang, text in sorted((concept.definitions or {}).items()):
        rows.append(
            LabelEvidence("definition", lang, text, *provenance_of(prov, "definition", lang))
        )
    return rows


def node_evidence(
    session: Session, tenant_id: str, node_ids: list[int], lang: str = "fr"
) -> list[NodeEvidence]:
    """Source glossary nodes with breadcrumbs (labels of every ancestor on the path)."""
    if not node_ids:
        return []
    nodes = list(
        session.scalars(scoped(GlossaryNode, tenant_id, GlossaryNode.node_id.in_(node_ids)))
    )
    wanted: set[tuple[str, str]] = set()
    for node in nodes:
        wanted.update((node.taxonomy, code) for code in node.path.split("/") if code)
    ancestors: dict[tuple[str, str], str] = {}
    if wanted:
        stmt = scoped(
            GlossaryNode,
            tenant_id,
            GlossaryNode.code.in_({code for _, code in wanted}),
            GlossaryNode.taxonomy.in_({tax for tax, _ in wanted}),
        ).with_only_columns(GlossaryNode.taxonomy, GlossaryNode.code, GlossaryNode.labels)
        for tax, code, labels in session.execute(stmt):
            ancestors[(tax, code)] = pick_label(labels, lang)
    return [
        NodeEvidence(
            node_id=node.node_id,
            taxonomy=node.taxonomy,
            code=node.code,
            label=pick_label(node.labels, lang),
            version=node.version,
            status=node.status,
            breadcrumbs=[
                (code, ancestors.get((node.taxonomy, code), code))
                for code in node.path.split("/")
                if code
            ],
        )
        for node in sorted(nodes, key=lambda n: n.path)
    ]


def neighbours(
    session: Session, tenant_id: str, concept: Concept, *, limit: int = 5, lang: str = "fr"
) -> list[Neighbour]:
    """The live concepts closest to ``concept`` by exact cosine, with open merge proposals."""
    open_props: dict[int, int] = {}
    stmt = scoped(
        MergeProposal,
        tenant_id,
        MergeProposal.status == "open",
        or_(
            MergeProposal.concept_id == concept.concept_id,
            MergeProposal.other_concept_id == concept.concept_id,
        ),
    )
    for prop in session.scalars(stmt):
        other = prop.other_concept_id if prop.concept_id == concept.concept_id else prop.concept_id
        open_props[other] = prop.proposal_id
    if concept.embedding is None:
        return []
    # ``1 - distance`` (not the bare distance) keeps the planner off the shared HNSW index,
    # which could drop this tenant's rows under the filter: the scan is exact.
    cosine = (1 - Concept.embedding.cosine_distance(concept.embedding)).label("cosine")
    stmt2 = (
        scoped(
            Concept,
            tenant_id,
            Concept.concept_id != concept.concept_id,
            Concept.status.in_(LIVE_STATUSES),
            Concept.embedding.is_not(None),
        )
        .with_only_columns(
            Concept.concept_id, Concept.code, Concept.labels, Concept.status, cosine
        )
        .order_by(cosine.desc())
        .limit(limit)
    )
    return [
        Neighbour(
            concept_id=cid,
            code=code,
            label=pick_label(labels, lang),
            status=status,
            cosine=round(float(cos), 4),
            proposal_id=open_props.get(cid),
        )
        for cid, code, labels, status, cos in session.execute(stmt2)
    ]


def _demand_filter(concept: Concept) -> Any:
    has_id = Demand.concept_ids.contains([concept.concept_id])
    if concept.code:
        return or_(has_id, Demand.concept_code == concept.code)
    return has_id


def company_evidence(
    session: Session, tenant_id: str, concept: Concept, *, limit: int = 10
) -> list[CompanyEvidence]:
    """Companies activated on the concept, else those who won its contracts (would activate)."""
    result: list[CompanyEvidence] = []
    stmt = (
        scoped(
            CompanyConceptActivation,
            tenant_id,
            CompanyConceptActivation.concept_id == concept.concept_id,
        )
        .with_only_columns(
            CompanyProfile.company_id,
            CompanyProfile.name,
            CompanyProfile.siren,
            CompanyConceptActivation.score,
        )
        .join(CompanyProfile, CompanyProfile.company_id == CompanyConceptActivation.company_id)
        .order_by(CompanyConceptActivation.score.desc())
        .limit(limit)
    )
    for cid, name, siren, score in session.execute(stmt):
        result.append(CompanyEvidence(cid, name, siren, "activation", round(float(score), 3)))
    if len(result) >= limit:
        return result
    won: Counter[int] = Counter()
    awarded = scoped(Demand, tenant_id, _demand_filter(concept)).with_only_columns(
        Demand.awarded_company_ids
    )
    for (ids,) in session.execute(awarded):
        won.update(int(i) for i in ids or [])
    seen = {c.company_id for c in result}
    ranked = [cid for cid, _ in won.most_common() if cid not in seen][: limit - len(result)]
    if ranked:
        companies = {
            c.company_id: c
            for c in session.scalars(
                scoped(CompanyProfile, tenant_id, CompanyProfile.company_id.in_(ranked))
            )
        }
        for cid in ranked:
            if cid in companies:
                c = companies[cid]
                result.append(CompanyEvidence(cid, c.name, c.siren, "contracts", float(won[cid])))
    return result


def sample_texts(
    session: Session, tenant_id: str, concept: Concept, *, limit: int = 5
) -> tuple[list[str], list[str], list[str]]:
    """(labelled examples, demand texts, logged queries) that this concept would match."""
    examples = list(
        session.scalars(
            scoped(ConceptExample, tenant_id, ConceptExample.concept_id == concept.concept_id)
            .with_only_columns(ConceptExample.text)
            .order_by(ConceptExample.example_id)
            .limit(limit)
        )
    )
    demands = list(
        session.scalars(
            scoped(Demand, tenant_id, _demand_filter(concept))
            .with_only_columns(Demand.text)
            .order_by(Demand.published_on.desc().nulls_last(), Demand.demand_id)
            .limit(limit)
        )
    )
    queries = list(
        session.scalars(
            scoped(
                QueryMatchLog,
                tenant_id,
                QueryMatchLog.matched_concept_ids.contains([concept.concept_id]),
            )
            .with_only_columns(QueryMatchLog.raw_text)
            .group_by(QueryMatchLog.raw_text)
            .order_by(func.max(QueryMatchLog.created_at).desc())
            .limit(limit)
        )
    )
    return examples, demands, queries


def evidence(session: Session, tenant_id: str, concept_id: int, *, lang: str = "fr") -> Evidence:
    """Everything a curator needs to decide on ``concept_id`` (read only).

    Args:
        session: an open session.
        tenant_id: the concept's tenant.
        concept_id: the concept to explain.
        lang: language of labels shown for related things.
    """
    concept = get_concept(session, tenant_id, concept_id)
    examples, demands, queries = sample_texts(session, tenant_id, concept)
    count = demand_counts(session, tenant_id, {concept.concept_id: concept.code})
    return Evidence(
        concept=ConceptView.of(concept, lang),
        nodes=node_evidence(session, tenant_id, list(concept.source_node_ids or []), lang),
        labels=label_evidence(concept),
        neighbours=neighbours(session, tenant_id, concept, lang=lang),
        examples=examples,
        demands=demands,
        queries=queries,
        demand_count=count[concept.concept_id],
        companies=company_evidence(session, tenant_id, concept),
        history=history(session, tenant_id, concept_id),
    )
