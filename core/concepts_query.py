"""Read-only concept lookups for callers (API, scripts): by id, or by text, code and status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, cast, func, or_
from sqlalchemy.orm import Session

from core.errors import NotFoundError, UserError
from core.models import CompanyConceptActivation, Concept, ConceptStatus
from core.tenancy import scoped, validate_tenant_id

MAX_LIMIT = 200
"""Largest page :func:`search_concepts` returns."""


@dataclass(frozen=True)
class ConceptView:
    """A concept as callers see it: labels, synonyms, definitions, place in the tree."""

    concept_id: int
    code: str | None
    taxonomy: str | None
    status: str
    labels: dict[str, str]
    synonyms: dict[str, list[str]]
    definitions: dict[str, str]
    path: str | None
    merged_into_id: int | None
    activated_companies: int


def escape_like(text: str) -> str:
    r"""Escape ``LIKE`` wildcards so user text is matched literally.

    >>> escape_like("100%_sure\\")
    '100\\%\\_sure\\\\'
    """
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _views(session: Session, tenant_id: str, rows: list[Concept]) -> list[ConceptView]:
    ids = [row.concept_id for row in rows]
    counts: dict[int, int] = {}
    if ids:
        stmt = (
            scoped(CompanyConceptActivation, tenant_id)
            .with_only_columns(
                CompanyConceptActivation.concept_id,
                func.count(CompanyConceptActivation.company_id),
            )
            .where(CompanyConceptActivation.concept_id.in_(ids))
            .group_by(CompanyConceptActivation.concept_id)
        )
        counts = {int(cid): int(n) for cid, n in session.execute(stmt)}
    return [
        ConceptView(
            concept_id=row.concept_id,
            code=row.code,
            taxonomy=row.taxonomy,
            status=row.status,
            labels=dict(row.labels or {}),
            synonyms={k: list(v) for k, v in (row.synonyms or {}).items()},
            definitions=dict(row.definitions or {}),
            path=row.path,
            merged_into_id=row.merged_into_id,
            activated_companies=counts.get(row.concept_id, 0),
        )
        for row in rows
    ]


def get_concept(session: Session, tenant_id: str, concept_id: int) -> ConceptView:
    """One concept of this tenant.

    Raises:
        NotFoundError: no such concept in this tenant (another tenant's id included).
    """
    tenant = validate_tenant_id(tenant_id)
    row = session.scalars(scoped(Concept, tenant, Concept.concept_id == concept_id)).first()
    if row is None:
        raise NotFoundError(
            f"no concept {concept_id} in this tenant: search with GET /concepts?q=<text>"
        )
    return _views(session, tenant, [row])[0]


def search_concepts(
    session: Session,
    tenant_id: str,
    *,
    q: str | None = None,
    status: str | None = ConceptStatus.VALIDATED.value,
    limit: int = 20,
    offset: int = 0,
) -> list[ConceptView]:
    """Concepts whose code starts with ``q`` or whose labels or synonyms contain it.

    Matching is case-insensitive and literal (no wildcards); results come in code order,
    an exact code first.

    Args:
        session: an open session.
        tenant_id: whose concepts.
        q: text or code fragment; ``None`` or blank lists every concept.
        status: one of ``draft|validated|rejected|merged``; ``None`` for any status.
        limit: page size, 1..:data:`MAX_LIMIT`.
        offset: rows to skip (pagination).
    """
    tenant = validate_tenant_id(tenant_id)
    if not 1 <= limit <= MAX_LIMIT:
        raise UserError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    if offset < 0:
        raise UserError(f"offset must be 0 or more, not {offset}")
    criteria: list[Any] = []
    if status is not None:
        allowed = [s.value for s in ConceptStatus]
        if status not in allowed:
            raise UserError(f"unknown status {status!r}: use one of {', '.join(allowed)}")
        criteria.append(Concept.status == status)
    text = (q or "").strip()
    order: list[Any] = []
    if text:
        pattern = f"%{escape_like(text)}%"
        criteria.append(
            or_(
                Concept.code.ilike(f"{escape_like(text)}%", escape="\\"),
                cast(Concept.labels, Text).ilike(pattern, escape="\\"),
                cast(Concept.synonyms, Text).ilike(pattern, escape="\\"),
            )
        )
        order.append((Concept.code != text).asc())
    stmt = scoped(Concept, tenant, *criteria).order_by(
        *order, Concept.code.asc().nulls_last(), Concept.concept_id
    )
    rows = list(session.scalars(stmt.limit(limit).offset(offset)))
    return _views(session, tenant, rows)
