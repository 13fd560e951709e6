"""The curation queue page drives core.curation: each action writes the expected rows."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Concept, CurationEvent
from tests.curation_seed import DRAFT_KEYS, QUEUE_KEYS


def _status(cid: int) -> tuple[str, int | None, str | None]:
    from core.db import session_scope

    with session_scope() as s:
        c = s.get(Concept, cid)
        return c.status, c.merged_into_id, c.status_reason


def _events(tenant_id: str) -> list[tuple[str, int | None, str]]:
    from core.db import session_scope

    with session_scope() as s:
        rows = s.scalars(
            select(CurationEvent)
            .where(CurationEvent.tenant_id == tenant_id)
            .order_by(CurationEvent.event_id)
        )
        return [(e.action, e.concept_id, e.actor) for e in rows]


def _problems(at) -> list[str]:
    return [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]


def _top(tenant_id: str) -> int:
    from core import curation
    from core.db import session_scope

    with session_scope() as s:
        return curation.queue(s, tenant_id)[0].concept_id


def test_queue_shows_the_top_item_with_its_evidence(fresh_wb) -> None:
    at = fresh_wb.app("curator", "curation_queue")
    seed = fresh_wb.seed
    assert not _problems(at)
    assert at.session_state["cq_current"] == _top(seed.tenant_id)
    assert len(at.dataframe[0].value) == len(QUEUE_KEYS)
    at.session_state["cq_current"] = seed.concepts["pompes_eau"]
    at.run()
    assert at.subheader[0].value.startswith("Pompes à eau")
    assert any("Doublon possible" in i.value for i in at.info)
    text = " ".join(m.value for m in at.markdown)
    assert "42000000 Machines industrielles" in text  # breadcrumbs of the source node
    assert "Fourniture de pompes à eau" in text  # a demand it would match
    frames = [df.value for df in at.dataframe]
    neighbours = next(f for f in frames if "cosine" in f.columns)
    assert seed.concepts["pompes_eau_bis"] in set(neighbours["#"])
    companies = next(f for f in frames if "why" in f.columns)
    assert list(companies["name"]) == ["TSO REALI"]


def test_accept_reject_merge_then_undo_from_the_page(fresh_wb) -> None:
    seed = fresh_wb.seed
    at = fresh_wb.app("curator", "curation_queue")
    order = list(at.dataframe[0].value["#"])
    first = seed.concepts["pompes_eau"]  # a draft
    at.session_state["cq_current"] = first
    at.run()
    assert _status(first)[0] == "draft"
    at.button(key="cq_accept").click().run()
    assert not _problems(at)
    assert _status(first)[0] == "validated"
    assert "accept" in at.success[0].value
    second = at.session_state["cq_current"]
    assert second == order[order.index(first) + 1]  # the next item of the list

    unchanged = _status(second)
    at.button(key="cq_reject").click().run()  # no reason: refused, nothing written
    assert "reason" in at.error[0].value
    assert _status(second) == unchanged
    at.text_input(key="cq_reason").input("doublon évident")
    at.button(key="cq_reject").click().run()
    assert _status(second) == ("rejected", None, "doublon évident")

    third = at.session_state["cq_current"]
    assert any(f"#{first} " in o for o in at.selectbox(key="cq_target").options)
    at.selectbox(key="cq_target").select(first)
    at.button(key="cq_merge").click().run()
    assert not _problems(at)
    assert _status(third)[:2] == ("merged", first)
    assert [a for a, _, _ in _events(seed.tenant_id)] == ["accept", "reject", "merge"]
    assert {actor for _, _, actor in _events(seed.tenant_id)} == {"curator_wb"}

    # Undo the merge from the concept's history (show merged concepts, open it).
    at.multiselect(key="cq_status").set_value(["draft", "merged"]).run()
    at.session_state["cq_current"] = third
    at.run()
    merge_event = max(e for e in _event_ids(seed.tenant_id))
    at.button(key=f"cq_undo_{merge_event}").click().run()
    assert not _problems(at)
    assert _status(third)[:2] == ("draft", None)
    assert [a for a, _, _ in _events(seed.tenant_id)][-1] == "undo"
    assert f"cq_undo_{merge_event}" not in [b.key for b in at.button]


def _event_ids(tenant_id: str) -> list[int]:
    from core.db import session_scope

    with session_scope() as s:
        return list(
            s.scalars(select(CurationEvent.event_id).where(CurationEvent.tenant_id == tenant_id))
        )


def test_edit_form_changes_texts(fresh_wb) -> None:
    at = fresh_wb.app("curator", "curation_queue")
    cid = at.session_state["cq_current"]
    at.text_input(key=f"cq_lab_fr_{cid}").input("Pompes à eau (toutes)")
    at.text_area(key=f"cq_syn_fr_{cid}").input("pompe à eau\nélectropompe")
    at.button(key=f"cq_save_{cid}").click().run()
    assert not _problems(at)
    from core.db import session_scope

    with session_scope() as s:
        concept = s.get(Concept, cid)
        assert concept.labels["fr"] == "Pompes à eau (toutes)"
        assert concept.synonyms["fr"] == ["pompe à eau", "électropompe"]
        assert concept.provenance["label:fr"]["by"] == "curator_wb"


def test_bulk_needs_confirmation_and_clears_the_queue(fresh_wb) -> None:
    seed = fresh_wb.seed
    at = fresh_wb.app("curator", "curation_queue")
    at.radio(key="cq_bulk_action").set_value("accept")
    at.button(key="cq_bulk_run").click().run()
    assert "confirmation" in at.warning[0].value
    assert all(_status(seed.concepts[k])[0] == "draft" for k in DRAFT_KEYS)
    at.checkbox(key="cq_bulk_confirm").check()
    at.button(key="cq_bulk_run").click().run()
    assert not _problems(at)
    assert all(_status(seed.concepts[k])[0] == "validated" for k in DRAFT_KEYS)
    assert any("File vide" in s.value for s in at.success)
    # pompes and rotatives share one merge proposal: accepting one settles the other
    assert len(_events(seed.tenant_id)) == len(QUEUE_KEYS) - 1


def test_a_curator_clears_the_queue_end_to_end(fresh_wb) -> None:
    """Merge the duplicate, reject one, then bulk-accept the rest: the queue is empty."""
    seed = fresh_wb.seed
    at = fresh_wb.app("curator", "curation_queue")
    at.session_state["cq_current"] = seed.concepts["pompes_eau_bis"]
    at.run()
    at.selectbox(key="cq_target").select(seed.concepts["pompes_eau"])
    at.button(key="cq_merge").click().run()
    at.session_state["cq_current"] = seed.concepts["reparation"]
    at.run()
    at.text_input(key="cq_reason").input("service, pas un produit")
    at.button(key="cq_reject").click().run()
    at.checkbox(key="cq_bulk_confirm").check()
    at.text_input(key="cq_bulk_reason").input("relu")
    at.button(key="cq_bulk_run").click().run()
    assert not _problems(at)
    assert any("File vide" in s.value for s in at.success)
    from core import curation
    from core.db import session_scope

    with session_scope() as s:
        assert curation.queue(s, seed.tenant_id) == []
        assert curation.status_counts(s, seed.tenant_id) == {
            "validated": len(QUEUE_KEYS) - 2, "merged": 1, "rejected": 1
        }  # fmt: skip


def test_propose_a_concept_from_an_unanswered_query(fresh_wb) -> None:
    seed = fresh_wb.seed
    at = fresh_wb.app("curator", "curation_queue")
    assert seed.no_result_query in at.selectbox(key="cq_prop_wording").options
    at.selectbox(key="cq_prop_wording").select(seed.no_result_query)
    at.button(key="cq_prop_go").click().run()
    assert not _problems(at)
    cid = at.session_state["cq_current"]
    assert _status(cid)[0] == "draft"
    assert _events(seed.tenant_id)[-1][0] == "propose"


def test_analyst_cannot_curate_even_through_services(fresh_wb) -> None:
    import pytest

    from core.users import Identity, PermissionDeniedError
    from workbench import services

    analyst = Identity("a", "analyst", (fresh_wb.seed.tenant_id,))
    with pytest.raises(PermissionDeniedError):
        services.accept(
            analyst, fresh_wb.seed.tenant_id, fresh_wb.seed.concepts["pompes_eau"], None
        )
    curator_elsewhere = Identity("c", "curator", ("tenant_other",))
    with pytest.raises(PermissionDeniedError):
        services.accept(
            curator_elsewhere, fresh_wb.seed.tenant_id, fresh_wb.seed.concepts["pompes_eau"], None
        )
    assert _status(fresh_wb.seed.concepts["pompes_eau"])[0] == "draft"
