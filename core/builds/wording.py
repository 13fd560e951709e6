"""Synonym candidates: label variants from the taxonomy and wordings that recur in examples.

Pure text functions. A curator sees every candidate with its origin, so these lean towards
precision: a variant shared by two codes is dropped, a wording must recur across several
examples of the same concept and must not be common to many concepts.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence

_PARENS = re.compile(r"\s*\(([^()]*)\)\s*")
_NEC = re.compile(r"\s+(n\.c\.a\.|n\.e\.c\.)\s*$", re.IGNORECASE)
_ACRONYM = re.compile(r"^[A-Z]{2,6}$")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)

STOPWORDS = frozenset(
    [
        "a",
        "à",
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "d",
        "de",
        "des",
        "du",
        "en",
        "et",
        "l",
        "la",
        "le",
        "les",
        "leur",
        "n",
        "ou",
        "par",
        "pour",
        "sur",
        "dans",
        "un",
        "une",
        "sans",
        "selon",
        "son",
        "sa",
        "ses",
        "the",
        "of",
        "and",
        "for",
        "to",
        "an",
        "in",
        "on",
        "with",
        "by",
        "or",
        "at",
        "from",
        "y",
    ]
)
"""Glue words a wording may contain but not start or end with (French and English)."""

BOILERPLATE = frozenset(
    [
        "lot",
        "lots",
        "marché",
        "marchés",
        "accord",
        "accords",
        "cadre",
        "relatif",
        "relative",
        "relatifs",
        "relatives",
        "concernant",
        "divers",
        "diverses",
        "ensemble",
        "type",
        "site",
        "sites",
        "ville",
        "commune",
        "année",
        "années",
        "n°",
        "prestation",
        "prestations",
        "fourniture",
        "fournitures",
        "objet",
    ]
)
"""Tender boilerplate: never part of a wording."""

_SEGMENT = re.compile(r"[,;:()\[\]/|–—]|\s-\s|\.\s")


def fold(text: str) -> str:
    """Lower case without accents, for comparisons only (never shown).

    >>> fold("Électricité  Générale")
    'electricite generale'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", stripped).strip().casefold()


def label_variants(label: str) -> list[str]:
    """Shorter spellings of a taxonomy label that users type.

    >>> label_variants("Moteurs hydrauliques (véhicules)")
    ['Moteurs hydrauliques']
    >>> label_variants("Engins de transport indépendants (FSVS)")
    ['Engins de transport indépendants', 'FSVS']
    >>> label_variants("Fabrication de machines et équipements n.c.a.")
    ['Fabrication de machines et équipements']
    >>> label_variants("Pompes")
    []
    """
    variants: list[str] = []
    for match in _PARENS.finditer(label):
        inner = match.group(1).strip()
        if _ACRONYM.match(inner):
            variants.append(inner)
    without = _PARENS.sub(" ", label).strip()
    without = _NEC.sub("", without).strip()
    if without and len(without) >= 4 and fold(without) != fold(label):
        variants.insert(0, without)
    seen: set[str] = set()
    unique = []
    for variant in variants:
        if fold(variant) not in seen:
            seen.add(fold(variant))
            unique.append(variant)
    return unique


def unambiguous_variants(labels: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Variants per code, without those shared by several codes or equal to another's label.

    Args:
        labels: code → its labels (all languages).

    >>> unambiguous_variants({"1": ["Moteurs (véhicules)"], "2": ["Moteurs (puissance)"],
    ...                       "3": ["Pompes (à eau)"]})
    {'1': [], '2': [], '3': ['Pompes']}
    """
    proposals = {code: [v for label in texts for v in label_variants(label)] for code, texts in
                 labels.items()}  # fmt: skip
    owners: dict[str, set[str]] = {}
    for code, variants in proposals.items():
        for variant in variants:
            owners.setdefault(fold(variant), set()).add(code)
    for code, texts in labels.items():
        for label in texts:
            owners.setdefault(fold(label), set()).add(code)
    result: dict[str, list[str]] = {}
    for code, variants in proposals.items():
        kept: list[str] = []
        for variant in variants:
            if owners[fold(variant)] == {code} and variant not in kept:
                kept.append(variant)
        result[code] = kept
    return result


def ngrams(text: str, *, max_n: int = 3) -> set[str]:
    """Word n-grams (1..max_n) inside punctuation-delimited segments, without boilerplate.

    A wording neither starts nor ends with a glue word and never spans a comma, a colon or a
    dash between spaces (``Lot 1 : Rive droite`` is two segments).

    >>> sorted(ngrams("Maintenance des pompes à chaleur", max_n=2))
    ['chaleur', 'maintenance', 'pompes']
    >>> sorted(ngrams("Portails motorisés - Lot 2 : chauffe-bains", max_n=3))
    ['chauffe-bains', 'motorisés', 'portails', 'portails motorisés']
    """
    grams: set[str] = set()
    for segment in _SEGMENT.split(text):
        words = [word.casefold() for word in _WORD.findall(segment)]
        for n in range(1, max_n + 1):
            for start in range(len(words) - n + 1):
                gram = words[start : start + n]
                if gram[0] in STOPWORDS or gram[-1] in STOPWORDS:
                    continue
                if any(word in BOILERPLATE for word in gram):
                    continue
                if n == 1 and len(gram[0]) < 3:
                    continue
                grams.add(" ".join(gram))
    return grams


def _covered(gram: str, known_folded: Sequence[str]) -> bool:
    pattern = re.compile(rf"(^|\W){re.escape(fold(gram))}(\W|$)")
    return any(pattern.search(text) for text in known_folded)


def frequent_wordings(
    texts: Sequence[str],
    known: Iterable[str],
    *,
    common: Collection[str] = (),
    min_count: int = 2,
    min_share: float = 0.25,
    max_items: int = 5,
) -> list[str]:
    """Wordings that recur across a concept's example texts and are not yet known.

    A wording must appear in at least ``min_count`` texts and ``min_share`` of them, must not
    already occur inside a label or synonym (``known``), and must not be in ``common`` (the
    boilerplate shared by many concepts, see :func:`common_wordings`). A longer wording
    replaces the shorter ones it contains when it is as frequent.

    >>> texts = ["Entretien des groupes électrogènes du CHU", "Groupes électrogènes : entretien",
    ...          "Location de groupes électrogènes", "Entretien chaudières"]
    >>> frequent_wordings(texts, ["Services de réparation et d'entretien"])
    ['groupes électrogènes']
    """
    if len(texts) < min_count:
        return []
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(ngrams(text))
    known_folded = [fold(text) for text in known if text]
    common_folded = {fold(gram) for gram in common}
    needed = max(min_count, min_share * len(texts))
    candidates = [
        gram
        for gram, count in counts.items()
        if count >= needed and fold(gram) not in common_folded and not _covered(gram, known_folded)
    ]
    candidates.sort(key=lambda gram: (-counts[gram], -len(gram.split()), gram))
    chosen: list[str] = []
    for gram in candidates:
        if any(
            counts[other] >= counts[gram] and _covered(gram, [fold(other)]) for other in chosen
        ):
            continue
        chosen.append(gram)
        if len(chosen) == max_items:
            break
    return chosen


def common_wordings(groups: Sequence[Sequence[str]], *, max_share: float = 0.2) -> set[str]:
    """N-grams present in more than ``max_share`` of the groups (one group per concept).

    With fewer than five groups nothing is called common: the share would mean little.

    >>> groups = [["travaux de pompes"], ["travaux de vannes"], ["travaux de fours"],
    ...           ["travaux de grues"], ["entretien de tours"]]
    >>> sorted(common_wordings(groups, max_share=0.5))
    ['travaux']
    """
    if len(groups) < 5:
        return set()
    counts: Counter[str] = Counter()
    for texts in groups:
        seen: set[str] = set()
        for text in texts:
            seen |= ngrams(text)
        counts.update(seen)
    return {gram for gram, count in counts.items() if count > max_share * len(groups)}
