"""Put offers and demands onto concepts: by their source code first, else with the matcher.

Order of evidence for one item without concepts:

1. ``concept_code`` names a concept of the tenant (a CPV code on a public contract):
   confidence 1.0, ``classified_by = "source"``.
2. ``concept_code`` is a glossary code with no concept of its own (buyers often pick a code
   finer than the dictionary): the nearest ancestor on its glossary path that has a concept,
   confidence 0.9 (right branch, less specific), ``classified_by = "source"``.
3. The matcher on the item's text: the top concept and its score (0..1) as confidence,
   ``classified_by = "matcher"`` — when the score reaches the threshold. Below it, the item
   gets ``status = "to_classify"`` with its candidates in ``extra["candidates"]``: the list
   curators see (:func:`to_classify`) and settle with :func:`assign_concept`.

A curator's decision (``classified_by = "human"``) is never overwritten.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Literal, Protocol

import pandas as pd
from sqlalchemy import func, or_
from sqlalchemy.orm import Session
from tqdm import tqdm

from core.errors import NotFoundError, UserError
from core.market.regions import resolve_region
from core.matching.types import MatchOptions, MatchResult
from core.models import CompanyProfile, Concept, Demand, GlossaryNode, Offer
from core.tenancy import require_tenant, scoped

ItemKind = Literal["demand", "offer"]
DEFAULT_THRESHOLD = 0.5
ANCESTOR_CONFIDENCE = 0.9
TO_CLASSIFY = "to_classify"
TO_CLASSIFY_COLUMNS = [
    "kind",
    "item_id",
    "text",
    "concept_code",
    "confidence",
    "candidates",
    "region",
    "published_on",
]


class TextMatcher(Protocol):
    """What classification needs of the matcher (``core.matching.service.get_matcher()``)."""

    def match(
        self,
        session: Session,
        tenant_id: str,
        text: str,
        options: MatchOptions,
        *,
        source: str = ...,
        log: bool = ...,
    ) -> MatchResult:
        """Shortlist of concepts for a free text."""
        ...


@dataclass(frozen=True)
class ClassificationReport:
    """What one classification run did."""

    kind: str
    examined: int
    by_source: int
    by_matcher: int
    to_classify: int
    threshold: float

    def summary(self) -> str:
        """One line for the CLI.

        >>> ClassificationReport("demand", 5, 3, 1, 1, 0.5).summary()
        '5 demands examined: 3 by source code, 1 by the matcher, 1 to classify (below 0.50)'
        """
        return (
            f"{self.examined} {self.kind}s examined: {self.by_source} by source code, "
            f"{self.by_matcher} by the matcher, {self.to_classify} to classify "
            f"(below {self.threshold:.2f})"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready counts."""
        return asdict(self)


def _model(kind: str) -> type[Demand] | type[Offer]:
    if kind == "demand":
        return Demand
    if kind == "offer":
        return Offer
    raise UserError(f"unknown kind {kind!r}: use demand or offer")


def _primary(model: type[Demand] | type[Offer]) -> Any:
    """The primary-key column of ``Demand`` or ``Offer``."""
    return Demand.demand_id if model is Demand else Offer.offer_id


def _check_threshold(threshold: float) -> float:
    if not 0 <= threshold <= 1:
        raise UserError(f"threshold must be between 0 and 1 (matcher scores), got {threshold}")
    return threshold


def default_matcher() -> TextMatcher:
    """The project's matcher, imported only when text has to be matched."""
    try:
        from core.matching.service import get_matcher
    except ImportError as exc:  # pragma: no cover - depends on the matching package
        raise UserError(
            "the matcher is not available (core.matching.service); items without a known "
            "concept code cannot be classified from their text yet"
        ) from exc
    return get_matcher()  # type: ignore[no-any-return]


class CodeResolver:
    """Concept of a source code: the code's own concept, else its nearest ancestor's."""

    def __init__(self, session: Session, tenant_id: str) -> None:
        rows = session.execute(
            scoped(
                Concept, tenant_id, Concept.status.in_(["validated", "draft", "merged"])
            ).with_only_columns(
                Concept.concept_id, Concept.code, Concept.status, Concept.merged_into_id
            )
        ).all()
        merged = {cid: into for cid, _, status, into in rows if status == "merged" and into}
        self._by_code: dict[str, int] = {}
        for cid, code, _status, _ in rows:
            if not code:
                continue
            target, hops = cid, 0
            while target in merged and hops < 20:
                target, hops = merged[target], hops + 1
            self._by_code[code] = target
        stmt = scoped(GlossaryNode, tenant_id).with_only_columns(
            GlossaryNode.code, GlossaryNode.path
        )
        self._paths: dict[str, str] = dict(session.execute(stmt).tuples().all())

    def resolve(self, code: str | None) -> tuple[int, float, str] | None:
        """``(concept_id, confidence, via_code)`` or None when the code leads nowhere."""
        if not code:
            return None
        if code in self._by_code:
            return self._by_code[code], 1.0, code
        path = self._paths.get(code)
        for ancestor in reversed((path or "").split("/")[:-1]):
            if ancestor in self._by_code:
                return self._by_code[ancestor], ANCESTOR_CONFIDENCE, ancestor
        return None


def _apply(
    item: Demand | Offer,
    *,
    resolver: CodeResolver,
    matcher_factory: Any,
    session: Session,
    tenant_id: str,
    threshold: float,
) -> str:
    """Classify one item in place; return ``source``, ``matcher`` or ``to_classify``."""
    extra = dict(item.extra or {})
    found = resolver.resolve(item.concept_code)
    if found is not None:
        concept_id, confidence, via = found
        item.concept_ids = [concept_id]
        item.classification_confidence = confidence
        item.classified_by = "source"
        if via != item.concept_code:
            extra["classified_via"] = via
        extra.pop("candidates", None)
        item.extra = extra
        if item.status == TO_CLASSIFY:
            item.status = "open"
        return "source"
    result = matcher_factory().match(
        session,
        tenant_id,
        item.text,
        MatchOptions(top_k=3, use_cache=False, explain=False),
        source="market",
        log=False,
    )
    shortlist = list(result.shortlist)
    top_score = float(shortlist[0].score) if shortlist else 0.0
    item.classification_confidence = top_score
    if shortlist and top_score >= threshold:
        item.concept_ids = [shortlist[0].concept_id]
        item.classified_by = "matcher"
        extra.pop("candidates", None)
        item.extra = extra
        if item.status == TO_CLASSIFY:
            item.status = "open"
        return "matcher"
    item.concept_ids = []
    item.classified_by = None
    extra["candidates"] = [
        {"concept_id": c.concept_id, "code": c.code, "label": c.label, "score": float(c.score)}
        for c in shortlist
    ]
    item.extra = extra
    item.status = TO_CLASSIFY
    return TO_CLASSIFY


def _lazy_matcher(matcher: TextMatcher | None) -> Any:
    """A factory that builds the default matcher only when a text must be matched."""
    cache: dict[str, TextMatcher] = {}

    def factory() -> TextMatcher:
        if "m" not in cache:
            cache["m"] = matcher if matcher is not None else default_matcher()
        return cache["m"]

    return factory


def classify_items(
    session: Session,
    tenant_id: str,
    *,
    kind: ItemKind = "demand",
    threshold: float = DEFAULT_THRESHOLD,
    only_unclassified: bool = True,
    matcher: TextMatcher | None = None,
    progress: bool = False,
) -> ClassificationReport:
    """Classify a tenant's demands or offers onto concepts (see the module docstring).

    Args:
        session: open session; rows are changed in it, not committed.
        tenant_id: the tenant.
        kind: ``"demand"`` or ``"offer"``.
        threshold: lowest matcher score accepted (0..1); below → ``to_classify``.
        only_unclassified: skip items that already sit on concepts (default). With False,
            every item not classified by a human is classified again.
        matcher: the matcher to use (default: ``core.matching.service.get_matcher()``,
            loaded only if some item needs its text matched).
        progress: show a progress bar.

    Returns:
        The counts of the run.
    """
    tenant = require_tenant(session, tenant_id)
    model = _model(kind)
    threshold = _check_threshold(threshold)
    where: list[Any] = [or_(model.classified_by.is_(None), model.classified_by != "human")]
    if only_unclassified:
        where.append(
            or_(model.concept_ids.is_(None), func.jsonb_array_length(model.concept_ids) == 0)
        )
    primary = _primary(model)
    items = list(session.scalars(scoped(model, tenant, *where).order_by(primary)))
    resolver = CodeResolver(session, tenant)
    factory = _lazy_matcher(matcher)
    counts = {"source": 0, "matcher": 0, TO_CLASSIFY: 0}
    for item in tqdm(items, desc=f"classify {kind}s", disable=not progress, unit=kind):
        outcome = _apply(
            item,
            resolver=resolver,
            matcher_factory=factory,
            session=session,
            tenant_id=tenant,
            threshold=threshold,
        )
        counts[outcome] += 1
    session.flush()
    return ClassificationReport(
        kind=kind,
        examined=len(items),
        by_source=counts["source"],
        by_matcher=counts["matcher"],
        to_classify=counts[TO_CLASSIFY],
        threshold=threshold,
    )


def _clean_text(text: str) -> str:
    cleaned = " ".join((text or "").split())
    if not cleaned:
        raise UserError("the text is empty: describe the need or the offer in a few words")
    return cleaned


def create_demand_from_text(
    session: Session,
    tenant_id: str,
    text: str,
    *,
    region: str | None = None,
    departement: str | None = None,
    published_on: date | None = None,
    amount_eur: float | None = None,
    quantity: float | None = None,
    buyer_name: str | None = None,
    concept_code: str | None = None,
    external_ref: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    matcher: TextMatcher | None = None,
) -> Demand:
    """Create a demand from free text and classify it at once (``source = "text"``).

    Args:
        session: open session (flushed, not committed).
        tenant_id: the tenant.
        text: the need, e.g. "maintenance de compresseurs d'air à Rennes".
        region: INSEE région code or name.
        departement, published_on, amount_eur, quantity, buyer_name: as on Demand.
        concept_code: a code the author already knows (used first).
        external_ref: the caller's reference (unique per tenant) if any.
        threshold: lowest matcher score accepted; below, the demand is ``to_classify``.
        matcher: the matcher (default: the project's).

    Returns:
        The new Demand, classified (or ``to_classify``).
    """
    tenant = require_tenant(session, tenant_id)
    demand = Demand(
        tenant_id=tenant,
        text=_clean_text(text),
        region=resolve_region(region),
        departement=departement,
        published_on=published_on or date.today(),
        amount_eur=amount_eur,
        quantity=quantity,
        buyer_name=buyer_name,
        concept_code=concept_code,
        external_ref=external_ref,
        concept_ids=[],
        awarded_company_ids=[],
        status="open",
        source="text",
        extra={},
    )
    _classify_new(session, tenant, demand, threshold, matcher)
    return demand


def create_offer_from_text(
    session: Session,
    tenant_id: str,
    text: str,
    *,
    company_id: int | None = None,
    region: str | None = None,
    departement: str | None = None,
    published_on: date | None = None,
    amount_eur: float | None = None,
    quantity: float | None = None,
    concept_code: str | None = None,
    external_ref: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    matcher: TextMatcher | None = None,
) -> Offer:
    """Create an offer from free text and classify it at once (``source = "text"``).

    Args are those of :func:`create_demand_from_text`, plus ``company_id``: the company
    making the offer (must belong to the tenant); its région is used when none is given.
    """
    tenant = require_tenant(session, tenant_id)
    if company_id is not None:
        company = session.scalars(
            scoped(CompanyProfile, tenant, CompanyProfile.company_id == company_id)
        ).first()
        if company is None:
            raise NotFoundError(f"no company {company_id} in tenant {tenant}")
        region = region or company.region
    offer = Offer(
        tenant_id=tenant,
        text=_clean_text(text),
        company_id=company_id,
        region=resolve_region(region),
        departement=departement,
        published_on=published_on or date.today(),
        amount_eur=amount_eur,
        quantity=quantity,
        concept_code=concept_code,
        external_ref=external_ref,
        concept_ids=[],
        status="open",
        source="text",
        extra={},
    )
    _classify_new(session, tenant, offer, threshold, matcher)
    return offer


def _classify_new(
    session: Session,
    tenant_id: str,
    item: Demand | Offer,
    threshold: float,
    matcher: TextMatcher | None,
) -> None:
    _apply(
        item,
        resolver=CodeResolver(session, tenant_id),
        matcher_factory=_lazy_matcher(matcher),
        session=session,
        tenant_id=tenant_id,
        threshold=_check_threshold(threshold),
    )
    session.add(item)
    session.flush()


def _candidates_text(candidates: Iterable[dict[str, Any]] | None) -> str:
    """Readable candidates for the curators' list.

    >>> _candidates_text([{"code": "42", "label": "Machines", "score": 0.41}])
    '42 Machines (0.41)'
    >>> _candidates_text([])
    'aucun candidat / no candidate'
    """
    if not candidates:
        return "aucun candidat / no candidate"
    return "; ".join(
        f"{c.get('code') or '#' + str(c.get('concept_id'))} {c.get('label', '')} "
        f"({float(c.get('score', 0)):.2f})"
        for c in candidates or []
    )


def to_classify(session: Session, tenant_id: str, *, kind: ItemKind | None = None) -> pd.DataFrame:
    """Offers and demands waiting for a curator (matcher not confident enough).

    Returns:
        ``kind``, ``item_id``, ``text``, ``concept_code``, ``confidence`` (the best matcher
        score), ``candidates`` (readable), ``region``, ``published_on``; lowest confidence
        first.
    """
    tenant = require_tenant(session, tenant_id)
    rows: list[dict[str, Any]] = []
    for name in ("demand", "offer") if kind is None else (kind,):
        model = _model(name)
        primary = _primary(model)
        stmt = scoped(model, tenant, model.status == TO_CLASSIFY).with_only_columns(
            primary,
            model.text,
            model.concept_code,
            model.classification_confidence,
            model.extra,
            model.region,
            model.published_on,
        )
        for item_id, text, code, confidence, extra, region, published in session.execute(stmt):
            rows.append(
                {
                    "kind": name,
                    "item_id": item_id,
                    "text": text,
                    "concept_code": code,
                    "confidence": confidence,
                    "candidates": _candidates_text((extra or {}).get("candidates")),
                    "region": region,
                    "published_on": published,
                }
            )
    frame = pd.DataFrame(rows, columns=TO_CLASSIFY_COLUMNS)
    return frame.sort_values(["confidence", "item_id"], na_position="first").reset_index(drop=True)


def assign_concept(
    session: Session, tenant_id: str, *, kind: ItemKind, item_id: int, concept_id: int
) -> Demand | Offer:
    """A curator puts an item on a concept (``classified_by = "human"``, confidence 1.0)."""
    tenant = require_tenant(session, tenant_id)
    model = _model(kind)
    primary = _primary(model)
    item = session.scalars(scoped(model, tenant, primary == item_id)).first()
    if item is None:
        raise NotFoundError(f"no {kind} {item_id} in tenant {tenant}")
    concept = session.scalars(scoped(Concept, tenant, Concept.concept_id == concept_id)).first()
    if concept is None:
        raise NotFoundError(f"no concept {concept_id} in tenant {tenant}")
    extra = dict(item.extra or {})
    extra.pop("candidates", None)
    item.extra = extra
    item.concept_ids = [concept_id]
    item.classified_by = "human"
    item.classification_confidence = 1.0
    if item.status == TO_CLASSIFY:
        item.status = "open"
    session.flush()
    return item
