"""Curator actions on concepts, each audited by a CurationEvent and undoable.

Every action stores the touched concepts' curated fields before and after it
(``{"concepts": {"<id>": {...} | null}, "proposals": {"<id>": "<status>"}}``), so
:func:`undo` can restore ``before`` — but only while the state still equals ``after``: a later
change must be undone first, and nothing is silently overwritten.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import or_
from sqlalchemy.orm import Session
from tqdm.auto import tqdm

from core.curation.views import EventView, merge_synonyms
from core.errors import NotFoundError, UserError, ValidationProblems
from core.models import Concept, ConceptStatus, CurationEvent, GlossaryNode, MergeProposal
from core.tenancy import require_tenant, scoped

BulkAction = Literal["accept", "reject", "merge"]
SNAPSHOT_FIELDS = (
    "status",
    "merged_into_id",
    "status_reason",
    "is_stale",
    "source_versions",
    "labels",
    "synonyms",
    "definitions",
    "provenance",
)
"""The curated fields an event records and an undo restores."""

DRAFT = ConceptStatus.DRAFT.value
VALIDATED = ConceptStatus.VALIDATED.value
REJECTED = ConceptStatus.REJECTED.value
MERGED = ConceptStatus.MERGED.value


def _utcnow() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds")


def snapshot(concept: Concept) -> dict[str, Any]:
    """The curated fields of ``concept`` as plain JSON (deep copies)."""
    return {name: copy.deepcopy(getattr(concept, name)) for name in SNAPSHOT_FIELDS}


def _restore(concept: Concept, state: dict[str, Any]) -> None:
    for name in SNAPSHOT_FIELDS:
        setattr(concept, name, copy.deepcopy(state.get(name)))


def _actor(actor: str) -> str:
    actor = (actor or "").strip()
    if not actor:
        raise UserError("say who acts: actor must be a username")
    return actor[:100]


def _record(
    session: Session,
    tenant_id: str,
    *,
    concept_id: int | None,
    actor: str,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
    reason: str | None,
    undoes: int | None = None,
) -> EventView:
    event = CurationEvent(
        tenant_id=tenant_id,
        concept_id=concept_id,
        actor=actor,
        action=action,
        before=before,
        after=after,
        reason=reason,
        undoes_event_id=undoes,
    )
    session.add(event)
    session.flush()
    session.refresh(event, ["created_at"])
    return EventView.of(event)


def _locked(session: Session, tenant_id: str, concept_id: int) -> Concept:
    concept = session.scalar(
        scoped(Concept, tenant_id, Concept.concept_id == concept_id).with_for_update()
    )
    if concept is None:
        raise NotFoundError(f"concept {concept_id} not found in {tenant_id}")
    return concept


def _label(concept: Concept) -> str:
    labels = concept.labels or {}
    return labels.get("fr") or labels.get("en") or next(iter(labels.values()), "") or "?"


def check_action(
    action: str,
    concept: Concept,
    target: Concept | None = None,
    reason: str | None = None,
    *,
    open_proposals: int = 0,
) -> str | None:
    """Why ``action`` cannot apply to ``concept`` now (``None`` when it can).

    Accepting a validated concept is allowed while it waits for review (an open merge
    proposal or stale): it confirms the concept as a distinct, current one.
    """
    name = f"concept {concept.concept_id} ({_label(concept)})"
    status = concept.status
    if action == "accept":
        if status == VALIDATED and not concept.is_stale and not open_proposals:
            return f"{name} is already validated"
        if status == MERGED:
            return f"{name} was merged into {concept.merged_into_id}: undo the merge first"
    elif action == "reject":
        if not (reason or "").strip():
            return "give a reason for the rejection / indiquez un motif de rejet"
        if status == REJECTED:
            return f"{name} is already rejected"
        if status == MERGED:
            return f"{name} was merged into {concept.merged_into_id}: undo the merge first"
    elif action == "merge":
        if target is None:
            return "choose the concept to merge into"
        if target.concept_id == concept.concept_id:
            return f"{name} cannot be merged into itself"
        if status in (MERGED, REJECTED):
            return f"{name} is {status}: only draft or validated concepts can be merged"
        if target.status not in (DRAFT, VALIDATED):
            return (
                f"target concept {target.concept_id} is {target.status}: "
                "merge into a draft or validated concept"
            )
    elif action == "edit":
        if status in (MERGED, REJECTED):
            return f"{name} is {status}: accept it again or undo first, then edit"
    else:
        return f"unknown action {action!r}: use accept, reject, merge or edit"
    return None


def _ensure(
    action: str,
    concept: Concept,
    target: Concept | None = None,
    reason: str | None = None,
    *,
    open_proposals: int = 0,
) -> None:
    problem = check_action(action, concept, target, reason, open_proposals=open_proposals)
    if problem:
        raise UserError(problem)


def _open_proposals(session: Session, tenant_id: str, concept_id: int) -> list[MergeProposal]:
    """Open merge proposals involving ``concept_id`` (locked for update)."""
    stmt = scoped(
        MergeProposal,
        tenant_id,
        MergeProposal.status == "open",
        or_(
            MergeProposal.concept_id == concept_id,
            MergeProposal.other_concept_id == concept_id,
        ),
    ).with_for_update()
    return list(session.scalars(stmt))


def _current_versions(session: Session, tenant_id: str, concept: Concept) -> dict[str, int]:
    """Source node id → its version now (what an accepted stale concept is confirmed against)."""
    ids = [int(i) for i in concept.source_node_ids or []]
    if not ids:
        return dict(concept.source_versions or {})
    stmt = scoped(GlossaryNode, tenant_id, GlossaryNode.node_id.in_(ids)).with_only_columns(
        GlossaryNode.node_id, GlossaryNode.version
    )
    return {**(concept.source_versions or {}), **{str(i): v for i, v in session.execute(stmt)}}


def _decide(
    concept: Concept,
    *,
    status: str,
    reason: str | None,
    proposals: list[MergeProposal],
    versions: dict[str, int] | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply a status decision in memory; return the event's ``before`` and ``after``.

    The concept's open merge proposals are dismissed (a decided concept is no one's
    duplicate any more); an accepted stale concept takes its nodes' current ``versions``.
    """
    key = str(concept.concept_id)
    before = {
        "concepts": {key: snapshot(concept)},
        "proposals": {str(p.proposal_id): p.status for p in proposals},
    }
    if concept.is_stale and status == VALIDATED and versions is not None:
        concept.source_versions = versions
    concept.status = status
    concept.status_reason = (reason or "").strip() or None
    concept.merged_into_id = None
    concept.is_stale = False
    for proposal in proposals:
        proposal.status = "dismissed"
    after = {
        "concepts": {key: snapshot(concept)},
        "proposals": {str(p.proposal_id): p.status for p in proposals},
    }
    return before, after


def _set_status(
    session: Session,
    tenant_id: str,
    concept_id: int,
    *,
    action: str,
    status: str,
    actor: str,
    reason: str | None,
) -> EventView:
    actor = _actor(actor)
    concept = _locked(session, tenant_id, concept_id)
    proposals = _open_proposals(session, tenant_id, concept_id)
    _ensure(action, concept, reason=reason, open_proposals=len(proposals))
    versions = (
        _current_versions(session, tenant_id, concept)
        if concept.is_stale and status == VALIDATED
        else None
    )
    before, after = _decide(
        concept, status=status, reason=reason, proposals=proposals, versions=versions
    )
    session.flush()
    return _record(
        session,
        tenant_id,
        concept_id=concept_id,
        actor=actor,
        action=action,
        before=before,
        after=after,
        reason=concept.status_reason,
    )


def accept(
    session: Session, tenant_id: str, concept_id: int, *, actor: str, reason: str | None = None
) -> EventView:
    """Validate a draft (or rejected) concept, or confirm a validated one under review.

    Its open merge proposals are dismissed (it is a distinct concept) and a stale concept is
    confirmed against its source nodes' current versions. The matcher searches validated
    concepts (the FAISS index catches up at its next build; until then pgvector answers).
    """
    return _set_status(
        session, tenant_id, concept_id, action="accept", status=VALIDATED, actor=actor,
        reason=reason,
    )  # fmt: skip


def reject(
    session: Session, tenant_id: str, concept_id: int, *, actor: str, reason: str
) -> EventView:
    """Reject a concept with a reason (kept, so a rebuild does not propose it again); its
    open merge proposals are dismissed."""
    return _set_status(
        session, tenant_id, concept_id, action="reject", status=REJECTED, actor=actor,
        reason=reason,
    )  # fmt: skip


def _clean_texts(values: dict[str, str] | None) -> dict[str, str]:
    return {lang.strip(): (text or "").strip() for lang, text in (values or {}).items()}


def edit(
    session: Session,
    tenant_id: str,
    concept_id: int,
    *,
    actor: str,
    labels: dict[str, str] | None = None,
    synonyms: dict[str, list[str]] | None = None,
    definitions: dict[str, str] | None = None,
    reason: str | None = None,
) -> EventView:
    """Change labels, synonyms or definitions; only the languages given change.

    An empty label or definition removes that language; a synonym list replaces that
    language's list. Changed texts get ``human`` provenance, which imports and rebuilds keep.

    Args:
        labels: language → label.
        synonyms: language → full list of synonyms.
        definitions: language → definition.
    """
    actor = _actor(actor)
    concept = _locked(session, tenant_id, concept_id)
    _ensure("edit", concept)
    before = snapshot(concept)
    new_labels = dict(concept.labels or {})
    new_synonyms = {k: list(v) for k, v in (concept.synonyms or {}).items()}
    new_definitions = dict(concept.definitions or {})
    provenance = copy.deepcopy(concept.provenance or {})
    stamp = {"source": "human", "by": actor, "at": _utcnow()}

    for lang, text in _clean_texts(labels).items():
        if new_labels.get(lang, "") != text:
            if text:
                new_labels[lang] = text
            else:
                new_labels.pop(lang, None)
            provenance[f"label:{lang}"] = dict(stamp)
    for lang, texts in (synonyms or {}).items():
        cleaned = list(dict.fromkeys(t.strip() for t in texts if t and t.strip()))
        if new_synonyms.get(lang, []) != cleaned:
            if cleaned:
                new_synonyms[lang] = cleaned
            else:
                new_synonyms.pop(lang, None)
            provenance[f"synonym:{lang}"] = dict(stamp)
    for lang, text in _clean_texts(definitions).items():
        if new_definitions.get(lang, "") != text:
            if text:
                new_definitions[lang] = text
            else:
                new_definitions.pop(lang, None)
            provenance[f"definition:{lang}"] = dict(stamp)

    if not new_labels:
        raise UserError("a concept needs at least one label; nothing was changed")
    if (new_labels, new_synonyms, new_definitions) == (
        concept.labels or {},
        concept.synonyms or {},
        concept.definitions or {},
    ):
        raise UserError("nothing to change: the texts are the same / aucun changement")
    concept.labels = new_labels
    concept.synonyms = new_synonyms
    concept.definitions = new_definitions
    concept.provenance = provenance
    session.flush()
    return _record(
        session,
        tenant_id,
        concept_id=concept_id,
        actor=actor,
        action="edit",
        before={"concepts": {str(concept_id): before}},
        after={"concepts": {str(concept_id): snapshot(concept)}},
        reason=(reason or "").strip() or None,
    )


def merge(
    session: Session,
    tenant_id: str,
    concept_id: int,
    into_id: int,
    *,
    actor: str,
    reason: str | None = None,
) -> EventView:
    """Merge ``concept_id`` into ``into_id``: its labels and synonyms become the target's
    synonyms, it becomes ``merged`` (``merged_into_id`` = target); an open merge proposal
    between the two is marked accepted and the source's other open proposals dismissed."""
    actor = _actor(actor)
    source = _locked(session, tenant_id, concept_id)
    target = _locked(session, tenant_id, into_id)
    _ensure("merge", source, target)
    proposals = _open_proposals(session, tenant_id, concept_id)
    before = {
        "concepts": {str(concept_id): snapshot(source), str(into_id): snapshot(target)},
        "proposals": {str(p.proposal_id): p.status for p in proposals},
    }
    extra: dict[str, list[str]] = {}
    for lang, text in (source.labels or {}).items():
        extra.setdefault(lang, []).append(text)
    for lang, texts in (source.synonyms or {}).items():
        extra.setdefault(lang, []).extend(texts)
    new_synonyms = merge_synonyms(target.labels or {}, target.synonyms or {}, extra)
    if new_synonyms != (target.synonyms or {}):
        provenance = copy.deepcopy(target.provenance or {})
        for lang in new_synonyms:
            if new_synonyms.get(lang) != (target.synonyms or {}).get(lang):
                provenance[f"synonym:{lang}"] = {
                    "source": "human",
                    "by": actor,
                    "at": _utcnow(),
                    "merged_from": concept_id,
                }
        target.synonyms = new_synonyms
        target.provenance = provenance
    source.status = MERGED
    source.merged_into_id = into_id
    source.status_reason = (reason or "").strip() or None
    for prop in proposals:  # the pair's proposal is accepted, the source's others are moot
        pair = {prop.concept_id, prop.other_concept_id} == {concept_id, into_id}
        prop.status = "accepted" if pair else "dismissed"
    session.flush()
    after = {
        "concepts": {str(concept_id): snapshot(source), str(into_id): snapshot(target)},
        "proposals": {str(p.proposal_id): p.status for p in proposals},
    }
    return _record(
        session,
        tenant_id,
        concept_id=concept_id,
        actor=actor,
        action="merge",
        before=before,
        after=after,
        reason=source.status_reason,
    )


def propose(
    session: Session,
    tenant_id: str,
    label: str,
    *,
    actor: str,
    lang: str = "fr",
    definition: str | None = None,
    reason: str | None = None,
) -> EventView:
    """Create a draft concept by hand (e.g. from a query nobody's concept answered).

    It has no embedding yet: the next dico build computes it, and until then it is
    matched lexically only once validated.
    """
    actor = _actor(actor)
    tenant = require_tenant(session, tenant_id)
    label = (label or "").strip()
    if not label:
        raise UserError("give the new concept a label / indiquez un libellé")
    stamp = {"source": "human", "by": actor, "at": _utcnow()}
    concept = Concept(
        tenant_id=tenant,
        labels={lang: label},
        synonyms={},
        definitions={lang: definition.strip()} if definition and definition.strip() else {},
        provenance={f"label:{lang}": dict(stamp)}
        | ({f"definition:{lang}": dict(stamp)} if definition and definition.strip() else {}),
        origin="human",
        status=DRAFT,
        related_concept_ids=[],
        source_node_ids=[],
        source_versions={},
        extra={"proposed_from": (reason or "").strip() or None},
    )
    session.add(concept)
    session.flush()
    return _record(
        session,
        tenant,
        concept_id=concept.concept_id,
        actor=actor,
        action="propose",
        before={"concepts": {str(concept.concept_id): None}},
        after={"concepts": {str(concept.concept_id): snapshot(concept)}},
        reason=(reason or "").strip() or None,
    )


def _open_proposal_counts(session: Session, tenant_id: str, ids: list[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    stmt = scoped(
        MergeProposal,
        tenant_id,
        MergeProposal.status == "open",
        or_(MergeProposal.concept_id.in_(ids), MergeProposal.other_concept_id.in_(ids)),
    ).with_only_columns(MergeProposal.concept_id, MergeProposal.other_concept_id)
    for a, b in session.execute(stmt):
        for cid in (a, b):
            counts[cid] = counts.get(cid, 0) + 1
    return counts


def bulk(
    session: Session,
    tenant_id: str,
    concept_ids: Sequence[int],
    action: BulkAction,
    *,
    actor: str,
    reason: str | None = None,
    into_id: int | None = None,
    progress: bool = False,
) -> list[EventView]:
    """Apply one action to a selection, one CurationEvent per concept, all or nothing.

    Every concept is checked first; if any cannot take the action, nothing is written and the
    error lists them all.
    """
    _actor(actor)
    ids = list(dict.fromkeys(int(i) for i in concept_ids))
    if not ids:
        raise UserError("the selection is empty: nothing to do")
    if action not in ("accept", "reject", "merge"):
        raise UserError(f"unknown bulk action {action!r}: use accept, reject or merge")
    target = _locked(session, tenant_id, into_id) if action == "merge" and into_id else None
    concepts = {
        c.concept_id: c
        for c in session.scalars(
            scoped(Concept, tenant_id, Concept.concept_id.in_(ids)).with_for_update()
        )
    }
    open_counts = _open_proposal_counts(session, tenant_id, ids)
    problems = [f"concept {i} not found in {tenant_id}" for i in ids if i not in concepts]
    for cid in ids:
        if cid in concepts:
            problem = check_action(
                action, concepts[cid], target, reason, open_proposals=open_counts.get(cid, 0)
            )
            if problem:
                problems.append(problem)
    if problems:
        raise ValidationProblems(problems, source=f"bulk {action}")
    if action == "merge":
        return [
            merge(session, tenant_id, cid, into_id, actor=actor, reason=reason)
            for cid in tqdm(ids, desc="bulk merge", disable=not progress, unit="concept")
            if into_id is not None  # check_action refused a merge without a target
        ]
    return _bulk_status(
        session, tenant_id, [concepts[i] for i in ids], action, actor=actor, reason=reason,
        progress=progress,
    )  # fmt: skip


def _bulk_status(
    session: Session,
    tenant_id: str,
    concepts: list[Concept],
    action: str,
    *,
    actor: str,
    reason: str | None,
    progress: bool,
) -> list[EventView]:
    """Accept or reject many checked concepts with a handful of queries (not a few per item)."""
    from sqlalchemy import func, select

    status = VALIDATED if action == "accept" else REJECTED
    ids = [c.concept_id for c in concepts]
    proposals: dict[int, list[MergeProposal]] = {}
    stmt = scoped(
        MergeProposal,
        tenant_id,
        MergeProposal.status == "open",
        or_(MergeProposal.concept_id.in_(ids), MergeProposal.other_concept_id.in_(ids)),
    ).with_for_update()
    for proposal in session.scalars(stmt):
        for cid in {proposal.concept_id, proposal.other_concept_id}:
            proposals.setdefault(cid, []).append(proposal)
    node_ids = {int(n) for c in concepts if c.is_stale for n in c.source_node_ids or []}
    versions: dict[int, int] = {}
    if node_ids and status == VALIDATED:
        versions = {
            int(node_id): int(version)
            for node_id, version in session.execute(
                scoped(
                    GlossaryNode, tenant_id, GlossaryNode.node_id.in_(node_ids)
                ).with_only_columns(GlossaryNode.node_id, GlossaryNode.version)
            )
        }
    now = session.scalar(select(func.now()))
    rows: list[CurationEvent] = []
    for concept in tqdm(concepts, desc=f"bulk {action}", disable=not progress, unit="concept"):
        own = [p for p in proposals.get(concept.concept_id, []) if p.status == "open"]
        if action == "accept" and concept.status == VALIDATED and not concept.is_stale and not own:
            continue  # an earlier item of this selection settled it (their proposal)
        current = {
            **(concept.source_versions or {}),
            **{
                str(n): versions[int(n)]
                for n in concept.source_node_ids or []
                if int(n) in versions
            },
        }
        before, after = _decide(
            concept, status=status, reason=reason, proposals=own, versions=current
        )
        rows.append(
            CurationEvent(
                tenant_id=tenant_id, concept_id=concept.concept_id, actor=_actor(actor),
                action=action, before=before, after=after, reason=concept.status_reason,
                created_at=now,
            )
        )  # fmt: skip
    session.add_all(rows)
    session.flush()
    return [EventView.of(row) for row in rows]


def _current(session: Session, tenant_id: str, cid: int) -> tuple[Concept | None, Any]:
    concept = session.scalar(
        scoped(Concept, tenant_id, Concept.concept_id == cid).with_for_update()
    )
    return concept, (snapshot(concept) if concept is not None else None)


def undo(session: Session, tenant_id: str, event_id: int, *, actor: str) -> EventView:
    """Restore what ``event_id`` changed and record an ``undo`` event.

    Refused when the event was already undone, or when a touched concept changed since (undo
    the later events first, newest first); an undone ``propose`` deletes the draft it created.
    """
    actor = _actor(actor)
    event = session.scalar(
        scoped(CurationEvent, tenant_id, CurationEvent.event_id == event_id).with_for_update()
    )
    if event is None:
        raise NotFoundError(f"curation event {event_id} not found in {tenant_id}")
    already = session.scalar(
        scoped(CurationEvent, tenant_id, CurationEvent.undoes_event_id == event_id)
        .with_only_columns(CurationEvent.event_id)
        .limit(1)
    )
    if already is not None:
        raise UserError(f"event {event_id} was already undone (by event {already})")
    before_concepts: dict[str, Any] = (event.before or {}).get("concepts", {})
    after_concepts: dict[str, Any] = (event.after or {}).get("concepts", {})
    rows: dict[str, Concept | None] = {}
    for cid, expected in after_concepts.items():
        concept, state = _current(session, tenant_id, int(cid))
        if state != expected:
            if concept is None:
                raise UserError(
                    f"concept {cid} no longer exists: event {event_id} cannot be undone"
                )
            raise UserError(
                f"concept {cid} changed after event {event_id}: undo the later events first "
                "(see the concept's history) / annulez d'abord les actions plus récentes"
            )
        rows[cid] = concept
    prop_ids = [int(p) for p in (event.after or {}).get("proposals", {})]
    proposals = {
        str(p.proposal_id): p
        for p in session.scalars(
            scoped(MergeProposal, tenant_id, MergeProposal.proposal_id.in_(prop_ids))
        )
    }

    deleted: set[int] = set()
    for cid, state in before_concepts.items():
        concept = rows.get(cid)
        if concept is None:
            continue
        if state is None:  # the event created this concept
            session.delete(concept)
            deleted.add(int(cid))
        else:
            _restore(concept, state)
    for pid, status in (event.before or {}).get("proposals", {}).items():
        if pid in proposals:
            proposals[pid].status = status
    session.flush()
    return _record(
        session,
        tenant_id,
        concept_id=None if event.concept_id in deleted else event.concept_id,
        actor=actor,
        action="undo",
        before=copy.deepcopy(event.after or {}),
        after=copy.deepcopy(event.before or {}),
        reason=f"undo of event {event_id} ({event.action})",
        undoes=event_id,
    )
