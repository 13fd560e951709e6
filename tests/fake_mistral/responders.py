"""Deterministic stand-ins for the model, reading the facade's prompts (used as responders).

They make the fake answer like a well-behaved model so tests can check what the code does
with a good answer (order, count, provenance) without any real model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

_NAME_TO_CODE = {"French": "fr", "English": "en", "German": "de", "Spanish": "es"}
_LANG_RE = re.compile(r"from (\w+) to (\w+)\.")


def last_user_text(body: dict[str, Any]) -> str:
    """The content of the first user message (the task prompt, also during a repair)."""
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    return str(users[0].get("content", "")) if users else ""


def texts_to_translate(body: dict[str, Any]) -> tuple[list[str], str, str]:
    """The texts, source and target languages of a translate prompt."""
    prompt = last_user_text(body)
    array = prompt.split("Texts (JSON array):\n", 1)[1]
    match = _LANG_RE.search(prompt)
    assert match, "not a translate prompt"
    source, target = (_NAME_TO_CODE.get(g, g) for g in match.groups())
    return json.loads(array), source, target


def tagged_translator(body: dict[str, Any]) -> str:
    """Translate ``x`` to ``"<target>: x"``: recognisable, one-to-one, order-preserving."""
    texts, _source, target = texts_to_translate(body)
    return json.dumps({"translations": [f"{target}: {t}" for t in texts]}, ensure_ascii=False)


def short_translator(body: dict[str, Any]) -> str:
    """A bad model: one translation too few (the count check must catch it)."""
    texts, _source, target = texts_to_translate(body)
    return json.dumps({"translations": [f"{target}: {t}" for t in texts[:-1]]})


def candidate_ids(body: dict[str, Any]) -> list[str]:
    """The candidate ids listed in a rerank prompt, in the given order."""
    return re.findall(r"^- id=([^:]+):", last_user_text(body), flags=re.MULTILINE)


def reranker(order: Callable[[list[str]], list[str]]) -> Callable[[dict[str, Any]], str]:
    """A reranker answering ``order(ids)`` with a rationale naming each id."""

    def respond(body: dict[str, Any]) -> str:
        ids = order(candidate_ids(body))
        ranking = [{"id": i, "rationale": f"because {i} fits"} for i in ids]
        return json.dumps({"ranking": ranking})

    return respond
