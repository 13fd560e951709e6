"""POST /match and GET /match/{id} on the real app, database, model and FAISS index."""

from __future__ import annotations

import uuid

import pytest

from tests.api.api_helpers import (
    LIFTING,
    PUMPS,
    SeededTenant,
    auth,
    cpv_rows,
    fresh_tenant_id,
    seed_tenant,
)


def test_a_label_finds_its_concept_with_companies_and_explanations(
    client, tenant_a: SeededTenant
) -> None:
    label = tenant_a.labels[PUMPS]["fr"]
    response = client.post("/match", json={"query": label, "top_k": 5}, headers=auth(tenant_a))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert uuid.UUID(body["request_id"])
    assert body["query"] == label
    assert 1 <= len(body["shortlist"]) <= 5
    top = body["shortlist"][0]
    assert top["concept_id"] == tenant_a.concept_ids[PUMPS]
    assert top["code"] == PUMPS
    assert top["labels"]["fr"] == label
    assert top["sources"]
    scores = [item["score"] for item in body["shortlist"]]
    assert scores == sorted(scores, reverse=True)
    # the concept's activated companies, best activation first
    sirens = [c["siren"] for c in top["companies"]]
    assert sirens == tenant_a.activations[PUMPS]
    assert top["explanation"]["sentence_fr"]
    assert top["explanation"]["sentence_en"]
    assert body["explanation"]["fr"]
    assert body["cache"] in {"hit", "miss"}
    assert body["index_version"]
    assert isinstance(body["warnings"], list)


def test_v1_is_the_same_route_and_repeats_are_cache_hits(client, tenant_a: SeededTenant) -> None:
    query = {"query": f"{tenant_a.labels[LIFTING]['en']} {uuid.uuid4().hex[:6]}", "top_k": 3}
    first = client.post("/v1/match", json=query, headers=auth(tenant_a))
    second = client.post("/match", json=query, headers=auth(tenant_a))
    assert first.status_code == second.status_code == 200
    assert first.json()["cache"] == "miss"
    assert second.json()["cache"] == "hit"
    assert first.json()["request_id"] != second.json()["request_id"]
    ids = [[i["concept_id"] for i in r.json()["shortlist"]] for r in (first, second)]
    assert ids[0] == ids[1]
    assert tenant_a.concept_ids[LIFTING] in ids[0]


def test_explain_false_drops_explanations(client, tenant_a: SeededTenant) -> None:
    body = client.post(
        "/match", json={"query": "compresseurs", "explain": False}, headers=auth(tenant_a)
    ).json()
    assert body["shortlist"]
    assert all(item["explanation"] is None for item in body["shortlist"])
    assert body["explanation"] is None


def test_options_reach_the_matcher(client, tenant_a: SeededTenant) -> None:
    pumps_company = tenant_a.company_ids[tenant_a.activations[PUMPS][0]]
    body = client.post(
        "/match",
        json={
            "query": "pompes et matériel de levage",
            "top_k": 10,
            "company_id": pumps_company,
            "fusion": {"method": "rrf", "rrf_k": 30},
        },
        headers=auth(tenant_a),
    ).json()
    assert [item["concept_id"] for item in body["shortlist"]] == [tenant_a.concept_ids[PUMPS]]
    activated = client.post(
        "/match",
        json={"query": "pompes et matériel de levage", "only_activated": True},
        headers=auth(tenant_a),
    ).json()
    wanted = {tenant_a.concept_ids[PUMPS], tenant_a.concept_ids[LIFTING]}
    assert {item["concept_id"] for item in activated["shortlist"]} <= wanted


def test_a_logged_match_is_read_back(client, tenant_a: SeededTenant) -> None:
    posted = client.post(
        "/match", json={"query": "matériel de levage", "top_k": 4}, headers=auth(tenant_a)
    )
    request_id = posted.headers["X-Request-ID"]
    logged = client.get(f"/v1/match/{request_id}", headers=auth(tenant_a))
    assert logged.status_code == 200, logged.text
    body = logged.json()
    assert body["request_id"] == request_id
    assert body["query"] == "matériel de levage"
    assert body["source"] == "api"
    assert body["options"]["top_k"] == 4
    assert [c["concept_id"] for c in body["shortlist"]] == [
        item["concept_id"] for item in posted.json()["shortlist"]
    ]
    assert body["index_version"] == posted.json()["index_version"]

    unknown = client.get(f"/match/{uuid.uuid4()}", headers=auth(tenant_a))
    assert unknown.status_code == 404
    assert "no logged match" in unknown.json()["detail"]
    malformed = client.get("/match/not-a-uuid", headers=auth(tenant_a))
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["field"] == "request_id (path parameter)"


def test_an_unknown_company_is_a_clear_client_error(client, tenant_a: SeededTenant) -> None:
    response = client.post(
        "/match", json={"query": "pompes", "company_id": 2_000_000_000}, headers=auth(tenant_a)
    )
    assert response.status_code in {404, 422}
    assert "2000000000" in response.json()["detail"]


@pytest.fixture
def reindexed_tenant(engine: object) -> SeededTenant:
    return seed_tenant(fresh_tenant_id("reidx"), cpv_rows(max_level=2)[:5])


def test_a_rebuilt_index_is_picked_up_without_restart(client, reindexed_tenant) -> None:
    from core.db import session_scope
    from core.matching.index import build_index
    from core.matching.store import embed_concepts
    from core.models import Concept

    tenant = reindexed_tenant
    query = {"query": "Turbines à vapeur chaudes", "top_k": 5}
    before = client.post("/match", json=query, headers=auth(tenant)).json()
    with session_scope() as session:
        session.add(
            Concept(
                tenant_id=tenant.tenant_id,
                code="42111100",
                taxonomy="cpv",
                labels={"fr": "Turbines à vapeur chaudes", "en": "Hot steam turbines"},
                status="validated",
            )
        )
    with session_scope() as session:
        embed_concepts(session, tenant.tenant_id)
    with session_scope() as session:
        manifest = build_index(session, tenant.tenant_id)
    after = client.post("/match", json=query, headers=auth(tenant)).json()
    assert after["index_version"] != before["index_version"]
    assert after["index_version"] == manifest.version
    assert after["cache"] == "miss"  # the cache key carries the index version
    assert after["shortlist"][0]["code"] == "42111100"
