"""The curation queue: which draft concepts a curator should look at first, and why."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, String, Text, and_, cast, func, or_, select
from sqlalchemy.orm import Session, aliased

from core.curation.views import QueueItem, escape_like, pick_label, priority_score
from core.models import Concept, ConceptStatus, Demand, MergeProposal, QueryMatchLog
from core.tenancy import scoped, validate_tenant_id

NEAREST_PAIR_BUDGET = 1_000_000
"""Largest (queued concepts × live concepts) for which the queue computes exact nearest cosines.

Above it, duplicate risk comes from the dico build's merge proposals only (cheap). Measured
on two cores (``benchmarks/bench_curation.py``): 850 × 850 pairs take ≈ 0.6 s, 2000 × 2000
≈ 4 s — too slow for a page, hence the limit.
"""

LIVE_STATUSES = (ConceptStatus.DRAFT.value, ConceptStatus.VALIDATED.value)
"""Concepts a draft can duplicate (merged and rejected ones are out of the dictionary)."""


def branch_clause(path_column: Any, branch: str) -> ColumnElement[bool]:
    """SQL condition "the path lies under ``branch``".

    ``branch`` is either a path prefix (contains ``/``) or one glossary code, which may sit at
    any depth of the materialised path (``42000000/42600000/42610000``).
    """
    branch = branch.strip().strip("/")
    if "/" in branch:
        return or_(path_column == branch, path_column.like(f"{branch}/%"))
    return or_(
        path_column == branch,
        path_column.like(f"{branch}/%"),
        path_column.like(f"%/{branch}"),
        path_column.like(f"%/{branch}/%"),
    )


def demand_counts(
    session: Session, tenant_id: str, concepts: dict[int, str | None]
) -> Counter[int]:
    """How often buyers asked for each concept: demands classified on it or carrying its code,
    plus logged queries that returned it.

    Args:
        concepts: concept id → code for the concepts to count (others are ignored).
    """
    counts: Counter[int] = Counter()
    if not concepts:
        return counts
    by_code = {code: cid for cid, code in concepts.items() if code}

    classified = (
        scoped(Demand, tenant_id)
        .with_only_columns(func.jsonb_array_elements_text(Demand.concept_ids).label("cid"))
        .subquery()
    )
    for cid, n in session.execute(
        select(classified.c.cid, func.count()).group_by(classified.c.cid)
    ):
        if int(cid) in concepts:
            counts[int(cid)] += n

    if by_code:
        coded = (
            scoped(
                Demand,
                tenant_id,
                Demand.concept_code.in_(list(by_code)),
                func.jsonb_array_length(Demand.concept_ids) == 0,
            )
            .with_only_columns(Demand.concept_code, func.count())
            .group_by(Demand.concept_code)
        )
        for code, n in session.execute(coded):
            counts[by_code[code]] += n

    logged = (
        scoped(QueryMatchLog, tenant_id)
        .with_only_columns(
            func.jsonb_array_elements_text(QueryMatchLog.matched_concept_ids).label("cid")
        )
        .subquery()
    )
    for cid, n in session.execute(select(logged.c.cid, func.count()).group_by(logged.c.cid)):
        if int(cid) in concepts:
            counts[int(cid)] += n
    return counts


def proposal_risks(session: Session, tenant_id: str) -> dict[int, tuple[float, int]]:
    """Concept id → (highest open merge-proposal cosine, the other concept), both directions.

    Only proposals between two live (draft or validated) concepts count.
    """
    a, b = aliased(Concept), aliased(Concept)
    stmt = (
        scoped(MergeProposal, tenant_id, MergeProposal.status == "open")
        .with_only_columns(
            MergeProposal.concept_id, MergeProposal.other_concept_id, MergeProposal.cosine
        )
        .join(a, and_(a.concept_id == MergeProposal.concept_id, a.status.in_(LIVE_STATUSES)))
        .join(b, and_(b.concept_id == MergeProposal.other_concept_id, b.status.in_(LIVE_STATUSES)))
    )
    risks: dict[int, tuple[float, int]] = {}
    for one_id, other_id, cosine in session.execute(stmt):
        for one, other in ((one_id, other_id), (other_id, one_id)):
            if cosine > risks.get(one, (-1.0, 0))[0]:
                risks[one] = (float(cosine), other)
    return risks


def nearest_cosines(
    session: Session, tenant_id: str, concept_ids: Sequence[int]
) -> dict[int, tuple[float, int]]:
    """Exact nearest live concept (cosine, id) for each of ``concept_ids`` with an embedding.

    An exact scan, not the HNSW index: the index is shared by all tenants and a filtered
    approximate search can miss a tenant's neighbours.
    """
    if not concept_ids:
        return {}
    me, other = aliased(Concept), aliased(Concept)
    cosine = (1 - me.embedding.cosine_distance(other.embedding)).label("cosine")
    ranked = (
        scoped(me, tenant_id, me.concept_id.in_(list(concept_ids)), me.embedding.is_not(None))
        .with_only_columns(
            me.concept_id.label("cid"),
            other.concept_id.label("other_id"),
            cosine,
            func.row_number()
            .over(partition_by=me.concept_id, order_by=cosine.desc())
            .label("rank"),
        )
        .join(
            other,
            and_(
                other.tenant_id == me.tenant_id,
                other.concept_id != me.concept_id,
                other.status.in_(LIVE_STATUSES),
                other.embedding.is_not(None),
            ),
        )
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.cid, ranked.c.other_id, ranked.c.cosine).where(ranked.c.rank == 1)
    )
    return {int(cid): (float(cos), int(oid)) for cid, oid, cos in rows}


def _search_clause(search: str) -> ColumnElement[bool]:
    pattern = f"%{escape_like(search.strip())}%"
    return or_(
        Concept.code.ilike(pattern),
        cast(Concept.labels, Text).ilike(pattern),
        cast(Concept.synonyms, Text).ilike(pattern),
    )


def queue(
    session: Session,
    tenant_id: str,
    *,
    statuses: Iterable[str] = (ConceptStatus.DRAFT.value,),
    needs_review: bool = True,
    branch: str | None = None,
    search: str | None = None,
    stale_only: bool = False,
    lang: str = "fr",
    now: datetime | None = None,
) -> list[QueueItem]:
    """Concepts to curate, highest priority first (ties: oldest first, then id).

    The queue holds the drafts and, with ``needs_review``, the validated concepts a curator
    must look at again: those with an open merge proposal (a likely duplicate found by the dico
    build) and those marked stale (their glossary source changed). Accepting, merging or
    rejecting a concept takes it out of the queue.

    Priority mixes duplicate risk (open merge proposals from the dico build and, for queues
    small enough, the exact nearest live concept), demand (demands and logged queries for the
    concept) and age; see :func:`core.curation.views.priority_score`.

    Args:
        session: an open session (read only).
        tenant_id: whose concepts.
        statuses: concept statuses to list (default drafts only).
        needs_review: also list validated concepts with an open merge proposal or stale.
        branch: a glossary code or path prefix; only concepts under it.
        search: text contained in the code, a label or a synonym (case-insensitive).
        stale_only: only concepts whose glossary source changed since they were made.
        lang: language of the ``label`` shown.
        now: the reference time for ages (tests pin it).
    """
    tenant = validate_tenant_id(tenant_id)
    risks = proposal_risks(session, tenant)
    wanted: ColumnElement[bool] = Concept.status.in_(list(statuses))
    if needs_review:
        review = or_(Concept.is_stale.is_(True), Concept.concept_id.in_(list(risks)))
        wanted = or_(wanted, and_(Concept.status == ConceptStatus.VALIDATED.value, review))
    criteria: list[ColumnElement[bool]] = [wanted]
    if branch and branch.strip():
        criteria.append(branch_clause(Concept.path, branch))
    if search and search.strip():
        criteria.append(_search_clause(search))
    if stale_only:
        criteria.append(Concept.is_stale.is_(True))
    stmt = scoped(Concept, tenant, *criteria).with_only_columns(
        Concept.concept_id,
        Concept.code,
        Concept.taxonomy,
        Concept.labels,
        Concept.path,
        Concept.status,
        Concept.is_stale,
        Concept.created_at,
        Concept.embedding.is_not(None).label("embedded"),
    )
    rows = list(session.execute(stmt))
    if not rows:
        return []

    proposed = set(risks)
    embedded_ids = [r.concept_id for r in rows if r.embedded]
    if embedded_ids:
        live = session.scalar(
            scoped(
                Concept, tenant, Concept.status.in_(LIVE_STATUSES), Concept.embedding.is_not(None)
            ).with_only_columns(func.count())
        )
        if len(embedded_ids) * int(live or 0) <= NEAREST_PAIR_BUDGET:
            for cid, (cos, other) in nearest_cosines(session, tenant, embedded_ids).items():
                if cos > risks.get(cid, (-1.0, 0))[0]:
                    risks[cid] = (cos, other)

    demand = demand_counts(session, tenant, {r.concept_id: r.code for r in rows})
    max_demand = max(demand.values(), default=0)
    now = now or datetime.now(UTC)
    items = []
    for r in rows:
        age = max((now - r.created_at).total_seconds() / 86400.0, 0.0) if r.created_at else 0.0
        risk, other = risks.get(r.concept_id, (0.0, 0))
        items.append(
            QueueItem(
                concept_id=r.concept_id,
                code=r.code,
                taxonomy=r.taxonomy,
                label=pick_label(r.labels, lang),
                labels=dict(r.labels or {}),
                path=r.path,
                status=r.status,
                is_stale=bool(r.is_stale),
                priority=priority_score(risk, demand[r.concept_id], age, max_demand=max_demand),
                duplicate_risk=round(max(risk, 0.0), 4),
                duplicate_of=other or None,
                reasons=_reasons(r.status, bool(r.is_stale), r.concept_id in proposed),
                demand=demand[r.concept_id],
                age_days=round(age, 2),
            )
        )
    items.sort(key=lambda i: (-i.priority, -i.age_days, i.concept_id))
    return items


def _reasons(status: str, stale: bool, proposed: bool) -> tuple[str, ...]:
    """Why a concept is in the queue.

    >>> _reasons("validated", True, True)
    ('duplicate?', 'stale')
    >>> _reasons("draft", False, False)
    ('draft',)
    """
    reasons = [status] if status != ConceptStatus.VALIDATED.value else []
    if proposed:
        reasons.append("duplicate?")
    if stale:
        reasons.append("stale")
    return tuple(reasons)


def status_counts(session: Session, tenant_id: str) -> dict[str, int]:
    """Concepts per status for the tenant (the queue's header)."""
    stmt = (
        scoped(Concept, tenant_id)
        .with_only_columns(cast(Concept.status, String), func.count())
        .group_by(Concept.status)
    )
    return {status: int(n) for status, n in session.execute(stmt)}
