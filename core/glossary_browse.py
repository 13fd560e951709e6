"""Read-only browsing of a tenant's glossary tree: roots, children, search, details, quality."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, func, or_
from sqlalchemy.orm import Session

from core.curation.views import escape_like, pick_label
from core.errors import NotFoundError
from core.models import BuildRun, Concept, GlossaryNode
from core.tenancy import scoped

MAX_ROWS = 500
"""Most nodes one listing returns (a CPV division has a few hundred children at most)."""


@dataclass(frozen=True)
class NodeRow:
    """One glossary node in a listing."""

    node_id: int
    taxonomy: str
    code: str
    label: str
    level: int
    path: str
    status: str
    children: int = 0


@dataclass(frozen=True)
class ConceptRef:
    """A concept derived from a node, with its curation state."""

    concept_id: int
    code: str | None
    label: str
    status: str
    is_stale: bool


@dataclass(frozen=True)
class NodeDetail:
    """Everything about one node: texts, provenance, place in the tree, derived concepts."""

    node: NodeRow
    labels: dict[str, str]
    descriptions: dict[str, str]
    technical_explanation: str | None
    provenance: dict[str, Any]
    node_type: str
    version: int
    updated_at: datetime | None
    breadcrumbs: list[NodeRow]
    children: list[NodeRow]
    concepts: list[ConceptRef]


@dataclass(frozen=True)
class GlossaryReport:
    """Quality findings of the tenant's last successful glossary build."""

    run_id: int
    finished_at: datetime | None
    taxonomy: str | None
    counts: dict[str, Any]
    quality: list[dict[str, Any]]
    levels: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)


def _rows(session: Session, tenant_id: str, stmt: Any, lang: str) -> list[NodeRow]:
    nodes = list(session.scalars(stmt))
    if not nodes:
        return []
    count_stmt = (
        scoped(GlossaryNode, tenant_id, GlossaryNode.parent_id.in_([n.node_id for n in nodes]))
        .with_only_columns(GlossaryNode.parent_id, func.count())
        .group_by(GlossaryNode.parent_id)
    )
    counts: dict[int, int] = {int(pid): int(n) for pid, n in session.execute(count_stmt)}
    return [
        NodeRow(
            node_id=n.node_id,
            taxonomy=n.taxonomy,
            code=n.code,
            label=pick_label(n.labels, lang),
            level=n.level,
            path=n.path,
            status=n.status,
            children=int(counts.get(n.node_id, 0)),
        )
        for n in nodes
    ]


def taxonomies(session: Session, tenant_id: str) -> dict[str, int]:
    """Taxonomy name → node count for the tenant."""
    stmt = (
        scoped(GlossaryNode, tenant_id)
        .with_only_columns(GlossaryNode.taxonomy, func.count())
        .group_by(GlossaryNode.taxonomy)
        .order_by(GlossaryNode.taxonomy)
    )
    return {tax: int(n) for tax, n in session.execute(stmt)}


def children(
    session: Session,
    tenant_id: str,
    parent_id: int | None,
    *,
    taxonomy: str | None = None,
    lang: str = "fr",
) -> list[NodeRow]:
    """The children of ``parent_id`` by code, or the roots (``None``) of one or all taxonomies."""
    criteria: list[Any] = [
        GlossaryNode.parent_id.is_(None)
        if parent_id is None
        else GlossaryNode.parent_id == parent_id
    ]
    if taxonomy:
        criteria.append(GlossaryNode.taxonomy == taxonomy)
    stmt = (
        scoped(GlossaryNode, tenant_id, *criteria)
        .order_by(GlossaryNode.taxonomy, GlossaryNode.code)
        .limit(MAX_ROWS)
    )
    return _rows(session, tenant_id, stmt, lang)


def search_nodes(
    session: Session,
    tenant_id: str,
    text: str,
    *,
    taxonomy: str | None = None,
    lang: str = "fr",
    limit: int = 50,
) -> list[NodeRow]:
    """Nodes whose code starts with ``text`` or whose labels contain it (case-insensitive)."""
    text = text.strip()
    if not text:
        return []
    pattern = escape_like(text)
    criteria: list[Any] = [
        or_(
            GlossaryNode.code.ilike(f"{pattern}%"),
            cast(GlossaryNode.labels, Text).ilike(f"%{pattern}%"),
        )
    ]
    if taxonomy:
        criteria.append(GlossaryNode.taxonomy == taxonomy)
    stmt = (
        scoped(GlossaryNode, tenant_id, *criteria)
        .order_by(GlossaryNode.level, GlossaryNode.code)
        .limit(min(limit, MAX_ROWS))
    )
    return _rows(session, tenant_id, stmt, lang)


def node_detail(session: Session, tenant_id: str, node_id: int, *, lang: str = "fr") -> NodeDetail:
    """One node with its breadcrumbs from the root, its children and derived concepts."""
    node = session.scalar(scoped(GlossaryNode, tenant_id, GlossaryNode.node_id == node_id))
    if node is None:
        raise NotFoundError(f"glossary node {node_id} not found in {tenant_id}")
    codes = [c for c in node.path.split("/") if c]
    crumbs = {
        row.code: row
        for row in _rows(
            session,
            tenant_id,
            scoped(
                GlossaryNode,
                tenant_id,
                GlossaryNode.taxonomy == node.taxonomy,
                GlossaryNode.code.in_(codes),
            ),
            lang,
        )
    }
    concepts = [
        ConceptRef(c.concept_id, c.code, pick_label(c.labels, lang), c.status, bool(c.is_stale))
        for c in session.scalars(
            scoped(Concept, tenant_id, Concept.source_node_ids.contains([node.node_id]))
            .order_by(Concept.concept_id)
            .limit(50)
        )
    ]
    row = (
        crumbs.get(node.code)
        or _rows(
            session,
            tenant_id,
            scoped(GlossaryNode, tenant_id, GlossaryNode.node_id == node_id),
            lang,
        )[0]
    )
    return NodeDetail(
        node=row,
        labels=dict(node.labels or {}),
        descriptions=dict(node.descriptions or {}),
        technical_explanation=node.technical_explanation,
        provenance=dict(node.provenance or {}),
        node_type=node.node_type,
        version=node.version,
        updated_at=node.updated_at,
        breadcrumbs=[crumbs[c] for c in codes if c in crumbs],
        children=children(session, tenant_id, node.node_id, lang=lang),
        concepts=concepts,
    )


def stale_concepts(
    session: Session, tenant_id: str, *, lang: str = "fr", limit: int = 200
) -> list[ConceptRef]:
    """Concepts whose source glossary nodes changed since they were built (to review)."""
    stmt = (
        scoped(Concept, tenant_id, Concept.is_stale.is_(True))
        .order_by(Concept.concept_id)
        .limit(min(limit, MAX_ROWS))
    )
    return [
        ConceptRef(c.concept_id, c.code, pick_label(c.labels, lang), c.status, True)
        for c in session.scalars(stmt)
    ]


def branches(
    session: Session, tenant_id: str, *, lang: str = "fr", depth: int = 2
) -> list[NodeRow]:
    """Nodes of the first ``depth`` levels (filter choices for "glossary branch")."""
    stmt = (
        scoped(GlossaryNode, tenant_id, GlossaryNode.level <= depth)
        .order_by(GlossaryNode.taxonomy, GlossaryNode.path)
        .limit(MAX_ROWS)
    )
    return _rows(session, tenant_id, stmt, lang)


def last_glossary_report(session: Session, tenant_id: str) -> GlossaryReport | None:
    """The quality report of the tenant's last successful glossary build, if any.

    Builds store it in ``BuildRun.report`` (``details.quality``: problems per check); older
    or hand-written reports with top-level ``issues`` rows are read too.
    """
    run = session.scalar(
        scoped(BuildRun, tenant_id, BuildRun.step == "glossary", BuildRun.status == "ok")
        .order_by(BuildRun.run_id.desc())
        .limit(1)
    )
    if run is None:
        return None
    report = dict(run.report or {})
    details = dict(report.get("details") or {})
    quality = details.get("quality") or report.get("issues") or []
    return GlossaryReport(
        run_id=run.run_id,
        finished_at=run.finished_at,
        taxonomy=details.get("taxonomy") or (run.parameters or {}).get("taxonomy"),
        counts=dict(run.counts or report.get("counts") or {}),
        quality=[dict(q) for q in quality if isinstance(q, dict)],
        levels=[dict(x) for x in details.get("levels") or [] if isinstance(x, dict)],
        warnings=[str(w) for w in report.get("warnings") or []],
    )
