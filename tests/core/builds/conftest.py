"""Fixtures of the build tests: a small slice of the shipped sample, written to temp files.

The slice keeps CPV 50000000 with its branches 503 (office and IT equipment repair) and 507
(building installations): 71 real nodes and the 63 real contracts coded in them, so a dico
build embeds a few dozen concepts in seconds.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_DIR
from tests.fake_mistral.fixtures import fake_mistral

__all__ = ["fake_mistral"]

PREFIXES = ("503", "507")


def _keep(code: str) -> bool:
    return code == "50000000" or code.startswith(PREFIXES)


def _copy_rows(source: Path, target: Path, column: str) -> int:
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = [row for row in reader if _keep(row[column])]
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


@pytest.fixture(scope="session")
def mini_sample(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``{"cpv", "decp", "eval"}`` → paths of the small real slice."""
    folder = tmp_path_factory.mktemp("mini_sample")
    paths = {
        "cpv": folder / "cpv_mini.csv",
        "decp": folder / "decp_mini.csv",
        "eval": folder / "eval_mini.csv",
    }
    assert _copy_rows(SAMPLE_DIR / "cpv_sample.csv", paths["cpv"], "code") == 71
    assert _copy_rows(SAMPLE_DIR / "decp_sample.csv", paths["decp"], "cpv_code") > 30
    assert _copy_rows(SAMPLE_DIR / "eval_sample.csv", paths["eval"], "expected_code") > 30
    return paths


def import_contracts(tenant_id: str, path: Path) -> None:
    """Import DECP contracts (demands + their winning suppliers) for a tenant, committed."""
    from core.db import session_scope
    from core.imports.market import import_market

    with session_scope() as session:
        import_market(session, tenant_id, path)


def edited_copy(source: Path, target: Path, code: str, label_fr: str) -> Path:
    """A copy of a taxonomy file with one French label changed."""
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    for row in rows:
        if row["code"] == code:
            row["label_fr"] = label_fr
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return target


@pytest.fixture
def built_tenant(engine: object, tenant_id: str, mini_sample: dict[str, Path]) -> Iterator[str]:
    """A tenant with the mini glossary and its contracts imported (nothing built yet)."""
    from core.builds.glossary import build_glossary
    from core.db import session_scope

    with session_scope() as session:
        build_glossary(session, tenant_id, taxonomy_path=mini_sample["cpv"])
    import_contracts(tenant_id, mini_sample["decp"])
    return tenant_id


@pytest.fixture
def llm_env(fake_mistral: object, settings: object) -> Iterator[object]:
    """The process settings pointed at the fake Mistral server (what a kernel would read)."""
    import os

    from core.config import get_settings
    from core.llm import reset_llm

    fake = fake_mistral
    fake.state.reset()  # type: ignore[attr-defined]
    saved = dict(os.environ)
    os.environ.update(
        {
            "MISTRAL_API_KEY": fake.api_key,  # type: ignore[attr-defined]
            "MISTRAL_SERVER_URL": fake.url,  # type: ignore[attr-defined]
            "MISTRAL_MODEL": "fake-small",
            "MISTRAL_TIMEOUT_SECONDS": "2",
            "MISTRAL_MAX_RETRIES": "0",
        }
    )
    get_settings.cache_clear()
    reset_llm()
    yield fake
    os.environ.clear()
    os.environ.update(saved)
    get_settings.cache_clear()
    reset_llm()
