"""Fixtures for the market tests: a small builder of real ORM rows with known answers."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from core.models import (
    CompanyConceptActivation,
    CompanyProfile,
    Concept,
    Demand,
    GlossaryNode,
    Offer,
)


class MarketBuilder:
    """Adds glossary nodes, concepts, companies, demands, offers and activations to a tenant.

    Concepts are addressed by code; demands default to région 53 (Bretagne) and 2019-01-15.
    """

    def __init__(self, session: Session, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.concepts: dict[str, int] = {}
        self._n = 0

    def _ref(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}-{self._n}"

    def node(self, code: str, path: str, label: str | None = None) -> None:
        parent = path.split("/")[-2] if "/" in path else None
        self.session.add(
            GlossaryNode(
                tenant_id=self.tenant_id,
                taxonomy="cpv",
                code=code,
                node_type="level",
                level=path.count("/") + 1,
                parent_code=parent,
                path=path,
                labels={"fr": label or f"nœud {code}", "en": label or f"node {code}"},
            )
        )

    def concept(
        self, code: str, path: str | None = None, label: str | None = None, **extra: Any
    ) -> int:
        path = path or code
        self.node(code, path, label)
        concept = Concept(
            tenant_id=self.tenant_id,
            code=code,
            taxonomy="cpv",
            labels={"fr": label or f"concept {code}", "en": label or f"concept {code}"},
            path=path,
            status=extra.pop("status", "validated"),
            **extra,
        )
        self.session.add(concept)
        self.session.flush()
        self.concepts[code] = concept.concept_id
        return concept.concept_id

    def company(self, name: str, region: str | None = "53") -> int:
        company = CompanyProfile(tenant_id=self.tenant_id, name=name, region=region)
        self.session.add(company)
        self.session.flush()
        return company.company_id

    def demand(
        self,
        code: str | None,
        *,
        region: str | None = "53",
        on: date | None = date(2019, 1, 15),
        awarded: list[int] | None = None,
        classified: bool = True,
        text: str = "besoin",
        amount: float | None = None,
    ) -> int:
        demand = Demand(
            tenant_id=self.tenant_id,
            external_ref=self._ref("d"),
            text=text,
            concept_code=code,
            concept_ids=[self.concepts[code]] if classified and code in self.concepts else [],
            region=region,
            published_on=on,
            awarded_company_ids=awarded or [],
            amount_eur=amount,
        )
        self.session.add(demand)
        self.session.flush()
        return demand.demand_id

    def offer(
        self,
        code: str,
        *,
        company_id: int | None = None,
        region: str | None = "53",
        on: date | None = date(2019, 1, 15),
    ) -> int:
        offer = Offer(
            tenant_id=self.tenant_id,
            external_ref=self._ref("o"),
            text=f"offre {code}",
            company_id=company_id,
            concept_ids=[self.concepts[code]],
            region=region,
            published_on=on,
        )
        self.session.add(offer)
        self.session.flush()
        return offer.offer_id

    def activation(self, company_id: int, code: str, score: float = 1.0) -> None:
        self.session.add(
            CompanyConceptActivation(
                tenant_id=self.tenant_id,
                company_id=company_id,
                concept_id=self.concepts[code],
                score=score,
            )
        )
        self.session.flush()


@pytest.fixture
def market(session: Session, tenant_id: str) -> MarketBuilder:
    """A builder on a fresh tenant (rows are flushed in the test's transaction)."""
    return MarketBuilder(session, tenant_id)


@pytest.fixture(scope="session")
def decp_tenant(engine: object) -> str:
    """A committed tenant holding the real sample (see ``tests/market_seed.py``)."""
    from tests.conftest import new_tenant_id
    from tests.market_seed import seed_decp_sample

    return seed_decp_sample(new_tenant_id("decp"))
