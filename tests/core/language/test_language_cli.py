"""``marketlounge translate`` / ``labels-check`` / ``llm-status`` end to end (real DB)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from core.cli.main import app
from tests.fake_mistral.responders import tagged_translator

runner = CliRunner()


@pytest.fixture
def seeded(engine, tenant_id: str) -> str:
    from core.db import session_scope
    from tests.fake_mistral.rows import add_concept

    with session_scope() as s:
        add_concept(s, tenant_id, "K1", {"fr": "Tours"})
        add_concept(s, tenant_id, "K2", {"fr": "Tours"})
    return tenant_id


@pytest.fixture
def with_fake_key(monkeypatch, fake) -> Iterator[None]:
    """Environment pointing the process-wide LLM at the fake (what a user's env would do)."""
    from core.config import get_settings
    from core.llm import reset_llm

    monkeypatch.setenv("MISTRAL_API_KEY", fake.api_key)
    monkeypatch.setenv("MISTRAL_SERVER_URL", fake.url)
    get_settings.cache_clear()
    reset_llm()
    yield
    get_settings.cache_clear()
    reset_llm()


def test_translate_without_key_reports_pending(seeded: str, fake) -> None:
    result = runner.invoke(app, ["translate", "--tenant", seeded, "--langs", "en"])

    assert result.exit_code == 0, result.output
    assert "2 en attente [2 pending]" in result.output
    assert "LLM not configured" in result.output
    assert fake.state.requests == []


def test_translate_dry_run_then_for_real(seeded: str, fake, with_fake_key) -> None:
    fake.state.reset(responder=tagged_translator)
    dry = runner.invoke(app, ["translate", "-t", seeded, "-l", "en", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "2 text(s) would be translated" in dry.output
    assert fake.state.requests == []

    real = runner.invoke(app, ["translate", "-t", seeded, "-l", "en", "--what", "concepts"])
    assert real.exit_code == 0, real.output
    assert "2 texte(s) traduit(s) [2 translated]" in real.output
    assert "en: Tours" in real.output

    status = runner.invoke(app, ["llm-status"])
    data = json.loads(status.output)
    assert data["configured"] is True
    assert data["counters"]["ok"] >= 1
    assert fake.api_key not in status.output


def test_translate_refuses_bad_input(engine) -> None:
    bad_lang = runner.invoke(app, ["translate", "--tenant", "tenant_x", "--langs", "english"])
    assert bad_lang.exit_code == 2
    assert "invalid language code" in bad_lang.output
    unknown = runner.invoke(app, ["translate", "--tenant", "tenant_nobody_here", "-l", "en"])
    assert unknown.exit_code == 3
    assert "unknown tenant" in unknown.output


def test_labels_check_prints_and_writes_csv(seeded: str, tmp_path) -> None:
    out = tmp_path / "issues.csv"
    result = runner.invoke(app, ["labels-check", "-t", seeded, "--csv", str(out)])

    assert result.exit_code == 0, result.output
    assert "duplicate_label" in result.output
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "check,lang,kind,concept_id,node_id,code,detail"
    assert text.count("duplicate_label") == 2
