"""Text normalisation shared by every lexical comparison (queries, labels, examples).

Both sides of a comparison go through :func:`normalize`, so the rules only need to be
*consistent*, not linguistically perfect: case and accent folding, punctuation and elisions
(``l'usinage``) removed, French and English stop words dropped, and a light plural/feminine
stemmer so that ``Pièces usinées`` and ``piece usinee`` meet. The stemmer is applied until
nothing changes (a fixed point), which makes the whole function idempotent.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_STOP_WORDS_TEXT = (
    "a au aux avec ce ces cet cette d dans de des du elle en et eux il ils je l la le les leur "
    "leurs lui m ma mais me meme mes moi mon n ne nos notre nous on ou par pas pour qu que qui s "
    "sa se ses son sur ta te tes toi ton tu un une vos votre vous y sans sous chez dont entre "
    "vers afin ainsi selon etc via ci ca cela ceci celle celui ceux est sont ete etre "
    "an and are as at be by for from has have in into is it its of on or per than that the "
    "their them these this those to was were will with within without which who whom whose "
    "other others"
)
STOP_WORDS: frozenset[str] = frozenset(_STOP_WORDS_TEXT.split())
"""French and English function words that never carry know-how (folded, unaccented)."""

_SPECIAL_FOLDS = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ø": "o", "ß": "ss"})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case, strip accents and ligatures, keep only ASCII letters and digits.

    >>> fold("Pièces Usinées / Œuvre (n°2)")
    'pieces usinees oeuvre n 2'
    """
    text = unicodedata.normalize("NFKD", text.translate(_SPECIAL_FOLDS).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", text).strip()


def _stem_once(word: str) -> str:
    """One step of the light FR/EN stemmer (plurals, feminine ``e``, ``-aux``, ``-ies``)."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("eaux"):
        return word[:-1]
    if word.endswith("aux") and len(word) > 4:
        return word[:-3] + "al"
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("x") and word[-3:-1] in ("eu", "au", "ou"):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    if word.endswith("e") and len(word) > 4:
        return word[:-1]
    return word


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Apply the light stemmer until it stops changing the word (so it is idempotent).

    >>> [stem(w) for w in ("pieces", "usinees", "metaux", "bureaux", "batteries", "titane")]
    ['piec', 'usin', 'metal', 'bureau', 'battery', 'titan']
    >>> stem(stem("compresseurs")) == stem("compresseurs")
    True
    """
    while True:
        shorter = _stem_once(word)
        if shorter == word:
            return word
        word = shorter


def _keep(token: str) -> bool:
    return bool(token) and token not in STOP_WORDS and (len(token) > 1 or token.isdigit())


def tokens(text: str) -> list[str]:
    """The normalised tokens of ``text``, in order (duplicates kept).

    >>> tokens("L'usinage des pièces en titane")
    ['usinag', 'piec', 'titan']
    >>> tokens("Maintenance of the air compressors")
    ['maintenanc', 'air', 'compressor']
    """
    out: list[str] = []
    for raw in fold(text).split():
        if not _keep(raw):
            continue
        stemmed = stem(raw)
        if _keep(stemmed):
            out.append(stemmed)
    return out


def normalize(text: str) -> str:
    """Fold, drop stop words and stem: the form every lexical comparison uses.

    Idempotent: ``normalize(normalize(x)) == normalize(x)`` for every string.

    >>> normalize("  USINAGE du Titane !! ")
    'usinag titan'
    >>> normalize(normalize("Travaux d'électricité")) == normalize("Travaux d'électricité")
    True
    >>> normalize("le la les")
    ''
    """
    return " ".join(tokens(text))
