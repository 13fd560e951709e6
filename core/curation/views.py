"""Value types curation returns (frozen, picklable, no ORM objects) and pure helpers."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.models import Concept, CurationEvent

PRIORITY_WEIGHTS = {"duplicate": 0.5, "demand": 0.3, "age": 0.2}
"""How the queue weighs duplicate risk, demand and age (each normalised to 0..1)."""

AGE_SATURATION_DAYS = 30.0
"""A draft this old (or older) gets the full age component."""


def escape_like(text: str) -> str:
    r"""Escape ``LIKE`` wildcards so user text matches literally.

    >>> escape_like("50%_x")
    '50\\%\\_x'
    """
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def pick_label(labels: dict[str, str] | None, lang: str = "fr") -> str:
    """The label in ``lang``, else French, else English, else any, else ``""``.

    >>> pick_label({"fr": "Tour", "en": "Lathe"}, "en")
    'Lathe'
    >>> pick_label({"en": "Lathe"}, "fr")
    'Lathe'
    >>> pick_label({}, "fr")
    ''
    """
    labels = labels or {}
    for key in (lang, "fr", "en"):
        if labels.get(key):
            return labels[key]
    return next((text for text in labels.values() if text), "")


def priority_score(
    duplicate_risk: float, demand: int, age_days: float, *, max_demand: int
) -> float:
    """Queue priority in 0..1: likely duplicates first, then concepts buyers ask for, then age.

    Demand is log-scaled against the busiest concept of the queue so one very popular concept
    does not flatten the others.

    >>> priority_score(0.0, 0, 0.0, max_demand=0)
    0.0
    >>> priority_score(1.0, 10, 30.0, max_demand=10)
    1.0
    >>> priority_score(0.9, 0, 0, max_demand=5) > priority_score(0.2, 0, 0, max_demand=5)
    True
    """
    dup = min(max(duplicate_risk, 0.0), 1.0)
    dem = math.log1p(demand) / math.log1p(max_demand) if max_demand > 0 else 0.0
    age = min(max(age_days, 0.0) / AGE_SATURATION_DAYS, 1.0)
    score = (
        PRIORITY_WEIGHTS["duplicate"] * dup
        + PRIORITY_WEIGHTS["demand"] * dem
        + PRIORITY_WEIGHTS["age"] * age
    )
    return round(score, 6)


def merge_synonyms(
    target_labels: dict[str, str],
    target_synonyms: dict[str, list[str]],
    extra: dict[str, list[str]],
) -> dict[str, list[str]]:
    """Target synonyms plus ``extra`` per language, without duplicates or the target's label.

    Comparison ignores case and surrounding spaces; the first spelling wins.

    >>> merge_synonyms({"fr": "Tour"}, {"fr": ["tour CN"]}, {"fr": ["Tour", "Tour CN", "Tours"]})
    {'fr': ['tour CN', 'Tours']}
    >>> merge_synonyms({}, {}, {"en": ["Lathe"]})
    {'en': ['Lathe']}
    """
    result: dict[str, list[str]] = {lang: list(v) for lang, v in target_synonyms.items()}
    for lang, texts in extra.items():
        current = result.setdefault(lang, [])
        seen = {t.strip().casefold() for t in current}
        label = (target_labels.get(lang) or "").strip().casefold()
        for text in texts:
            key = text.strip().casefold()
            if key and key not in seen and key != label:
                current.append(text.strip())
                seen.add(key)
    return {lang: texts for lang, texts in result.items() if texts}


@dataclass(frozen=True)
class QueueItem:
    """One concept waiting for a curator, with the parts of its priority."""

    concept_id: int
    code: str | None
    taxonomy: str | None
    label: str
    labels: dict[str, str]
    path: str | None
    status: str
    is_stale: bool
    priority: float
    duplicate_risk: float
    duplicate_of: int | None  # the closest other concept, when known
    demand: int
    age_days: float
    reasons: tuple[str, ...] = ()  # draft, duplicate?, stale … (why it is in the queue)


@dataclass(frozen=True)
class ConceptView:
    """A concept's curated fields."""

    concept_id: int
    code: str | None
    taxonomy: str | None
    label: str
    labels: dict[str, str]
    synonyms: dict[str, list[str]]
    definitions: dict[str, str]
    status: str
    status_reason: str | None
    merged_into_id: int | None
    origin: str
    path: str | None
    is_stale: bool
    has_embedding: bool
    created_at: datetime | None
    stale_reason: str | None = None

    @classmethod
    def of(cls, concept: Concept, lang: str = "fr") -> ConceptView:
        """Build from an ORM row."""
        return cls(
            concept_id=concept.concept_id,
            code=concept.code,
            taxonomy=concept.taxonomy,
            label=pick_label(concept.labels, lang),
            labels=dict(concept.labels or {}),
            synonyms={k: list(v) for k, v in (concept.synonyms or {}).items()},
            definitions=dict(concept.definitions or {}),
            status=concept.status,
            status_reason=concept.status_reason,
            merged_into_id=concept.merged_into_id,
            origin=concept.origin,
            path=concept.path,
            is_stale=bool(concept.is_stale),
            has_embedding=concept.embedding is not None,
            created_at=concept.created_at,
            stale_reason=(concept.extra or {}).get("stale_reason") if concept.is_stale else None,
        )


@dataclass(frozen=True)
class LabelEvidence:
    """One label, synonym or definition with where it came from."""

    field: str  # label | synonym | definition
    lang: str
    text: str
    source: str  # imported | machine | human | unknown
    detail: str = ""  # model, author or date when known


@dataclass(frozen=True)
class NodeEvidence:
    """A glossary node a concept came from, with its breadcrumbs from the root."""

    node_id: int
    taxonomy: str
    code: str
    label: str
    version: int
    status: str
    breadcrumbs: list[tuple[str, str]]  # (code, label) from the root down to the node


@dataclass(frozen=True)
class Neighbour:
    """Another concept close to this one (duplicate risk)."""

    concept_id: int
    code: str | None
    label: str
    status: str
    cosine: float
    proposal_id: int | None = None  # an open merge proposal between the two, if any


@dataclass(frozen=True)
class CompanyEvidence:
    """A company this concept would activate, and why."""

    company_id: int
    name: str
    siren: str | None
    reason: str  # activation | contracts
    score: float  # activation score, or number of contracts won


@dataclass(frozen=True)
class EventView:
    """One curation event, as history shows it."""

    event_id: int
    concept_id: int | None
    actor: str
    action: str
    reason: str | None
    before: dict[str, Any]
    after: dict[str, Any]
    undoes_event_id: int | None
    created_at: datetime | None
    undone_by: int | None = None

    @classmethod
    def of(cls, event: CurationEvent, undone_by: int | None = None) -> EventView:
        """Build from an ORM row."""
        return cls(
            event_id=event.event_id,
            concept_id=event.concept_id,
            actor=event.actor,
            action=event.action,
            reason=event.reason,
            before=dict(event.before or {}),
            after=dict(event.after or {}),
            undoes_event_id=event.undoes_event_id,
            created_at=event.created_at,
            undone_by=undone_by,
        )

    def changed_fields(self) -> list[str]:
        """Names of the fields this event changed, for a one-line summary."""
        names: set[str] = set()
        before = self.before.get("concepts", {})
        after = self.after.get("concepts", {})
        for cid in set(before) | set(after):
            old, new = before.get(cid) or {}, after.get(cid) or {}
            names.update(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        return sorted(names)


@dataclass(frozen=True)
class Evidence:
    """Everything a curator needs to decide on one concept."""

    concept: ConceptView
    nodes: list[NodeEvidence]
    labels: list[LabelEvidence]
    neighbours: list[Neighbour]
    examples: list[str]
    demands: list[str]
    queries: list[str]
    demand_count: int
    companies: list[CompanyEvidence]
    history: list[EventView] = field(default_factory=list)
