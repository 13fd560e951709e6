"""Small text helpers shared by translation, quality checks, enrichment and SEO."""

from __future__ import annotations

import hashlib
import unicodedata


def fold(text: str) -> str:
    """Comparison key for near-identical wordings: case, accents and spaces ignored.

    >>> fold("  Usinage  du Titane ") == fold("usinage du titane")
    True
    >>> fold("Tôlerie") == fold("tolerie")
    True
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def squash(text: str) -> str:
    """Collapse runs of whitespace (newlines, tabs) into single spaces.

    >>> squash("  Tours\\n  à  métaux ")
    'Tours à métaux'
    """
    return " ".join(str(text).split())


def clip_text(text: str, limit: int) -> str:
    """Cut at a word boundary with an ellipsis when longer than ``limit`` characters.

    The result is never longer than ``limit`` (meta descriptions must fit in 160).

    >>> clip_text("un tour à métaux", 10)
    'un tour…'
    >>> clip_text("court", 10)
    'court'
    >>> len(clip_text("x" * 500, 160))
    160
    """
    text = squash(text)
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    cut = head.rsplit(" ", 1)[0] if " " in head else head
    return f"{cut.rstrip(' ,;:.-')}…"


def text_hash(text: str) -> str:
    """SHA-256 of a text's UTF-8 bytes: the ``hash`` kept in a label's provenance.

    The importer stamps imported texts with the same function, so hashes compare across.

    >>> text_hash("Tour")[:12]
    'c0323ea228dc'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
