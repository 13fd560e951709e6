"""Compute and store embeddings of concepts and concept examples in pgvector.

The dico build calls :func:`embed_concepts` after proposing or editing concepts; it is cheap
to call again: a concept is re-embedded only when its text or the model changed (the hash of
the embedded text is kept in ``Concept.extra["embedding_text_hash"]``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from sqlalchemy import update
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import Concept, ConceptExample
from core.tenancy import require_tenant, scoped

TEXT_HASH_KEY = "embedding_text_hash"
LANG_ORDER = ("fr", "en")


def _ordered_langs(keys: Sequence[str], langs: Sequence[str] | None) -> list[str]:
    wanted = list(langs) if langs is not None else list(keys)
    first = [lang for lang in LANG_ORDER if lang in wanted]
    return first + sorted(lang for lang in wanted if lang not in LANG_ORDER)


def concept_text(
    labels: Mapping[str, str],
    synonyms: Mapping[str, Sequence[str]] | None = None,
    definitions: Mapping[str, str] | None = None,
    *,
    langs: Sequence[str] | None = None,
) -> str:
    """The text a concept is embedded from: labels, then synonyms, then definitions.

    Every language is included (French first, then English, then others), because the
    measured cross-language gain of having both labels beats either one alone (README,
    "Matching"). Repeated strings are kept once.

    >>> concept_text({"en": "Lathes", "fr": "Tours"}, {"fr": ["tour CN"]}, {"en": "Machines."})
    'Tours. Lathes. tour CN. Machines.'
    >>> concept_text({"en": "Lathes", "fr": "Tours"}, langs=["fr"])
    'Tours'
    """
    parts: list[str] = []
    for lang in _ordered_langs(list(labels), langs):
        parts.append(labels.get(lang, ""))
    syn = synonyms or {}
    for lang in _ordered_langs(list(syn), langs):
        parts.extend(syn.get(lang, []))
    defs = definitions or {}
    for lang in _ordered_langs(list(defs), langs):
        parts.append(defs.get(lang, ""))
    seen: dict[str, None] = {}
    for part in parts:
        cleaned = " ".join(str(part).split()).rstrip(".")
        if cleaned and cleaned.casefold() not in {s.casefold() for s in seen}:
            seen[cleaned] = None
    return ". ".join(seen) + ("." if definitions and seen else "")


def text_hash(text: str, model_name: str) -> str:
    """Hash of what was embedded and with which model (re-embed when it changes).

    >>> text_hash("a", "m") == text_hash("a", "m") != text_hash("a", "other")
    True
    """
    return hashlib.sha256(f"{model_name}\x00{text}".encode()).hexdigest()


def _encoder(settings: Settings | None):  # noqa: ANN202 - Encoder protocol, imported lazily
    from core.matching.embed import get_encoder

    return get_encoder(settings)


def embed_concepts(
    session: Session,
    tenant_id: str,
    *,
    only_missing: bool = True,
    progress: bool = False,
    settings: Settings | None = None,
) -> int:
    """Embed the tenant's concepts (every status) and store vector + model name.

    Args:
        session: an open session; the caller commits.
        tenant_id: the tenant (must exist).
        only_missing: skip concepts whose stored embedding already comes from the current
            model and the current text; ``False`` re-embeds everything.
        progress: show a progress bar.
        settings: defaults to ``get_settings()``.

    Returns:
        How many concepts were (re-)embedded.
    """
    tenant = require_tenant(session, tenant_id)
    encoder = _encoder(settings)
    rows = session.execute(
        scoped(Concept, tenant).with_only_columns(
            Concept.concept_id,
            Concept.labels,
            Concept.synonyms,
            Concept.definitions,
            Concept.embedding_model,
            Concept.extra,
            Concept.embedding.is_(None),
        )
    ).all()
    todo: list[tuple[int, str, str, dict]] = []
    for concept_id, labels, synonyms, definitions, model, extra, missing in rows:
        text = concept_text(labels or {}, synonyms or {}, definitions or {})
        digest = text_hash(text, encoder.model_name)
        fresh = (
            not missing
            and model == encoder.model_name
            and (extra or {}).get(TEXT_HASH_KEY) == digest
        )
        if only_missing and fresh:
            continue
        todo.append((concept_id, text, digest, dict(extra or {})))
    if not todo:
        return 0
    vectors = encoder.encode_documents([t for _, t, _, _ in todo], progress=progress)
    session.execute(
        update(Concept),
        [
            {
                "concept_id": concept_id,
                "embedding": vector,
                "embedding_model": encoder.model_name,
                "extra": {**extra, TEXT_HASH_KEY: digest},
            }
            for (concept_id, _, digest, extra), vector in zip(todo, vectors, strict=True)
        ],
    )
    return len(todo)


def embed_examples(
    session: Session,
    tenant_id: str,
    *,
    only_missing: bool = True,
    progress: bool = False,
    settings: Settings | None = None,
) -> int:
    """Embed the tenant's concept examples (labelled demands, contracts, validated matches).

    An example's text never changes for a given row (it is part of its unique key), so
    ``only_missing`` re-embeds only rows without a vector or with another model's.

    Returns:
        How many examples were (re-)embedded.
    """
    tenant = require_tenant(session, tenant_id)
    encoder = _encoder(settings)
    stmt = scoped(ConceptExample, tenant).with_only_columns(
        ConceptExample.example_id, ConceptExample.text
    )
    if only_missing:
        stmt = stmt.where(
            ConceptExample.embedding.is_(None)
            | (ConceptExample.embedding_model.is_distinct_from(encoder.model_name))
        )
    rows = session.execute(stmt).all()
    if not rows:
        return 0
    vectors = encoder.encode_documents([text for _, text in rows], progress=progress)
    session.execute(
        update(ConceptExample),
        [
            {"example_id": example_id, "embedding": vector, "embedding_model": encoder.model_name}
            for (example_id, _), vector in zip(rows, vectors, strict=True)
        ],
    )
    return len(rows)
