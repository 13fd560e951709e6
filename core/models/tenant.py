"""Tenants, workbench users and API keys: who may see which tenant's data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import AuditMixin, Base, TenantMixin


class Tenant(AuditMixin, Base):
    """A marketplace operator whose data is isolated from every other tenant's."""

    __tablename__ = "tenants"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class User(AuditMixin, Base):
    """A workbench login (curator, analyst or admin) allowed on a list of tenants."""

    __tablename__ = "users"

    user_id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))  # curator | analyst | admin
    tenant_ids: Mapped[list[str]] = mapped_column(JSONB, default=list)
    display_name: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)


class ApiKey(TenantMixin, AuditMixin, Base):
    """An API key for ``POST /match``; only a hash is stored, the key is shown once."""

    __tablename__ = "api_keys"

    api_key_id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    key_prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
