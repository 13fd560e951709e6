"""Declarative base, naming convention and the mixins every table shares."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, MetaData, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

EMBEDDING_DIM = 384
"""Width of the ``vector`` columns; both the default MiniLM and multilingual-e5-small give 384."""


class Base(DeclarativeBase):
    """Root of the ORM; its metadata carries stable constraint names for Alembic."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class AuditMixin:
    """``created_at`` / ``updated_at`` kept by the database."""

    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


class TenantMixin:
    """A row owned by one tenant; ``core.tenancy.scoped`` filters on this column."""

    @declared_attr
    def tenant_id(cls) -> Mapped[str]:  # noqa: N805 - SQLAlchemy declared_attr signature
        return mapped_column(
            String(64), ForeignKey("tenants.tenant_id", ondelete="CASCADE"), index=True
        )
