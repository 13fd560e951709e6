"""Concepts: the curated semantic dictionary the matcher searches."""

from __future__ import annotations

import enum
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import EMBEDDING_DIM, AuditMixin, Base, TenantMixin
from core.models.glossary import LabelMap, ProvenanceMap


class ConceptStatus(enum.StrEnum):
    """Curation state; only ``validated`` concepts are matched."""

    DRAFT = "draft"
    VALIDATED = "validated"
    REJECTED = "rejected"
    MERGED = "merged"


class Concept(TenantMixin, AuditMixin, Base):
    """A unit of know-how (``usinage du titane``) with labels, synonyms and an embedding.

    ``source_node_ids`` and ``source_versions`` record the glossary nodes (and their versions)
    a concept came from, so a changed node marks its concepts ``is_stale``.
    """

    __tablename__ = "concepts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        Index("ix_concepts_tenant_status", "tenant_id", "status"),
        Index(
            "ix_concepts_embedding_hnsw",
            "embedding",
            postgresql_using="hnsw",
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
    )

    concept_id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(64))
    taxonomy: Mapped[str | None] = mapped_column(String(40))
    labels: Mapped[LabelMap] = mapped_column(JSONB, default=dict)
    synonyms: Mapped[dict[str, list[str]]] = mapped_column(JSONB, default=dict)
    definitions: Mapped[LabelMap] = mapped_column(JSONB, default=dict)
    provenance: Mapped[ProvenanceMap] = mapped_column(JSONB, default=dict)
    origin: Mapped[str] = mapped_column(String(20), default="machine")  # imported|machine|human
    related_concept_ids: Mapped[list[int]] = mapped_column(JSONB, default=list)
    source_node_ids: Mapped[list[int]] = mapped_column(JSONB, default=list)
    source_versions: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict)
    path: Mapped[str | None] = mapped_column(Text)  # glossary path of the main source node
    status: Mapped[str] = mapped_column(String(20), default=ConceptStatus.DRAFT.value)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("concepts.concept_id", ondelete="SET NULL")
    )
    status_reason: Mapped[str | None] = mapped_column(Text)
    is_stale: Mapped[bool] = mapped_column(default=False)
    embedding: Mapped[list[float] | None] = mapped_column(Vector(EMBEDDING_DIM))
    embedding_model: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    extra: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class ConceptExample(TenantMixin, AuditMixin, Base):
    """A text already labelled with a concept (a past demand, a contract, a validated match).

    The matcher uses examples as a third candidate source beside labels and synonyms.
    """

    __tablename__ = "concept_examples"
    __table_args__ = (
        UniqueConstraint("tenant_id", "concept_id", "text_hash"),
        Index(
            "ix_concept_examples_embedding_hnsw",
            "embedding",
            postgresql_using="hnsw",
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
    )

    example_id: Mapped[int] = mapped_column(primary_key=True)
    concept_id: Mapped[int] = mapped_column(
        ForeignKey("concepts.concept_id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(8), default="fr")
    source: Mapped[str] = mapped_column(String(40))  # demand | contract | match | human
    source_ref: Mapped[str | None] = mapped_column(String(100))
    embedding: Mapped[list[float] | None] = mapped_column(Vector(EMBEDDING_DIM))
    embedding_model: Mapped[str | None] = mapped_column(String(200))


class MergeProposal(TenantMixin, AuditMixin, Base):
    """Two concepts whose embeddings are close enough that a curator should look."""

    __tablename__ = "merge_proposals"
    __table_args__ = (UniqueConstraint("tenant_id", "concept_id", "other_concept_id"),)

    proposal_id: Mapped[int] = mapped_column(primary_key=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("concepts.concept_id", ondelete="CASCADE"))
    other_concept_id: Mapped[int] = mapped_column(
        ForeignKey("concepts.concept_id", ondelete="CASCADE")
    )
    cosine: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open|accepted|dismissed
