"""Companies activated on shortlisted concepts, and the activation sets filters use."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import NotFoundError
from core.matching.types import CompanyHit
from core.models import CompanyConceptActivation, CompanyProfile
from core.tenancy import scoped


def require_company(session: Session, tenant_id: str, company_id: int) -> None:
    """Raise ``NotFoundError`` unless the company exists *in this tenant*."""
    found = session.execute(
        scoped(CompanyProfile, tenant_id, CompanyProfile.company_id == company_id)
        .with_only_columns(CompanyProfile.company_id)
        .limit(1)
    ).first()
    if found is None:
        raise NotFoundError(
            f"unknown company_id {company_id} for tenant {tenant_id}: use the company_id of "
            "an imported company profile (marketlounge status shows what is imported)"
        )


def company_concepts(session: Session, tenant_id: str, company_id: int) -> set[int]:
    """Concepts the company is activated on."""
    stmt = scoped(
        CompanyConceptActivation, tenant_id, CompanyConceptActivation.company_id == company_id
    ).with_only_columns(CompanyConceptActivation.concept_id)
    return {int(cid) for cid in session.scalars(stmt)}


def activated_concepts(session: Session, tenant_id: str) -> set[int]:
    """Concepts with at least one activated company."""
    stmt = (
        scoped(CompanyConceptActivation, tenant_id)
        .with_only_columns(CompanyConceptActivation.concept_id)
        .distinct()
    )
    return {int(cid) for cid in session.scalars(stmt)}


def companies_for(
    session: Session, tenant_id: str, concept_ids: Sequence[int] | None, *, limit: int
) -> dict[int, list[CompanyHit]]:
    """Per concept, its activated companies by activation score (at most ``limit`` each).

    One query: a window function numbers each concept's companies, best first (claimed
    activations win ties). ``concept_ids=None`` reads every concept of the tenant (the
    matcher preloads small tenants this way).
    """
    if concept_ids is not None and not concept_ids or limit <= 0:
        return {}
    act = CompanyConceptActivation
    rank = (
        func.row_number()
        .over(
            partition_by=act.concept_id,
            order_by=(act.score.desc(), act.is_claimed.desc(), act.company_id),
        )
        .label("rank")
    )
    where = () if concept_ids is None else (act.concept_id.in_(list(concept_ids)),)
    inner = (
        scoped(act, tenant_id, *where)
        .join(
            CompanyProfile,
            (CompanyProfile.company_id == act.company_id)
            & (CompanyProfile.tenant_id == act.tenant_id),
        )
        .with_only_columns(
            act.concept_id,
            CompanyProfile.company_id,
            CompanyProfile.name,
            CompanyProfile.siren,
            act.score,
            act.is_claimed,
            rank,
        )
        .subquery()
    )
    stmt = select(inner).where(inner.c.rank <= limit).order_by(inner.c.concept_id, inner.c.rank)
    found: dict[int, list[CompanyHit]] = {}
    for concept_id, company_id, name, siren, score, claimed, _ in session.execute(stmt):
        found.setdefault(int(concept_id), []).append(
            CompanyHit(
                company_id=int(company_id),
                name=name,
                siren=siren,
                score=round(float(score or 0.0), 4),
                is_claimed=bool(claimed),
            )
        )
    return found
