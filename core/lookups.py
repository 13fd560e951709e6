"""Small pick-list lookups (concepts, companies) for forms: cheap, bounded, tenant-scoped."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, cast, or_
from sqlalchemy.orm import Session

from core.curation.views import escape_like, pick_label
from core.models import CompanyProfile, Concept, ConceptStatus
from core.tenancy import scoped

LIVE = (ConceptStatus.DRAFT.value, ConceptStatus.VALIDATED.value)


@dataclass(frozen=True)
class Choice:
    """One option of a pick list: an id and what the user reads."""

    id: int
    text: str


def find_concepts(
    session: Session,
    tenant_id: str,
    text: str = "",
    *,
    statuses: Iterable[str] = LIVE,
    lang: str = "fr",
    exclude: Iterable[int] = (),
    limit: int = 30,
) -> list[Choice]:
    """Concepts whose code, label or synonym contains ``text`` (all of them when empty)."""
    criteria: list[Any] = [Concept.status.in_(list(statuses))]
    skip = list(exclude)
    if skip:
        criteria.append(Concept.concept_id.not_in(skip))
    text = text.strip()
    if text.isdigit():
        criteria.append(
            or_(Concept.concept_id == int(text), Concept.code.ilike(f"{escape_like(text)}%"))
        )
    elif text:
        pattern = f"%{escape_like(text)}%"
        criteria.append(
            or_(
                Concept.code.ilike(pattern),
                cast(Concept.labels, Text).ilike(pattern),
                cast(Concept.synonyms, Text).ilike(pattern),
            )
        )
    stmt = (
        scoped(Concept, tenant_id, *criteria)
        .with_only_columns(Concept.concept_id, Concept.code, Concept.labels, Concept.status)
        .order_by(Concept.code.nulls_last(), Concept.concept_id)
        .limit(max(1, min(limit, 200)))
    )
    return [
        Choice(cid, f"{pick_label(labels, lang)} · {code or '—'} · #{cid} ({status})")
        for cid, code, labels, status in session.execute(stmt)
    ]


def find_companies(
    session: Session, tenant_id: str, text: str = "", *, limit: int = 30
) -> list[Choice]:
    """Companies whose name contains ``text`` or whose SIREN starts with it."""
    criteria: list[Any] = []
    text = text.strip()
    if text:
        criteria.append(
            or_(
                CompanyProfile.name.ilike(f"%{escape_like(text)}%"),
                CompanyProfile.siren.like(f"{escape_like(text)}%"),
            )
        )
    stmt = (
        scoped(CompanyProfile, tenant_id, *criteria)
        .with_only_columns(CompanyProfile.company_id, CompanyProfile.name, CompanyProfile.siren)
        .order_by(CompanyProfile.name)
        .limit(max(1, min(limit, 200)))
    )
    return [
        Choice(cid, f"{name} · {siren or '—'} · #{cid}")
        for cid, name, siren in session.execute(stmt)
    ]
