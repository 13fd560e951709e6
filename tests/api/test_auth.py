"""API keys at the door: 401s that say how to get a key, bearer tokens, revocation, tenants."""

from __future__ import annotations

import pytest

from tests.api.api_helpers import PUMPS, SeededTenant, auth

PROTECTED = [
    ("POST", "/match", {"query": "pompes"}),
    ("POST", "/v1/match", {"query": "pompes"}),
    ("GET", "/concepts", None),
    ("GET", "/v1/concepts/1", None),
    ("GET", "/match/6f9619ff-8b86-d011-b42d-00c04fc964ff", None),
]


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
def test_a_missing_key_gets_401_saying_how_to_get_one(client, method, path, body) -> None:
    response = client.request(method, path, json=body)
    assert response.status_code == 401
    detail = response.json()["detail"]
    assert "missing API key" in detail
    assert "X-API-Key" in detail
    assert "marketlounge apikey create" in detail
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["request_id"] == response.headers["X-Request-ID"]


@pytest.mark.parametrize(
    "key", ["nope", "mlk_00000000_" + "x" * 43, "Bearer", "mlk_zz_" + "y" * 43]
)
def test_an_unknown_or_malformed_key_gets_401(client, key) -> None:
    response = client.get("/concepts", headers={"X-API-Key": key})
    assert response.status_code == 401
    assert "unknown or revoked API key" in response.json()["detail"]


def test_a_bearer_token_works_like_the_header(client, tenant_a: SeededTenant) -> None:
    response = client.get("/concepts", headers={"Authorization": f"Bearer {tenant_a.key}"})
    assert response.status_code == 200
    assert response.json()["count"] > 0
    wrong = client.get("/concepts", headers={"Authorization": "Bearer mlk_nothing"})
    assert wrong.status_code == 401


def test_a_revoked_key_stops_working(client, tenant_a: SeededTenant) -> None:
    from core.apikeys import create_api_key, revoke_api_key
    from core.db import session_scope

    with session_scope() as session:
        created = create_api_key(session, tenant_a.tenant_id, "to-revoke")
    headers = {"X-API-Key": created.key}
    assert client.get("/concepts", headers=headers).status_code == 200
    with session_scope() as session:
        revoke_api_key(session, tenant_a.tenant_id, created.info.key_prefix)
    client.app.state.api.verifier.forget()  # other workers forget within AUTH_CACHE_SECONDS
    response = client.get("/concepts", headers=headers)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_a_key_only_reaches_its_own_tenant(
    client, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    a_ids, b_ids = set(tenant_a.concept_ids.values()), set(tenant_b.concept_ids.values())
    label = tenant_a.labels[PUMPS]["fr"]

    match_b = client.post("/match", json={"query": label}, headers=auth(tenant_b))
    assert match_b.status_code == 200
    found_b = {item["concept_id"] for item in match_b.json()["shortlist"]}
    assert found_b
    assert found_b <= b_ids
    assert tenant_b.concept_ids[PUMPS] in found_b
    companies_b = {c["company_id"] for i in match_b.json()["shortlist"] for c in i["companies"]}
    assert companies_b <= set(tenant_b.company_ids.values())

    match_a = client.post("/match", json={"query": label}, headers=auth(tenant_a))
    assert {item["concept_id"] for item in match_a.json()["shortlist"]} <= a_ids

    # another tenant's concept and logged request look exactly like missing ones
    a_concept = tenant_a.concept_ids[PUMPS]
    assert client.get(f"/concepts/{a_concept}", headers=auth(tenant_b)).status_code == 404
    assert client.get(f"/concepts/{a_concept}", headers=auth(tenant_a)).status_code == 200
    a_request = match_a.json()["request_id"]
    assert client.get(f"/match/{a_request}", headers=auth(tenant_b)).status_code == 404
    assert client.get(f"/match/{a_request}", headers=auth(tenant_a)).status_code == 200
    listed_b = client.get("/concepts", params={"q": "pompes"}, headers=auth(tenant_b)).json()
    assert {item["concept_id"] for item in listed_b["items"]} <= b_ids
