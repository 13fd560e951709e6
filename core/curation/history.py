"""A concept's curation history, newest first, with which events were undone."""

from __future__ import annotations

from sqlalchemy import or_
from sqlalchemy.orm import Session

from core.curation.views import EventView
from core.models import CurationEvent
from core.tenancy import scoped


def history(
    session: Session, tenant_id: str, concept_id: int, *, limit: int = 100
) -> list[EventView]:
    """Events on ``concept_id`` (including merges that touched it as the target).

    Each event says whether a later ``undo`` reverted it (``undone_by``).
    """
    key = str(concept_id)
    stmt = (
        scoped(
            CurationEvent,
            tenant_id,
            or_(
                CurationEvent.concept_id == concept_id,
                CurationEvent.before["concepts"].has_key(key),
                CurationEvent.after["concepts"].has_key(key),
            ),
        )
        .order_by(CurationEvent.event_id.desc())
        .limit(limit)
    )
    events = list(session.scalars(stmt))
    undone = undone_map(session, tenant_id, [e.event_id for e in events])
    return [EventView.of(e, undone.get(e.event_id)) for e in events]


def undone_map(session: Session, tenant_id: str, event_ids: list[int]) -> dict[int, int]:
    """Event id → id of the ``undo`` event that reverted it, for those that were undone."""
    if not event_ids:
        return {}
    stmt = scoped(
        CurationEvent, tenant_id, CurationEvent.undoes_event_id.in_(event_ids)
    ).with_only_columns(CurationEvent.undoes_event_id, CurationEvent.event_id)
    return {int(target): int(undo) for target, undo in session.execute(stmt)}


def recent_events(session: Session, tenant_id: str, *, limit: int = 50) -> list[EventView]:
    """The tenant's latest curation events (the queue page's activity feed)."""
    stmt = scoped(CurationEvent, tenant_id).order_by(CurationEvent.event_id.desc()).limit(limit)
    events = list(session.scalars(stmt))
    undone = undone_map(session, tenant_id, [e.event_id for e in events])
    return [EventView.of(e, undone.get(e.event_id)) for e in events]
