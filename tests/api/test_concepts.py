"""GET /concepts and /concepts/{id}: lookups within the caller's tenant."""

from __future__ import annotations

from tests.api.api_helpers import PUMPS, SeededTenant, auth


def test_a_concept_is_read_with_labels_and_activations(client, tenant_a: SeededTenant) -> None:
    concept_id = tenant_a.concept_ids[PUMPS]
    response = client.get(f"/v1/concepts/{concept_id}", headers=auth(tenant_a))
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == PUMPS
    assert body["labels"] == tenant_a.labels[PUMPS]
    assert body["status"] == "validated"
    assert body["activated_companies"] == len(tenant_a.activations[PUMPS])
    assert body["path"].endswith(PUMPS)


def test_unknown_and_out_of_range_ids(client, tenant_a: SeededTenant) -> None:
    missing = client.get("/concepts/2147483000", headers=auth(tenant_a))
    assert missing.status_code == 404
    assert "GET /concepts?q=" in missing.json()["detail"]
    too_big = client.get("/concepts/99999999999", headers=auth(tenant_a))
    assert too_big.status_code == 422
    assert too_big.json()["errors"][0]["field"] == "concept_id (path parameter)"


def test_search_by_text_and_code_with_paging(client, tenant_a: SeededTenant) -> None:
    by_text = client.get("/concepts", params={"q": "POMPES"}, headers=auth(tenant_a)).json()
    assert PUMPS in [item["code"] for item in by_text["items"]]
    assert all("pompe" in str(item["labels"]).lower() for item in by_text["items"])
    by_code = client.get("/concepts", params={"q": "424"}, headers=auth(tenant_a)).json()
    assert by_code["items"]
    assert all(item["code"].startswith("424") for item in by_code["items"])
    page = client.get("/concepts", params={"limit": 2, "offset": 1}, headers=auth(tenant_a))
    assert page.json()["count"] == 2
    assert page.json()["limit"] == 2
    none = client.get("/concepts", params={"status": "draft"}, headers=auth(tenant_a)).json()
    assert none["items"] == []
    bad = client.get("/concepts", params={"limit": 0, "status": "live"}, headers=auth(tenant_a))
    assert bad.status_code == 422
    assert {p["field"] for p in bad.json()["errors"]} == {
        "limit (query parameter)",
        "status (query parameter)",
    }


def test_a_repeated_query_parameter_is_refused(client, tenant_a: SeededTenant) -> None:
    response = client.get("/concepts?q=pompes&q=fours", headers=auth(tenant_a))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "q (query parameter)"
    assert "given 2 times" in response.json()["detail"]
