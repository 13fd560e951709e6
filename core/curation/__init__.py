"""Curation of the semantic dictionary: queue, evidence, audited actions, history and undo.

All functions take a ``session`` and never commit; the caller owns the transaction::

    with session_scope() as s:
        for item in queue(s, "tenant_demo")[:10]:
            accept(s, "tenant_demo", item.concept_id, actor="marie")
"""

from core.curation.actions import (
    SNAPSHOT_FIELDS,
    accept,
    bulk,
    check_action,
    edit,
    merge,
    propose,
    reject,
    snapshot,
    undo,
)
from core.curation.evidence import evidence, get_concept
from core.curation.history import history, recent_events
from core.curation.queue import queue, status_counts
from core.curation.views import (
    CompanyEvidence,
    ConceptView,
    EventView,
    Evidence,
    LabelEvidence,
    Neighbour,
    NodeEvidence,
    QueueItem,
    pick_label,
    priority_score,
)

__all__ = [
    "SNAPSHOT_FIELDS",
    "CompanyEvidence",
    "ConceptView",
    "EventView",
    "Evidence",
    "LabelEvidence",
    "Neighbour",
    "NodeEvidence",
    "QueueItem",
    "accept",
    "bulk",
    "check_action",
    "edit",
    "evidence",
    "get_concept",
    "history",
    "merge",
    "pick_label",
    "priority_score",
    "propose",
    "queue",
    "recent_events",
    "reject",
    "snapshot",
    "status_counts",
    "undo",
]
