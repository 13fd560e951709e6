"""Helpers of the API tests: seed a real tenant (CPV concepts, DECP suppliers, embeddings,
FAISS index, API key), headers, free ports."""

from __future__ import annotations

import csv
import socket
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CPV_SAMPLE = REPO_ROOT / "data" / "sample" / "cpv_sample.csv"
COMPANIES_SAMPLE = REPO_ROOT / "data" / "sample" / "companies_sample.csv"
HIGH_LIMIT = 1_000_000
"""Rate limit of the shared test apps (the rate-limit tests build apps with a low one)."""


@dataclass
class SeededTenant:
    """What a seeded tenant holds, for assertions."""

    tenant_id: str
    key: str
    concept_ids: dict[str, int]  # CPV code → concept_id
    labels: dict[str, dict[str, str]]  # CPV code → {fr, en}
    company_ids: dict[str, int] = field(default_factory=dict)  # SIREN → company_id
    activations: dict[str, list[str]] = field(default_factory=dict)  # CPV code → SIRENs


def cpv_rows(max_level: int = 3, prefix: str = "42") -> list[dict[str, str]]:
    """Real CPV 2008 rows of one division (from the shipped sample), shallow levels only."""
    with CPV_SAMPLE.open(encoding="utf-8") as handle:
        return [
            row
            for row in csv.DictReader(handle)
            if row["code"].startswith(prefix) and int(row["level"]) <= max_level
        ]


def company_rows(count: int) -> list[dict[str, str]]:
    """The first real suppliers of the shipped sample."""
    with COMPANIES_SAMPLE.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))[:count]


def seed_tenant(
    tenant_id: str, rows: list[dict[str, str]], *, activate: dict[str, list[int]] | None = None
) -> SeededTenant:
    """Create a tenant with validated concepts, companies, activations, embeddings, an index
    and an API key; everything committed. ``activate`` maps a CPV code to company positions.
    """
    from core.apikeys import create_api_key
    from core.db import session_scope
    from core.matching.index import build_index
    from core.matching.store import embed_concepts
    from core.models import CompanyConceptActivation, CompanyProfile, Concept
    from core.tenancy import ensure_tenant

    by_code = {row["code"]: row for row in rows}

    def path_of(code: str) -> str:
        parts = [code]
        while (parent := by_code.get(parts[-1], {}).get("parent_code")) and parent in by_code:
            parts.append(parent)
        return "/".join(reversed(parts))

    with session_scope() as session:
        ensure_tenant(session, tenant_id)
        concepts = {
            row["code"]: Concept(
                tenant_id=tenant_id,
                code=row["code"],
                taxonomy="cpv",
                labels={"fr": row["label_fr"], "en": row["label_en"]},
                path=path_of(row["code"]),
                status="validated",
                origin="imported",
            )
            for row in rows
        }
        session.add_all(concepts.values())
        companies = {
            row["siren"]: CompanyProfile(
                tenant_id=tenant_id, siren=row["siren"], name=row["name"], source="decp"
            )
            for row in company_rows(4)
        }
        session.add_all(companies.values())
        session.flush()
        sirens = list(companies)
        activations: dict[str, list[str]] = {}
        for code, positions in (activate or {}).items():
            for rank, position in enumerate(positions):
                siren = sirens[position]
                session.add(
                    CompanyConceptActivation(
                        tenant_id=tenant_id,
                        company_id=companies[siren].company_id,
                        concept_id=concepts[code].concept_id,
                        score=0.9 - 0.2 * rank,
                        evidence={"source": "test"},
                    )
                )
                activations.setdefault(code, []).append(siren)
        key = create_api_key(session, tenant_id, "tests").key
        seeded = SeededTenant(
            tenant_id=tenant_id,
            key=key,
            concept_ids={code: c.concept_id for code, c in concepts.items()},
            labels={code: dict(c.labels) for code, c in concepts.items()},
            company_ids={siren: c.company_id for siren, c in companies.items()},
            activations=activations,
        )
    with session_scope() as session:
        embed_concepts(session, tenant_id)
    with session_scope() as session:
        build_index(session, tenant_id)
    return seeded


def fresh_tenant_id(prefix: str) -> str:
    """A new tenant id (tests isolate their data by tenant)."""
    return f"tenant_{prefix}_{uuid.uuid4().hex[:10]}"


PUMPS = "42120000"  # Pompes et compresseurs / Pumps and compressors
LIFTING = "42400000"  # Matériel de levage et de manutention / Lifting and handling equipment


def auth(seeded: SeededTenant) -> dict[str, str]:
    """Headers of an authenticated call for this tenant."""
    return {"X-API-Key": seeded.key}


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
