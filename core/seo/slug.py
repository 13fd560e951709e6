"""Canonical slugs: ASCII, lower case, stable (label + code), unique per tenant and language."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import TypeVar

K = TypeVar("K")

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o"})


def slugify(text: str, *, max_len: int = 60) -> str:
    """ASCII, lower-case, dash-separated; cut at a dash when too long; never empty.

    >>> slugify("Tours à métaux (CN) — Œuvre")
    'tours-a-metaux-cn-oeuvre'
    >>> slugify("<script>alert('x')</script>")
    'script-alert-x-script'
    >>> slugify("!!!")
    'item'
    >>> len(slugify("mot " * 40)) <= 60
    True
    """
    ascii_text = (
        unicodedata.normalize("NFKD", text.translate(_LIGATURES))
        .encode("ascii", "ignore")
        .decode("ascii")
        .lower()
    )
    slug = _NON_ALNUM.sub("-", ascii_text).strip("-")
    if len(slug) > max_len:
        slug = slug[:max_len].rsplit("-", 1)[0] if "-" in slug[:max_len] else slug[:max_len]
    return slug or "item"


def canonical_slug(label: str, code: str | int | None) -> str:
    """``<label>-<code>``: readable, and stable as long as the label does not change.

    The code (unique per tenant) makes the slug unique without a lookup.

    >>> canonical_slug("Tours à métaux", "42621100")
    'tours-a-metaux-42621100'
    >>> canonical_slug("Fabrication de machines", "28.41Z")
    'fabrication-de-machines-28-41z'
    >>> canonical_slug("", 17)
    '17'
    """
    code_part = slugify(str(code), max_len=30) if code not in (None, "") else ""
    if not label.strip():
        return code_part or "item"
    return f"{slugify(label)}-{code_part}" if code_part else slugify(label)


def unique_slugs(items: Iterable[tuple[K, str]]) -> dict[K, str]:
    """Make slugs unique in one language: later duplicates get ``-2``, ``-3`` …

    >>> unique_slugs([(1, "tour"), (2, "tour"), (3, "fraise"), (4, "tour")])
    {1: 'tour', 2: 'tour-2', 3: 'fraise', 4: 'tour-3'}
    """
    used: set[str] = set()
    out: dict[K, str] = {}
    for key, slug in items:
        candidate, n = slug, 1
        while candidate in used:
            n += 1
            candidate = f"{slug}-{n}"
        used.add(candidate)
        out[key] = candidate
    return out
