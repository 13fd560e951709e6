"""Concept lookups: by id and by text, within one tenant only."""

from __future__ import annotations

import pytest

from core.concepts_query import get_concept, search_concepts
from core.errors import NotFoundError, UserError
from core.models import CompanyConceptActivation, CompanyProfile, Concept
from core.tenancy import ensure_tenant


@pytest.fixture
def concepts(session, tenant_id) -> dict[str, Concept]:
    rows = {
        "42122000": Concept(
            tenant_id=tenant_id,
            code="42122000",
            taxonomy="cpv",
            labels={"fr": "Pompes", "en": "Pumps"},
            synonyms={"fr": ["pompe à eau"]},
            status="validated",
        ),
        "42123000": Concept(
            tenant_id=tenant_id,
            code="42123000",
            taxonomy="cpv",
            labels={"fr": "Compresseurs", "en": "Compressors"},
            status="validated",
        ),
        "42124000": Concept(
            tenant_id=tenant_id,
            code="42124000",
            taxonomy="cpv",
            labels={"fr": "Pièces de pompes 100%_x", "en": "Parts of pumps"},
            status="draft",
        ),
    }
    session.add_all(rows.values())
    session.flush()
    company = CompanyProfile(tenant_id=tenant_id, name="POMPES SA", siren="732829320")
    session.add(company)
    session.flush()
    session.add(
        CompanyConceptActivation(
            tenant_id=tenant_id,
            company_id=company.company_id,
            concept_id=rows["42122000"].concept_id,
            score=0.9,
        )
    )
    session.flush()
    return rows


def test_get_concept_returns_labels_and_activation_count(session, tenant_id, concepts) -> None:
    view = get_concept(session, tenant_id, concepts["42122000"].concept_id)
    assert view.labels == {"fr": "Pompes", "en": "Pumps"}
    assert view.synonyms == {"fr": ["pompe à eau"]}
    assert view.activated_companies == 1
    assert (
        get_concept(session, tenant_id, concepts["42123000"].concept_id).activated_companies == 0
    )


def test_another_tenants_concept_is_not_found(session, tenant_id, concepts) -> None:
    other = ensure_tenant(session, tenant_id + "_b")
    with pytest.raises(NotFoundError, match="GET /concepts"):
        get_concept(session, other, concepts["42122000"].concept_id)
    assert search_concepts(session, other, q="pomp") == []


def test_search_by_text_code_synonym_and_status(session, tenant_id, concepts) -> None:
    def codes(**kwargs: object) -> list[str | None]:
        return [v.code for v in search_concepts(session, tenant_id, **kwargs)]  # type: ignore[arg-type]

    assert codes(q="POMPE") == ["42122000"]  # case-insensitive, validated only by default
    assert codes(q="pomp", status=None) == ["42122000", "42124000"]
    assert codes(q="à eau") == ["42122000"]  # synonyms are searched too
    assert codes(q="42123000") == ["42123000"]
    assert codes(q="4212") == ["42122000", "42123000"]
    assert codes(q="100%_", status="draft") == ["42124000"]  # wildcards are literal
    assert codes(q="0%x", status=None) == []
    assert codes() == ["42122000", "42123000"]
    assert codes(limit=1, offset=1) == ["42123000"]


def test_bad_search_arguments_say_what_to_fix(session, tenant_id) -> None:
    with pytest.raises(UserError, match="limit must be between"):
        search_concepts(session, tenant_id, limit=0)
    with pytest.raises(UserError, match="unknown status"):
        search_concepts(session, tenant_id, status="live")
