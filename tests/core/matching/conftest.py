"""Fixtures of the matching tests: real sample concepts, real vectors, seeded tenants.

The sample's 776 CPV concepts (divisions 42 and 50) are encoded once per run with the real
model; tenants are then seeded with those vectors directly, so each test that needs its own
tenant pays only for a few inserts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import insert

from tests.fake_mistral.fixtures import fake, fake_mistral, llm_settings  # noqa: F401 (fixtures)

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLE_CPV = REPO_ROOT / "data" / "sample" / "cpv_sample.csv"
SAMPLE_DECP = REPO_ROOT / "data" / "sample" / "decp_sample.csv"


@pytest.fixture(scope="session")
def sample_rows() -> list[dict[str, str]]:
    """The real CPV rows of the shipped sample (divisions 42 and 50, fr + en labels)."""
    from core.evaluation.seed import read_taxonomy

    return read_taxonomy(SAMPLE_CPV)


@pytest.fixture(scope="session")
def encoder(settings: object) -> object:
    """The project's encoder (the offline MiniLM), loaded once."""
    from core.matching.embed import get_encoder

    return get_encoder(settings)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sample_vectors(encoder, sample_rows) -> dict[str, np.ndarray]:
    """code → embedding of the concept text, computed once with the real model."""
    from core.matching.store import concept_text

    texts = [concept_text({"fr": r["label_fr"], "en": r["label_en"]}) for r in sample_rows]
    matrix = encoder.encode_documents(texts)
    return {row["code"]: matrix[i] for i, row in enumerate(sample_rows)}


def seed_tenant(
    session,
    tenant_id: str,
    rows: Sequence[dict[str, str]],
    vectors: dict[str, np.ndarray] | None,
    *,
    model: str,
    status: str = "validated",
) -> dict[str, int]:
    """Concepts for ``rows`` with precomputed vectors (as ``embed_concepts`` would store them)."""
    from core.evaluation.seed import seed_concepts
    from core.matching.store import TEXT_HASH_KEY, concept_text, text_hash
    from core.models import Concept

    codes = seed_concepts(session, tenant_id, rows, status=status)
    if vectors:
        from sqlalchemy import update

        session.execute(
            update(Concept),
            [
                {
                    "concept_id": codes[r["code"]],
                    "embedding": vectors[r["code"]],
                    "embedding_model": model,
                    "extra": {
                        "parent_code": r.get("parent_code") or None,
                        TEXT_HASH_KEY: text_hash(
                            concept_text({"fr": r["label_fr"], "en": r["label_en"]}), model
                        ),
                    },
                }
                for r in rows
            ],
        )
    return codes


def add_company(session, tenant_id: str, name: str, siren: str) -> int:
    """A company profile; returns its id."""
    from core.models import CompanyProfile

    company = CompanyProfile(tenant_id=tenant_id, name=name, siren=siren, source="test")
    session.add(company)
    session.flush()
    return company.company_id


def activate(session, tenant_id: str, company_id: int, concept_id: int, score: float) -> None:
    """Activate a company on a concept."""
    from core.models import CompanyConceptActivation

    session.execute(
        insert(CompanyConceptActivation),
        [
            {
                "tenant_id": tenant_id,
                "company_id": company_id,
                "concept_id": concept_id,
                "score": score,
                "facets": {},
                "evidence": {"test": True},
                "is_claimed": False,
            }
        ],
    )


@dataclass(frozen=True)
class MatchTenant:
    """A committed tenant with the whole sample, companies, activations and a FAISS index."""

    tenant_id: str
    codes: dict[str, int]
    companies: dict[str, int]


@pytest.fixture(scope="session")
def match_tenant(engine, settings, sample_rows, sample_vectors) -> MatchTenant:
    """Built once: every sample concept validated and embedded, 3 companies, an index."""
    from core.db import session_scope
    from core.matching.index import build_index
    from core.tenancy import ensure_tenant
    from tests.conftest import new_tenant_id

    tenant = new_tenant_id("match")
    model = settings.embedding_model  # type: ignore[attr-defined]
    with session_scope() as s:
        ensure_tenant(s, tenant)
        codes = seed_tenant(s, tenant, sample_rows, sample_vectors, model=model)
        companies = {
            "pumps": add_company(s, tenant, "Pompes Dupont", "552100554"),
            "lathes": add_company(s, tenant, "Tournage Martin", "732829320"),
            "repair": add_company(s, tenant, "Maintenance Ouest", "542065479"),
        }
        # real codes: 42122000 pumps, 42621100 CNC lathe, 50531200 gas appliance maintenance
        activate(s, tenant, companies["pumps"], codes["42122000"], 0.9)
        activate(s, tenant, companies["repair"], codes["42122000"], 0.4)
        activate(s, tenant, companies["lathes"], codes["42621100"], 0.8)
        activate(s, tenant, companies["repair"], codes["50531200"], 0.7)
    with session_scope() as s:
        build_index(s, tenant, settings=settings)
    return MatchTenant(tenant, codes, companies)


@pytest.fixture
def small_rows(sample_rows) -> list[dict[str, str]]:
    """Division 42's pumps, compressors and machine tools branch (~100 real rows)."""
    prefixes = ("421", "426")
    return [r for r in sample_rows if r["code"].startswith(prefixes) or r["code"] == "42000000"]


@pytest.fixture
def small_tenant(tenant_id, settings, small_rows, sample_vectors) -> str:
    """A fresh tenant with the small branch, embedded (no FAISS index yet)."""
    from core.db import session_scope

    with session_scope() as s:
        seed_tenant(
            s, tenant_id, small_rows, sample_vectors,
            model=settings.embedding_model,  # type: ignore[attr-defined]
        )  # fmt: skip
    return tenant_id


@pytest.fixture
def matcher(settings) -> object:
    """A fresh matcher with the in-process cache."""
    from core.matching.service import Matcher

    return Matcher(settings)  # type: ignore[arg-type]


def digest(text: str) -> str:
    """sha256 hex of a text (example rows need one)."""
    return hashlib.sha256(text.encode()).hexdigest()
