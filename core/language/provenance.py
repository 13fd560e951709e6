"""Provenance of translatable texts: ``"<field>:<lang>"`` → source, model, time, hash.

One entry per text in the model's ``provenance`` JSONB. Keys use the singular field name
(``label:fr``, ``description:en``, ``definition:fr``, ``synonym:en``) like the importer and
the curation actions; the plural spellings some rows carry are read as well.

Sources: ``imported`` (from a taxonomy file), ``machine`` (an LLM, with ``model`` and the
``hash`` of the source text it translated, plus ``from`` = the source language), ``human``
(a curator's edit: never overwritten by a machine).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from core.language.text import text_hash
from core.llm.types import utc_now_iso

Source = Literal["imported", "machine", "human"]

FIELD_KEYS: dict[str, str] = {
    "labels": "label",
    "descriptions": "description",
    "definitions": "definition",
    "synonyms": "synonym",
}
"""Model attribute → provenance key prefix."""

_ALIASES: dict[str, tuple[str, ...]] = {
    "label": ("label", "labels"),
    "description": ("description", "descriptions"),
    "definition": ("definition", "definitions"),
    "synonym": ("synonym", "synonyms"),
}


def prov_key(field: str, lang: str) -> str:
    """The provenance key of one field in one language.

    >>> prov_key("labels", "en"), prov_key("synonyms", "fr")
    ('label:en', 'synonym:fr')
    """
    return f"{FIELD_KEYS.get(field, field)}:{lang}"


def prov_entry(provenance: Mapping[str, Any] | None, field: str, lang: str) -> dict[str, Any]:
    """The provenance entry of ``field`` in ``lang``, whichever spelling the row used.

    >>> prov_entry({"labels:en": {"source": "human"}}, "labels", "en")
    {'source': 'human'}
    >>> prov_entry({}, "labels", "en")
    {}
    """
    if not provenance:
        return {}
    base = FIELD_KEYS.get(field, field)
    for name in _ALIASES.get(base, (base,)):
        entry = provenance.get(f"{name}:{lang}")
        if isinstance(entry, dict):
            return entry
    return {}


def value_hash(value: str | list[str]) -> str:
    """Hash of a text, or of a list of texts (synonyms) in order.

    >>> value_hash("Tour") == value_hash("Tour"), value_hash(["a", "b"]) == value_hash(["b", "a"])
    (True, False)
    """
    if isinstance(value, list):
        return text_hash(json.dumps(value, ensure_ascii=False))
    return text_hash(value)


def machine_entry(*, model: str, source_hash: str, source_lang: str) -> dict[str, Any]:
    """Provenance of a machine translation (the hash is the SOURCE text's)."""
    return {
        "source": "machine",
        "model": model,
        "at": utc_now_iso(),
        "hash": source_hash,
        "from": source_lang,
    }


def human_entry(value: str | list[str], *, actor: str | None = None) -> dict[str, Any]:
    """Provenance of a curator's edit (never overwritten by a machine)."""
    entry: dict[str, Any] = {"source": "human", "at": utc_now_iso(), "hash": value_hash(value)}
    if actor:
        entry["by"] = actor
    return entry


def set_text(
    obj: Any,
    field: str,
    lang: str,
    value: str | list[str],
    *,
    actor: str | None = None,
) -> None:
    """Write a curator's text into ``obj.<field>[lang]`` with ``human`` provenance.

    Reassigns the JSONB dicts (SQLAlchemy sees new objects, not in-place edits).
    """
    if field not in FIELD_KEYS or not hasattr(obj, field):
        raise ValueError(f"{type(obj).__name__} has no translatable field {field!r}")
    texts = dict(getattr(obj, field) or {})
    texts[lang] = value
    setattr(obj, field, texts)
    provenance = dict(obj.provenance or {})
    provenance[prov_key(field, lang)] = human_entry(value, actor=actor)
    obj.provenance = provenance
