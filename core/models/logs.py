"""Audit and history tables: match logs, curation events, build runs, LLM usage."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Float, ForeignKey, Index, String, Text, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, TenantMixin


class QueryMatchLog(TenantMixin, Base):
    """One ``match`` call: what was asked, what came back and why (for explanations)."""

    __tablename__ = "query_match_logs"
    __table_args__ = (Index("ix_query_match_logs_tenant_created", "tenant_id", "created_at"),)

    request_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    raw_text: Mapped[str] = mapped_column(Text)
    normalized_text: Mapped[str] = mapped_column(Text, default="")
    options: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    matched_concept_ids: Mapped[list[int]] = mapped_column(JSONB, default=list)
    scores: Mapped[list[float]] = mapped_column(JSONB, default=list)
    rationale: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    result_count: Mapped[int] = mapped_column(default=0)
    top_score: Mapped[float | None] = mapped_column(Float)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    cache_hit: Mapped[bool] = mapped_column(default=False)
    index_version: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(20), default="api")  # api|cli|workbench|eval
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class CurationEvent(TenantMixin, Base):
    """An audited curator action on a concept; ``before``/``after`` make it undoable."""

    __tablename__ = "curation_events"

    event_id: Mapped[int] = mapped_column(primary_key=True)
    concept_id: Mapped[int | None] = mapped_column(
        ForeignKey("concepts.concept_id", ondelete="SET NULL"), index=True
    )
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(30))  # accept|edit|merge|reject|undo|…
    before: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    reason: Mapped[str | None] = mapped_column(Text)
    undoes_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("curation_events.event_id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class BuildRun(TenantMixin, Base):
    """One execution of a build step (glossary, dico, activations, index, evaluate)."""

    __tablename__ = "build_runs"

    run_id: Mapped[int] = mapped_column(primary_key=True)
    step: Mapped[str] = mapped_column(String(30))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|ok|failed
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    report: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    duration_s: Mapped[float | None] = mapped_column(Float)
    notebook_path: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LlmUsage(Base):
    """Token and cost counters of LLM calls (per tenant when known), for the metrics page."""

    __tablename__ = "llm_usage"

    usage_id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64), index=True)
    operation: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(100))
    prompt_tokens: Mapped[int] = mapped_column(default=0)
    completion_tokens: Mapped[int] = mapped_column(default=0)
    cost_eur: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(20), default="ok")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
