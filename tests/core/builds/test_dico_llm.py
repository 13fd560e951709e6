"""The dico build with the LLM configured: the real mistralai client against the fake."""

from __future__ import annotations

import json
from pathlib import Path

from core.builds.dico import build_dico
from core.builds.glossary import build_glossary
from core.db import session_scope
from core.models import Concept
from core.tenancy import scoped
from tests.core.builds.conftest import edited_copy
from tests.fake_mistral import server_error
from tests.fake_mistral.app import json_responder
from tests.fake_mistral.responders import last_user_text


def _model(body: dict) -> dict:
    """A well-behaved model: synonyms or definitions for the labels in the prompt."""
    prompt = last_user_text(body)
    if "synonyms" in prompt:
        return {"fr": ["robinet quart de tour"], "en": ["quarter-turn valve"]}
    return {"fr": "Organe qui ouvre ou ferme un circuit.", "en": "A device that opens or shuts."}


def test_llm_enriches_new_drafts_once(engine, tenant_id, llm_env, tmp_path: Path) -> None:
    fake = llm_env
    fake.state.reset(json_responder(_model))
    taxonomy = tmp_path / "own.csv"
    taxonomy.write_text(
        "code,parent_code,label_fr,label_en\nV,,Robinetterie,Valves\nV1,V,Vannes,Gate valves\n",
        encoding="utf-8",
    )
    with session_scope() as session:
        build_glossary(session, tenant_id, taxonomy_path=taxonomy, taxonomy="own")
    with session_scope() as session:
        result = build_dico(session, tenant_id, auto_validate=None)
    assert result.counts["created"] == 2
    assert result.llm["ok"] == 4  # synonyms + definition for each draft
    assert len(fake.state.requests) == 4
    with session_scope() as session:
        concepts = {c.code: c for c in session.scalars(scoped(Concept, tenant_id))}
        valves = concepts["V1"]
        assert valves.status == "draft"  # a tenant's own taxonomy is never auto-validated
        assert "robinet quart de tour" in valves.synonyms["fr"]
        assert valves.definitions["en"] == "A device that opens or shuts."
        assert valves.provenance["synonyms:llm"]["source"] == "machine"
        assert valves.provenance["synonyms:llm"]["model"] == "fake-small"
        assert valves.provenance["definition:fr"]["source"] == "machine"
        assert valves.embedding is not None

    with session_scope() as session:
        again = build_dico(session, tenant_id)
    assert again.changes == 0
    assert len(fake.state.requests) == 4  # unchanged drafts are not sent again

    # a changed node refreshes its draft and asks again; a failing LLM is reported, not fatal
    edited = edited_copy(taxonomy, tmp_path / "own2.csv", "V1", "Vannes à opercule")
    with session_scope() as session:
        build_glossary(session, tenant_id, taxonomy_path=edited, taxonomy="own")
    fake.state.script(server_error(), server_error())
    with session_scope() as session:
        changed = build_dico(session, tenant_id)
    assert changed.counts["updated"] == 1
    assert changed.llm["failed"] == 2
    assert changed.llm["reason"]
    with session_scope() as session:
        refreshed = session.scalars(scoped(Concept, tenant_id, Concept.code == "V1")).one()
        assert refreshed.labels["fr"] == "Vannes à opercule"
        # the earlier LLM proposals are kept when the new call fails
        assert "robinet quart de tour" in refreshed.synonyms["fr"]
    assert json.loads(json.dumps(changed.report()))["details"]["llm"]["failed"] == 2
