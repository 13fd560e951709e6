"""FAISS index per tenant: manifest, atomic files, flat vs HNSW, recall, pgvector fallback."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sqlalchemy import select

from core.errors import UserError
from core.matching.index import (
    build_index,
    index_dir,
    index_recall,
    load_index,
    pgvector_search,
    read_manifest,
    source_signature,
)
from core.models import Concept


def test_flat_index_and_manifest(session, settings, small_tenant, small_rows):
    manifest = build_index(session, small_tenant, settings=settings)
    assert manifest.index_type == "flat"
    assert manifest.count == len(small_rows)
    assert manifest.dimension == 384
    assert manifest.model == settings.embedding_model
    assert manifest.signature == source_signature(session, small_tenant, manifest.model)
    folder = index_dir(small_tenant, manifest.model, settings)
    on_disk = json.loads((folder / "manifest.json").read_text())
    assert on_disk["version"] == manifest.version
    assert on_disk["checksum"] == manifest.checksum
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["manifest.json", manifest.index_file, manifest.ids_file]
    )  # no temporary file left behind
    loaded = load_index(small_tenant, settings)
    assert loaded is not None
    assert loaded.manifest == manifest
    assert index_recall(session, small_tenant, k=10, settings=settings) == 1.0


def test_hnsw_above_threshold_keeps_recall(session, settings, small_tenant):
    hnsw_settings = settings.model_copy(update={"hnsw_threshold": 50})
    manifest = build_index(session, small_tenant, settings=hnsw_settings)
    assert manifest.index_type == "hnsw"
    assert manifest.hnsw_m
    assert index_recall(session, small_tenant, k=10, settings=hnsw_settings) >= 0.95


def test_search_agrees_with_pgvector(session, settings, small_tenant, encoder):
    build_index(session, small_tenant, settings=settings)
    loaded = load_index(small_tenant, settings)
    query = encoder.encode_query("compresseur d'air")
    ids, cosines = loaded.search(query, 5)
    exact = pgvector_search(session, small_tenant, query, k=5, model=settings.embedding_model)
    assert [cid for cid, _ in exact] == ids.tolist()
    assert np.allclose([c for _, c in exact], cosines, atol=1e-4)


def test_rebuild_publishes_a_new_version_and_prunes_old_files(session, settings, small_tenant):
    first = build_index(session, small_tenant, settings=settings)
    second = build_index(session, small_tenant, settings=settings)
    third = build_index(session, small_tenant, settings=settings)
    assert len({first.version, second.version, third.version}) == 3
    assert first.checksum == third.checksum  # same source, same vectors
    folder = index_dir(small_tenant, settings.embedding_model, settings)
    assert not (folder / first.index_file).exists()  # only current + one previous kept
    assert (folder / second.index_file).exists()
    assert read_manifest(small_tenant, settings).version == third.version


def test_signature_changes_when_concepts_change(session, settings, small_tenant):
    model = settings.embedding_model
    before = source_signature(session, small_tenant, model)
    concept = session.scalars(select(Concept).where(Concept.tenant_id == small_tenant)).first()
    concept.status = "rejected"
    session.flush()
    assert source_signature(session, small_tenant, model) != before


def test_no_embedded_concept_is_a_clear_error(session, settings, tenant_id, small_rows):
    from tests.core.matching.conftest import seed_tenant

    seed_tenant(session, tenant_id, small_rows[:5], None, model=settings.embedding_model)
    with pytest.raises(UserError, match="no validated concept embedded"):
        build_index(session, tenant_id, settings=settings)
    with pytest.raises(UserError, match="no FAISS index"):
        index_recall(session, tenant_id, settings=settings)
    assert load_index(tenant_id, settings) is None
