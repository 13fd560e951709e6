"""The workbench's only door into ``core``: thin wrappers with caching and permission checks.

Heavy shared objects (schema check, matcher with its model and indexes) live in
``st.cache_resource``; read queries in ``st.cache_data`` with a short ttl, cleared after
every write so a curator sees their own action at once. Every write checks the user's role
and tenant here, so a page cannot forget.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import streamlit as st

from core.query_log import LOW_SCORE
from core.users import Identity, require_permission, require_tenant_access

__all__ = ["LOW_SCORE", "Identity"]  # re-exported for pages, which never import core

QUERY_TTL_SECONDS = 30
"""How long a read query's result is reused (another user's writes show up after this)."""


# --- plumbing -----------------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def database() -> str:
    """Upgrade the schema once per process (idempotent, safe with concurrent processes)."""
    from core.db.migrate import upgrade_to_head

    return upgrade_to_head() or ""


@contextmanager
def _session() -> Iterator[Any]:
    from core.db import session_scope

    database()
    with session_scope() as session:
        yield session


def _changed(tenant_id: str | None = None) -> None:
    """Forget cached reads after a write; tell the matcher the tenant's concepts changed."""
    st.cache_data.clear()
    if tenant_id is None:
        return
    with contextlib.suppress(ImportError):  # an installation without the matcher
        matcher().invalidate(tenant_id)


def _curator(identity: Identity, tenant_id: str) -> None:
    require_permission(identity, "curate")
    require_tenant_access(identity, tenant_id)


def problem_kind(exc: BaseException) -> str:
    """``user`` (a message meant for the user), ``database``, ``missing`` (a module not
    installed or not written yet) or ``unexpected``: how a page should report ``exc``."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    from core.db.embedded import EmbeddedDatabaseError
    from core.errors import UserError

    if isinstance(exc, UserError):
        return "user"
    if isinstance(exc, OperationalError | EmbeddedDatabaseError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        return "database"
    if isinstance(exc, ImportError):
        return "missing"
    return "unexpected"


# --- users --------------------------------------------------------------------------------


def authenticate(username: str, password: str) -> Identity:
    """Check a login against the database (AuthenticationError when wrong)."""
    from core.users import authenticate as check

    with _session() as s:
        return check(s, username, password)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def tenant_names(tenant_ids: tuple[str, ...]) -> dict[str, str]:
    """Existing tenants among ``tenant_ids`` with their display names."""
    from sqlalchemy import select

    from core.models import Tenant

    with _session() as s:
        rows = s.execute(
            select(Tenant.tenant_id, Tenant.name).where(Tenant.tenant_id.in_(tenant_ids))
        )
        found = dict(rows.all())
    return {t: found[t] for t in tenant_ids if t in found}


# --- curation -----------------------------------------------------------------------------


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def queue(
    tenant_id: str,
    statuses: tuple[str, ...] = ("draft",),
    branch: str | None = None,
    search: str | None = None,
    stale_only: bool = False,
    lang: str = "fr",
    needs_review: bool = True,
) -> list[Any]:
    """The curation queue (``core.curation.queue``)."""
    from core import curation

    with _session() as s:
        return curation.queue(
            s, tenant_id, statuses=statuses, needs_review=needs_review, branch=branch,
            search=search, stale_only=stale_only, lang=lang,
        )  # fmt: skip


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def status_counts(tenant_id: str) -> dict[str, int]:
    """Concepts per status."""
    from core import curation

    with _session() as s:
        return curation.status_counts(s, tenant_id)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def evidence(tenant_id: str, concept_id: int, lang: str = "fr") -> Any:
    """Evidence for one concept (``core.curation.evidence``)."""
    from core import curation

    with _session() as s:
        return curation.evidence(s, tenant_id, concept_id, lang=lang)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def recent_events(tenant_id: str) -> list[Any]:
    """The tenant's latest curation events."""
    from core import curation

    with _session() as s:
        return curation.recent_events(s, tenant_id, limit=30)


def accept(identity: Identity, tenant_id: str, concept_id: int, reason: str | None) -> Any:
    """Validate a concept as ``identity``."""
    from core import curation

    _curator(identity, tenant_id)
    with _session() as s:
        event = curation.accept(s, tenant_id, concept_id, actor=identity.username, reason=reason)
    _changed(tenant_id)
    return event


def reject(identity: Identity, tenant_id: str, concept_id: int, reason: str) -> Any:
    """Reject a concept with a reason as ``identity``."""
    from core import curation

    _curator(identity, tenant_id)
    with _session() as s:
        event = curation.reject(s, tenant_id, concept_id, actor=identity.username, reason=reason)
    _changed(tenant_id)
    return event


def merge(
    identity: Identity, tenant_id: str, concept_id: int, into_id: int, reason: str | None
) -> Any:
    """Merge ``concept_id`` into ``into_id`` as ``identity``."""
    from core import curation

    _curator(identity, tenant_id)
    with _session() as s:
        event = curation.merge(
            s, tenant_id, concept_id, into_id, actor=identity.username, reason=reason
        )
    _changed(tenant_id)
    return event


def edit(
    identity: Identity,
    tenant_id: str,
    concept_id: int,
    *,
    labels: dict[str, str],
    synonyms: dict[str, list[str]],
    definitions: dict[str, str],
    reason: str | None = None,
) -> Any:
    """Change a concept's texts as ``identity``."""
    from core import curation

    _curator(identity, tenant_id)
    with _session() as s:
        event = curation.edit(
            s, tenant_id, concept_id, actor=identity.username, labels=labels,
            synonyms=synonyms, definitions=definitions, reason=reason,
        )  # fmt: skip
    _changed(tenant_id)
    return event


def bulk(
    identity: Identity,
    tenant_id: str,
    concept_ids: list[int],
    action: str,
    *,
    reason: str | None = None,
    into_id: int | None = None,
) -> list[Any]:
    """One action on many concepts, all or nothing."""
    from core import curation

    _curator(identity, tenant_id)
    with _session() as s:
        events = curation.bulk(
            s, tenant_id, concept_ids, action,  # type: ignore[arg-type]
            actor=identity.username, reason=reason, into_id=into_id,
        )  # fmt: skip
    _changed(tenant_id)
    return events


def undo(identity: Identity, tenant_id: str, event_id: int) -> Any:
    """Revert one curation event as ``identity``."""
    from core import curation

    _curator(identity, tenant_id)
    with _session() as s:
        event = curation.undo(s, tenant_id, event_id, actor=identity.username)
    _changed(tenant_id)
    return event


def propose(identity: Identity, tenant_id: str, label: str, lang: str, reason: str) -> Any:
    """Create a draft concept from a wording (a query nobody's concept answered)."""
    from core import curation

    _curator(identity, tenant_id)
    with _session() as s:
        event = curation.propose(
            s, tenant_id, label, actor=identity.username, lang=lang, reason=reason
        )
    _changed(tenant_id)
    return event


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def find_concepts(
    tenant_id: str,
    text: str = "",
    lang: str = "fr",
    statuses: tuple[str, ...] = ("draft", "validated"),
    exclude: tuple[int, ...] = (),
) -> list[Any]:
    """Concept pick list."""
    from core.lookups import find_concepts as find

    with _session() as s:
        return find(s, tenant_id, text, statuses=statuses, lang=lang, exclude=exclude)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def find_companies(tenant_id: str, text: str = "") -> list[Any]:
    """Company pick list."""
    from core.lookups import find_companies as find

    with _session() as s:
        return find(s, tenant_id, text)


# --- glossary -----------------------------------------------------------------------------


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def taxonomies(tenant_id: str) -> dict[str, int]:
    """Taxonomies of the tenant's glossary with node counts."""
    from core import glossary_browse

    with _session() as s:
        return glossary_browse.taxonomies(s, tenant_id)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def children(tenant_id: str, parent_id: int | None, taxonomy: str | None, lang: str) -> list[Any]:
    """Children of a node, or the roots."""
    from core import glossary_browse

    with _session() as s:
        return glossary_browse.children(s, tenant_id, parent_id, taxonomy=taxonomy, lang=lang)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def search_nodes(tenant_id: str, text: str, taxonomy: str | None, lang: str) -> list[Any]:
    """Glossary nodes by code prefix or label."""
    from core import glossary_browse

    with _session() as s:
        return glossary_browse.search_nodes(s, tenant_id, text, taxonomy=taxonomy, lang=lang)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def node_detail(tenant_id: str, node_id: int, lang: str) -> Any:
    """One node with breadcrumbs, children and derived concepts."""
    from core import glossary_browse

    with _session() as s:
        return glossary_browse.node_detail(s, tenant_id, node_id, lang=lang)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def branches(tenant_id: str, lang: str) -> list[Any]:
    """Top glossary levels, as branch filter choices."""
    from core import glossary_browse

    with _session() as s:
        return glossary_browse.branches(s, tenant_id, lang=lang)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def stale_concepts(tenant_id: str, lang: str) -> list[Any]:
    """Concepts whose glossary source changed."""
    from core import glossary_browse

    with _session() as s:
        return glossary_browse.stale_concepts(s, tenant_id, lang=lang)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def glossary_report(tenant_id: str) -> Any:
    """Quality report of the last glossary build (None if never built)."""
    from core import glossary_browse

    with _session() as s:
        return glossary_browse.last_glossary_report(s, tenant_id)


# --- matching -----------------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def matcher() -> Any:
    """The process-wide matcher (model, lexical tables, FAISS indexes, cache): loaded once."""
    from core.matching.service import get_matcher

    return get_matcher()


def match_options(
    *,
    top_k: int = 10,
    company_id: int | None = None,
    only_activated: bool = False,
    branch: str | None = None,
    include_drafts: bool = False,
    method: str = "weighted",
    lexical_weight: float = 0.6,
    rrf_k: int = 60,
    lang: str | None = None,
) -> Any:
    """A ``MatchOptions`` from the explorer's widgets (vector weight = 1 - lexical weight)."""
    from core.matching.types import FusionOptions, MatchOptions

    fusion = FusionOptions(
        method="rrf" if method == "rrf" else "weighted",
        lexical_weight=round(lexical_weight, 4),
        vector_weight=round(1.0 - lexical_weight, 4),
        rrf_k=int(rrf_k),
    )
    return MatchOptions(
        top_k=int(top_k),
        company_id=company_id,
        only_activated=only_activated,
        branch=branch or None,
        statuses=("validated", "draft") if include_drafts else ("validated",),
        fusion=fusion,
        lang=lang,
    )


def match(identity: Identity, tenant_id: str, query: str, options: Any) -> Any:
    """Run one match (logged with source ``workbench``)."""
    require_tenant_access(identity, tenant_id)
    engine = matcher()
    with _session() as s:
        return engine.match(s, tenant_id, query, options, source="workbench")


def why_not(identity: Identity, tenant_id: str, query: str, concept_id: int, options: Any) -> Any:
    """Where ``concept_id`` was lost for ``query``."""
    require_tenant_access(identity, tenant_id)
    engine = matcher()
    with _session() as s:
        return engine.why_not(s, tenant_id, query, concept_id, options)


# --- query log ----------------------------------------------------------------------------


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def recent_logs(
    tenant_id: str,
    since: date | None,
    until: date | None,
    no_result_only: bool,
    max_top_score: float | None,
    search: str | None,
    lang: str,
) -> list[Any]:
    """Logged matches with filters."""
    from core import query_log

    with _session() as s:
        return query_log.recent_logs(
            s, tenant_id, since=since, until=until, no_result_only=no_result_only,
            max_top_score=max_top_score, search=search, lang=lang,
        )  # fmt: skip


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def candidate_queries(tenant_id: str, low_score: float) -> list[Any]:
    """Unanswered or weakly answered wordings (candidate concepts)."""
    from core import query_log

    with _session() as s:
        return query_log.candidate_queries(s, tenant_id, low_score=low_score)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def log_detail(tenant_id: str, request_id: str, lang: str) -> Any:
    """One logged match with its stored explanation."""
    from core import query_log

    with _session() as s:
        return query_log.log_detail(s, tenant_id, uuid.UUID(request_id), lang=lang)


# --- builds -------------------------------------------------------------------------------


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def build_runs(tenant_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """The tenant's build runs, newest first, as plain dicts."""
    from core.builds import list_runs

    with _session() as s:
        runs = list_runs(s, tenant_id, limit=limit)
        return [
            {
                "run_id": r.run_id,
                "step": r.step,
                "status": r.status,
                "started_at": r.started_at,
                "finished_at": r.finished_at,
                "duration_s": r.duration_s,
                "counts": dict(r.counts or {}),
                "parameters": dict(r.parameters or {}),
                "report": dict(r.report or {}),
                "notebook_path": r.notebook_path,
                "error": r.error,
            }
            for r in runs
        ]


def build_steps() -> dict[str, list[Any]]:
    """Step name → its notebook parameters (name, default, kind, help)."""
    from core.builds.params import STEP_PARAMETERS, STEPS

    return {step: list(STEP_PARAMETERS.get(step, ())) for step in STEPS}


def launch_build(
    identity: Identity, tenant_id: str, step: str, parameters: dict[str, Any]
) -> dict[str, Any]:
    """Run a build now (admin only); returns the last run as a dict."""
    from core.builds import run_build

    require_permission(identity, "launch_build")
    require_tenant_access(identity, tenant_id)
    run = run_build(step, tenant_id, parameters)
    _changed(tenant_id)
    return {
        "run_id": run.run_id,
        "step": run.step,
        "status": run.status,
        "error": run.error,
        "duration_s": run.duration_s,
    }


def notebook_summary(path: str) -> list[Any]:
    """Outputs of an executed notebook's build and summary cells."""
    from core.notebook_summary import notebook_summary as read

    return read(path)


# --- market tension (issue 9: core.market) --------------------------------------------------


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def market_choices(tenant_id: str) -> Any:
    """Régions, top branches and date range present in the tenant's market (filter widgets)."""
    from core.market.facts import filter_choices, load_facts

    with _session() as s:
        return filter_choices(load_facts(s, tenant_id))


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def market_view(
    tenant_id: str,
    period_from: date | None = None,
    period_to: date | None = None,
    region: str | None = None,
    branch: str | None = None,
    freq: str = "Q",
) -> Any:
    """The tension view (index by concept, région and branch, scarcest concepts, series)."""
    from core.market.facts import MarketFilters
    from core.market.tension import market_tension

    filters = MarketFilters(period_from, period_to, region, branch)
    with _session() as s:
        return market_tension(s, tenant_id, filters, freq=freq, include_search=True)


def market_figures(view: Any, lang: str, concept_id: int | None = None) -> dict[str, Any]:
    """The dashboard's plotly figures (``core.market.charts``) for one view."""
    from core.market import charts
    from core.market.indicators import demand_supply_ratio

    series = view.series
    if concept_id is not None:
        series = series[series["concept_id"] == concept_id]
    else:
        series = demand_supply_ratio(view.facts, by="period")
    return {
        "quadrant": charts.tension_quadrant(view.index, lang=lang),
        "treemap": charts.tension_treemap(view.by_branch, view.facts.concepts, lang=lang),
        "decomposition": charts.decomposition_bar(view.index, lang=lang),
        "regions": charts.region_bar(view.by_region, lang=lang),
        "series": charts.demand_supply_timeseries(series, lang=lang),
    }


def market_summary(view: Any, lang: str, top: int = 5) -> dict[str, Any]:
    """Headline numbers, one driver sentence per most tense concept, and notes."""
    from core.market.tension import describe_driver, headline, ranked

    return {
        "numbers": headline(view),
        "sentences": [
            describe_driver(row.to_dict(), lang)
            for _, row in ranked(view.index).head(top).iterrows()
        ],
        "notes": list(view.facts.notes),
    }


def market_ranked(index: Any) -> Any:
    """Units with enough data first, most tense first (what tables show)."""
    from core.market.tension import ranked

    return ranked(index)


def market_region_name(code: str, lang: str) -> str:
    """Readable name of an INSEE région code ("Région inconnue" for unknown places)."""
    from core.market.regions import region_name

    return region_name(code, lang)
