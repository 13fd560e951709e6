"""Curation in core: queue priority, evidence, audited actions, bulk, undo, isolation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import curation
from core.errors import NotFoundError, UserError, ValidationProblems
from core.models import Concept, CurationEvent, MergeProposal
from tests.curation_seed import DRAFT_KEYS, QUEUE_KEYS, Seed, seed_tenant


@pytest.fixture
def seed(session, tenant_id, embedder) -> Seed:
    return seed_tenant(session, tenant_id, embedder)


def _concept(session, cid: int) -> Concept:
    session.expire_all()
    return session.get(Concept, cid)


def _events(session, tenant_id: str) -> list[CurationEvent]:
    stmt = select(CurationEvent).where(CurationEvent.tenant_id == tenant_id)
    return list(session.scalars(stmt.order_by(CurationEvent.event_id)))


def test_queue_lists_drafts_and_review_items_by_priority(session, seed: Seed) -> None:
    items = curation.queue(session, seed.tenant_id)
    ids = [i.concept_id for i in items]
    assert sorted(ids) == sorted(seed.concepts[k] for k in QUEUE_KEYS)
    assert [i.priority for i in items] == sorted((i.priority for i in items), reverse=True)
    by_key = {k: next(i for i in items if i.concept_id == seed.concepts[k]) for k in QUEUE_KEYS}
    water = by_key["pompes_eau"]
    assert water.demand == 3  # three demands carry its code
    assert water.duplicate_risk > 0.7
    assert water.duplicate_of == seed.concepts["pompes_eau_bis"]
    assert water.reasons == ("draft", "duplicate?")
    assert by_key["pompes"].reasons == ("duplicate?",)  # validated, but a likely duplicate
    assert by_key["pompes"].demand == 2  # two logged queries returned it
    assert by_key["compresseurs"].reasons == ("draft",)
    # demand and duplicate risk outrank age: a 10-day draft asked for thrice comes before a
    # 60-day draft nobody asked for
    assert ids.index(water.concept_id) < ids.index(seed.concepts["compresseurs"])
    assert by_key["compresseurs"].age_days > by_key["reparation"].age_days
    drafts_only = curation.queue(session, seed.tenant_id, needs_review=False)
    assert sorted(i.concept_id for i in drafts_only) == sorted(
        seed.concepts[k] for k in DRAFT_KEYS
    )


def test_queue_filters_branch_search_and_status(session, seed: Seed) -> None:
    repair = curation.queue(session, seed.tenant_id, branch="50000000")
    assert [i.concept_id for i in repair] == [seed.concepts["reparation"]]
    under = curation.queue(session, seed.tenant_id, branch="42000000/42100000")
    assert seed.concepts["reparation"] not in {i.concept_id for i in under}
    assert len(under) == len(QUEUE_KEYS) - 1
    found = curation.queue(session, seed.tenant_id, search="CENTRIFUG")
    assert [i.concept_id for i in found] == [seed.concepts["centrifuges"]]
    validated = curation.queue(session, seed.tenant_id, statuses=["validated"], lang="en")
    assert {(i.concept_id, i.label) for i in validated} == {
        (seed.concepts["pompes"], "Pumps"), (seed.concepts["rotatives"], "Rotary pumps")
    }  # fmt: skip
    assert curation.status_counts(session, seed.tenant_id) == {"draft": 5, "validated": 2}


def test_accepting_a_review_item_dismisses_its_proposal_and_undo_reopens_it(
    session, seed: Seed
) -> None:
    tid = seed.tenant_id
    event = curation.accept(session, tid, seed.concepts["rotatives"], actor="marie")
    assert event.before["proposals"] == {str(seed.review_proposal_id): "open"}
    assert event.after["proposals"] == {str(seed.review_proposal_id): "dismissed"}
    left = {i.concept_id for i in curation.queue(session, tid)}
    assert seed.concepts["rotatives"] not in left
    assert seed.concepts["pompes"] not in left  # its only proposal was settled
    with pytest.raises(UserError, match="already validated"):
        curation.accept(session, tid, seed.concepts["pompes"], actor="marie")
    curation.undo(session, tid, event.event_id, actor="marie")
    session.expire_all()
    assert session.get(MergeProposal, seed.review_proposal_id).status == "open"
    assert seed.concepts["pompes"] in {i.concept_id for i in curation.queue(session, tid)}


def test_accepting_a_stale_concept_confirms_it_against_current_nodes(session, seed: Seed) -> None:
    from core.models import GlossaryNode

    tid = seed.tenant_id
    cid = seed.concepts["pompes"]
    node = session.get(GlossaryNode, seed.nodes["42122000"])
    node.version = 3
    session.flush()
    concept = _concept(session, cid)
    concept.is_stale = True
    concept.extra = {"stale_reason": "source node 42122000 changed (version 1 → 3)"}
    session.flush()
    assert curation.evidence(session, tid, cid).concept.stale_reason.endswith("→ 3)")
    assert "stale" in next(i for i in curation.queue(session, tid) if i.concept_id == cid).reasons
    event = curation.accept(session, tid, cid, actor="marie", reason="toujours juste")
    concept = _concept(session, cid)
    assert concept.is_stale is False
    assert concept.source_versions[str(seed.nodes["42122000"])] == 3
    curation.undo(session, tid, event.event_id, actor="marie")
    concept = _concept(session, cid)
    assert concept.is_stale is True
    assert concept.source_versions[str(seed.nodes["42122000"])] == 1


def test_evidence_shows_sources_labels_neighbours_demands_companies(session, seed: Seed) -> None:
    ev = curation.evidence(session, seed.tenant_id, seed.concepts["pompes_eau"])
    assert ev.concept.label == "Pompes à eau"
    assert [c for c, _ in ev.nodes[0].breadcrumbs] == [
        "42000000", "42100000", "42120000", "42122000", "42122130"
    ]  # fmt: skip
    assert ev.nodes[0].breadcrumbs[2][1] == "Pompes et compresseurs"
    sources = {(lab.field, lab.lang): lab.source for lab in ev.labels}
    assert sources[("label", "fr")] == "imported"
    assert sources[("label", "en")] == "machine"
    near = {n.concept_id: n for n in ev.neighbours}
    bis = near[seed.concepts["pompes_eau_bis"]]
    assert bis.proposal_id == seed.proposal_id
    assert 0.7 < bis.cosine <= 1.0
    assert [n.cosine for n in ev.neighbours] == sorted(
        (n.cosine for n in ev.neighbours), reverse=True
    )
    assert ev.demand_count == 3
    assert len(ev.demands) == 3
    assert ev.demands[0].startswith("Achat de pompes")  # newest first
    assert [(c.name, c.reason, c.score) for c in ev.companies] == [("TSO REALI", "contracts", 3.0)]

    validated = curation.evidence(session, seed.tenant_id, seed.concepts["pompes"])
    assert [(c.name, c.reason) for c in validated.companies] == [("EKIALIS", "activation")]
    assert set(validated.queries) == {"pompe a eau", "vanne papillon inox"}
    comp = curation.evidence(session, seed.tenant_id, seed.concepts["compresseurs"])
    assert comp.examples == ["Maintenance des compresseurs d'air"]


def test_accept_then_undo_restores_draft_and_audits_both(session, seed: Seed) -> None:
    cid = seed.concepts["centrifuges"]
    event = curation.accept(session, seed.tenant_id, cid, actor="marie", reason="CPV officiel")
    assert _concept(session, cid).status == "validated"
    assert event.before["concepts"][str(cid)]["status"] == "draft"
    assert event.after["concepts"][str(cid)]["status"] == "validated"
    with pytest.raises(UserError, match="already validated"):
        curation.accept(session, seed.tenant_id, cid, actor="marie")

    undo = curation.undo(session, seed.tenant_id, event.event_id, actor="paul")
    assert _concept(session, cid).status == "draft"
    assert undo.action == "undo"
    assert undo.undoes_event_id == event.event_id
    rows = _events(session, seed.tenant_id)
    assert [(e.action, e.actor) for e in rows] == [("accept", "marie"), ("undo", "paul")]
    with pytest.raises(UserError, match="already undone"):
        curation.undo(session, seed.tenant_id, event.event_id, actor="paul")
    hist = curation.history(session, seed.tenant_id, cid)
    assert [h.action for h in hist] == ["undo", "accept"]
    assert hist[1].undone_by == undo.event_id


def test_reject_needs_a_reason(session, seed: Seed) -> None:
    cid = seed.concepts["compresseurs"]
    with pytest.raises(UserError, match="reason"):
        curation.reject(session, seed.tenant_id, cid, actor="marie", reason="  ")
    curation.reject(session, seed.tenant_id, cid, actor="marie", reason="trop générique")
    concept = _concept(session, cid)
    assert (concept.status, concept.status_reason) == ("rejected", "trop générique")


def test_merge_moves_labels_to_synonyms_and_undo_restores_both(session, seed: Seed) -> None:
    src, dst = seed.concepts["pompes_eau_bis"], seed.concepts["pompes_eau"]
    event = curation.merge(session, seed.tenant_id, src, dst, actor="marie", reason="doublon")
    source, target = _concept(session, src), _concept(session, dst)
    assert (source.status, source.merged_into_id) == ("merged", dst)
    assert "Pompes pour l'eau" in target.synonyms["fr"]
    assert "Pumps for water" in target.synonyms["en"]
    assert target.provenance["synonym:fr"]["source"] == "human"
    proposal = session.get(MergeProposal, seed.proposal_id)
    assert proposal.status == "accepted"
    target_history = curation.history(session, seed.tenant_id, dst)
    assert [h.event_id for h in target_history] == [event.event_id]
    assert "synonyms" in target_history[0].changed_fields()
    with pytest.raises(UserError, match="into itself"):
        curation.merge(session, seed.tenant_id, dst, dst, actor="marie")
    with pytest.raises(UserError, match="merged into"):
        curation.accept(session, seed.tenant_id, src, actor="marie")

    curation.undo(session, seed.tenant_id, event.event_id, actor="marie")
    source, target = _concept(session, src), _concept(session, dst)
    assert (source.status, source.merged_into_id) == ("draft", None)
    assert target.synonyms == {}
    session.expire_all()
    assert session.get(MergeProposal, seed.proposal_id).status == "open"


def test_edit_marks_human_provenance_and_undo_is_ordered(session, seed: Seed) -> None:
    cid = seed.concepts["reparation"]
    accepted = curation.accept(session, seed.tenant_id, cid, actor="marie")
    edited = curation.edit(
        session,
        seed.tenant_id,
        cid,
        actor="marie",
        labels={"fr": "Maintenance de pompes"},
        synonyms={"fr": ["dépannage de pompes", " ", "dépannage de pompes"]},
        definitions={"fr": "Réparation et entretien préventif de pompes."},
    )
    concept = _concept(session, cid)
    assert concept.labels == {
        "fr": "Maintenance de pompes",
        "en": "Repair and maintenance of pumps",
    }
    assert concept.synonyms == {"fr": ["dépannage de pompes"]}
    assert concept.provenance["label:fr"]["by"] == "marie"
    assert concept.provenance["label:en"]["source"] == "machine"  # untouched language
    assert set(edited.changed_fields()) == {"labels", "synonyms", "definitions", "provenance"}
    with pytest.raises(UserError, match="nothing to change"):
        curation.edit(
            session, seed.tenant_id, cid, actor="marie", labels={"fr": "Maintenance de pompes"}
        )
    with pytest.raises(UserError, match="at least one label"):
        curation.edit(session, seed.tenant_id, cid, actor="marie", labels={"fr": "", "en": ""})

    with pytest.raises(UserError, match="changed after event"):
        curation.undo(session, seed.tenant_id, accepted.event_id, actor="marie")
    curation.undo(session, seed.tenant_id, edited.event_id, actor="marie")
    curation.undo(session, seed.tenant_id, accepted.event_id, actor="marie")
    concept = _concept(session, cid)
    assert concept.status == "draft"
    assert concept.labels["fr"] == "Réparation et entretien de pompes"
    assert concept.definitions == {}


def test_bulk_is_all_or_nothing(session, seed: Seed) -> None:
    tid = seed.tenant_id
    curation.merge(session, tid, seed.concepts["pompes_eau_bis"], seed.concepts["pompes_eau"],
                   actor="marie")  # fmt: skip
    ids = [
        seed.concepts["centrifuges"],
        seed.concepts["pompes_eau_bis"],
        seed.concepts["compresseurs"],
    ]
    with pytest.raises(ValidationProblems, match="merged into"):
        curation.bulk(session, tid, ids, "accept", actor="marie")
    assert _concept(session, seed.concepts["centrifuges"]).status == "draft"
    assert [e.action for e in _events(session, tid)] == ["merge"]
    with pytest.raises(ValidationProblems, match="reason"):
        curation.bulk(session, tid, ids[::2], "reject", actor="marie")
    with pytest.raises(UserError, match="empty"):
        curation.bulk(session, tid, [], "accept", actor="marie")
    with pytest.raises(ValidationProblems, match="choose the concept"):
        curation.bulk(session, tid, ids[::2], "merge", actor="marie")
    events = curation.bulk(
        session, tid, ids[::2], "reject", actor="marie", reason="hors périmètre"
    )
    assert [e.action for e in events] == ["reject", "reject"]
    assert {_concept(session, i).status for i in ids[::2]} == {"rejected"}


def test_a_curator_clears_the_whole_queue(session, seed: Seed) -> None:
    tid = seed.tenant_id
    curation.merge(session, tid, seed.concepts["pompes_eau_bis"], seed.concepts["pompes_eau"],
                   actor="marie", reason="doublon")  # fmt: skip
    curation.reject(session, tid, seed.concepts["reparation"], actor="marie",
                    reason="service, pas un produit")  # fmt: skip
    rest = [i.concept_id for i in curation.queue(session, tid)]
    assert len(rest) == len(QUEUE_KEYS) - 2
    events = curation.bulk(session, tid, rest, "accept", actor="marie", reason="relu")
    # pompes and rotatives share one proposal: accepting the first settles the second
    assert len(events) == len(rest) - 1
    assert curation.queue(session, tid) == []
    counts = curation.status_counts(session, tid)
    assert counts == {"validated": len(rest), "merged": 1, "rejected": 1}
    assert len(_events(session, tid)) == 2 + len(events)


def test_propose_from_a_query_and_undo_deletes_it(session, seed: Seed) -> None:
    event = curation.propose(
        session,
        seed.tenant_id,
        seed.no_result_query,
        actor="marie",
        reason="requête sans résultat",
    )
    cid = event.concept_id
    concept = _concept(session, cid)
    assert (concept.status, concept.origin, concept.labels) == (
        "draft",
        "human",
        {"fr": seed.no_result_query},
    )
    assert cid in {i.concept_id for i in curation.queue(session, seed.tenant_id)}
    undo = curation.undo(session, seed.tenant_id, event.event_id, actor="marie")
    assert _concept(session, cid) is None
    assert undo.concept_id is None
    with pytest.raises(UserError, match="label"):
        curation.propose(session, seed.tenant_id, "  ", actor="marie")


def test_other_tenants_rows_are_invisible(session, seed: Seed, engine) -> None:
    from core.db import session_scope
    from core.tenancy import ensure_tenant

    other = f"{seed.tenant_id}_other"
    with session_scope() as s:
        ensure_tenant(s, other)
    event = curation.accept(session, seed.tenant_id, seed.concepts["centrifuges"], actor="marie")
    with pytest.raises(NotFoundError):
        curation.evidence(session, other, seed.concepts["pompes_eau"])
    with pytest.raises(NotFoundError):
        curation.accept(session, other, seed.concepts["pompes_eau"], actor="marie")
    with pytest.raises(NotFoundError):
        curation.undo(session, other, event.event_id, actor="marie")
    assert curation.queue(session, other) == []
    assert curation.history(session, other, seed.concepts["centrifuges"]) == []
