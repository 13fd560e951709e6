"""The glossary: a tree of know-how imported from a taxonomy (CPV, NAF, a tenant's own)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import AuditMixin, Base, TenantMixin

LabelMap = dict[str, str]
"""Language code → text, e.g. ``{"fr": "Tour", "en": "Lathe"}``."""

ProvenanceMap = dict[str, dict[str, Any]]
"""``"<field>:<lang>"`` → ``{"source": imported|machine|human, "model", "at", "hash"}``."""


class GlossaryNode(TenantMixin, AuditMixin, Base):
    """One node of a source taxonomy, with its place in the tree and its labels.

    ``path`` is the materialised path of codes from the root (``42000000/42600000/…``) so a
    branch is one ``LIKE 'prefix%'`` away; ``version`` is bumped whenever the imported content
    changes, which is how the dico build notices that derived concepts are stale.
    """

    __tablename__ = "glossary_nodes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "taxonomy", "code"),
        Index("ix_glossary_nodes_tenant_path", "tenant_id", "path"),
    )

    node_id: Mapped[int] = mapped_column(primary_key=True)
    taxonomy: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(64))
    node_type: Mapped[str] = mapped_column(String(40))  # division, group, class, … or "level N"
    level: Mapped[int] = mapped_column(default=1)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("glossary_nodes.node_id", ondelete="SET NULL"), index=True
    )
    parent_code: Mapped[str | None] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    labels: Mapped[LabelMap] = mapped_column(JSONB, default=dict)
    descriptions: Mapped[LabelMap] = mapped_column(JSONB, default=dict)
    technical_explanation: Mapped[str | None] = mapped_column(Text)
    provenance: Mapped[ProvenanceMap] = mapped_column(JSONB, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | retired
    version: Mapped[int] = mapped_column(default=1)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    extra: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
