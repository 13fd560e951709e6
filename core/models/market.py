"""Offers (supply) and demands (needs) placed on the marketplace."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import AuditMixin, Base, TenantMixin


class _MarketItem(TenantMixin, AuditMixin):
    """Columns shared by offers and demands."""

    external_ref: Mapped[str | None] = mapped_column(String(100))
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("company_profiles.company_id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text)
    concept_code: Mapped[str | None] = mapped_column(String(64))  # as given by the source
    concept_ids: Mapped[list[int]] = mapped_column(JSONB, default=list)
    classification_confidence: Mapped[float | None] = mapped_column(Float)
    classified_by: Mapped[str | None] = mapped_column(String(20))  # source|matcher|human
    quantity: Mapped[float | None] = mapped_column(Float)
    amount_eur: Mapped[float | None] = mapped_column(Float)
    region: Mapped[str | None] = mapped_column(String(10))  # INSEE region code
    departement: Mapped[str | None] = mapped_column(String(5))
    published_on: Mapped[date | None] = mapped_column(Date)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open|closed|to_classify
    source: Mapped[str] = mapped_column(String(40), default="csv")
    extra: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class Offer(_MarketItem, Base):
    """Supply: what a company offers."""

    __tablename__ = "offers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_ref"),
        Index("ix_offers_tenant_published", "tenant_id", "published_on"),
    )

    offer_id: Mapped[int] = mapped_column(primary_key=True)


class Demand(_MarketItem, Base):
    """A need: a buyer's request, e.g. a public procurement contract.

    ``awarded_company_ids`` lists the suppliers who won it (supply evidence).
    """

    __tablename__ = "demands"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_ref"),
        Index("ix_demands_tenant_published", "tenant_id", "published_on"),
    )

    demand_id: Mapped[int] = mapped_column(primary_key=True)
    buyer_name: Mapped[str | None] = mapped_column(String(300))
    buyer_siret: Mapped[str | None] = mapped_column(String(14))
    awarded_company_ids: Mapped[list[int]] = mapped_column(JSONB, default=list)
