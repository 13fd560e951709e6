"""Company profiles and their activations on concepts (who can do what, with evidence)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import AuditMixin, Base, TenantMixin


class CompanyProfile(TenantMixin, AuditMixin, Base):
    """A supplier on the marketplace. ``siren`` is checksum-validated on import."""

    __tablename__ = "company_profiles"
    __table_args__ = (UniqueConstraint("tenant_id", "siren"),)

    company_id: Mapped[int] = mapped_column(primary_key=True)
    siren: Mapped[str | None] = mapped_column(String(9))
    siret: Mapped[str | None] = mapped_column(String(14))
    name: Mapped[str] = mapped_column(String(300))
    naf_code: Mapped[str | None] = mapped_column(String(10))
    region: Mapped[str | None] = mapped_column(String(10))  # INSEE region code
    departement: Mapped[str | None] = mapped_column(String(5))
    description: Mapped[str | None] = mapped_column(Text)
    facets: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)  # products, sizes, …
    source: Mapped[str] = mapped_column(String(40), default="csv")
    flags: Mapped[list[str]] = mapped_column(JSONB, default=list)
    summary: Mapped[str | None] = mapped_column(Text)  # LLM summary when configured


class CompanyConceptActivation(TenantMixin, AuditMixin, Base):
    """A company is active on a concept, with the evidence and a score.

    ``is_claimed`` marks what the company itself declared: builds never overwrite it.
    """

    __tablename__ = "company_concept_activations"
    __table_args__ = (UniqueConstraint("tenant_id", "company_id", "concept_id"),)

    activation_id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company_profiles.company_id", ondelete="CASCADE"), index=True
    )
    concept_id: Mapped[int] = mapped_column(
        ForeignKey("concepts.concept_id", ondelete="CASCADE"), index=True
    )
    facets: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    is_claimed: Mapped[bool] = mapped_column(default=False)
