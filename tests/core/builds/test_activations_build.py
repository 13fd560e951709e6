"""Build step 3: activations with evidence; claimed ones untouched; idempotent."""

from __future__ import annotations

from sqlalchemy import select

from core.builds.activations import build_activations
from core.builds.dico import build_dico
from core.db import session_scope
from core.models import CompanyConceptActivation, CompanyProfile, Concept, Demand
from core.tenancy import scoped


def _activations(session, tenant_id: str) -> dict[tuple[int, int], CompanyConceptActivation]:
    stmt = scoped(CompanyConceptActivation, tenant_id).execution_options(populate_existing=True)
    return {(a.company_id, a.concept_id): a for a in session.scalars(stmt)}


def test_activations_from_contracts_text_and_claims(built_tenant: str) -> None:
    tenant = built_tenant
    with session_scope() as session:
        build_dico(session, tenant, auto_validate=True)
        concepts = {c.code: c.concept_id for c in session.scalars(scoped(Concept, tenant))}
        lifts = concepts["50750000"]  # Services d'entretien d'ascenseurs
        # a company that describes itself (no contract), one with only a NAF code
        described = CompanyProfile(
            tenant_id=tenant, name="Ascenseurs du Sud", naf_code="43.29B",
            description="Entretien, dépannage et modernisation d'ascenseurs et de monte-charges",
            facets={"products": ["maintenance d'ascenseurs"]}, source="test",
        )  # fmt: skip
        naf_only = CompanyProfile(tenant_id=tenant, name="Mécanique Générale", naf_code="33.12Z")
        session.add_all([described, naf_only])
        session.flush()
        claimant = session.scalars(scoped(CompanyProfile, tenant).order_by(
            CompanyProfile.company_id)).first()  # fmt: skip
        claimed_concept = concepts["50300000"]
        session.add(
            CompanyConceptActivation(
                tenant_id=tenant, company_id=claimant.company_id, concept_id=claimed_concept,
                score=0.1, is_claimed=True, evidence={"claimed_by": "the company"}, facets={},
            )
        )  # fmt: skip
        ids = {"described": described.company_id, "naf_only": naf_only.company_id}
        won = [
            (ref, code, list(winners))
            for ref, code, winners in session.execute(
                select(Demand.external_ref, Demand.concept_code, Demand.awarded_company_ids)
                .where(Demand.tenant_id == tenant)
            )
            if winners and code in concepts
        ]  # fmt: skip
    assert won, "the sample's contracts have winners"

    with session_scope() as session:
        result = build_activations(session, tenant)
    assert result.counts["created"] > 0
    assert result.counts["claimed_kept"] == 1
    assert all(0.35 <= score <= 1 for score in result.scores)
    with session_scope() as session:
        stored = _activations(session, tenant)
    # every winner is activated on the concept of the contract it won, with that evidence
    for ref, code, winners in won:
        for company_id in winners:
            activation = stored[(company_id, concepts[code])]
            assert activation.score >= 0.95
            assert any(c["ref"] == ref for c in activation.evidence["contracts"]) or (
                activation.evidence["contract_count"] > len(activation.evidence["contracts"])
            )
            assert activation.evidence["reasons"][0].startswith("won contract ")
    # the self-described lift company: activated on lifts by text and products
    lift = stored[(ids["described"], lifts)]
    assert lift.evidence["strengths"]["text"] > 0
    assert lift.evidence["strengths"]["products"] > 0
    assert "contracts" not in lift.evidence["strengths"]
    # NAF alone is a prior, never an activation
    assert not [key for key in stored if key[0] == ids["naf_only"]]
    # the claimed activation is untouched
    claimed = stored[(claimant.company_id, claimed_concept)]
    assert claimed.is_claimed
    assert claimed.score == 0.1
    assert claimed.evidence == {"claimed_by": "the company"}

    with session_scope() as session:
        again = build_activations(session, tenant)
    assert again.changes == 0, again.counts
    assert again.counts["unchanged"] == result.counts["created"]

    with session_scope() as session:
        strict = build_activations(session, tenant, threshold=0.99)
    assert strict.counts["removed"] > 0
    with session_scope() as session:
        remaining = _activations(session, tenant)
    assert all(a.score >= 0.99 or a.is_claimed for a in remaining.values())
    assert (claimant.company_id, claimed_concept) in remaining


def test_dry_run_and_no_validated_concepts(built_tenant: str) -> None:
    with session_scope() as session:
        build_dico(session, built_tenant, auto_validate=True)
    with session_scope() as session:
        result = build_activations(session, built_tenant, dry_run=True)
    assert result.counts["created"] > 0
    with session_scope() as session:
        assert not _activations(session, built_tenant)
    # drafts only: nothing to activate on
    with session_scope() as session:
        for concept in session.scalars(scoped(Concept, built_tenant)):
            concept.status = "draft"
    with session_scope() as session:
        empty = build_activations(session, built_tenant)
    assert empty.counts["concepts"] == 0
    assert empty.counts["created"] == 0
