"""How activation evidence becomes one score: the NAF ↔ CPV table and the combination rule.

Pure functions and data, so a curator (or a doctest) can check why a company got a score.

The NAF ↔ CPV compatibility table is hand-made from the two official nomenclatures' division
titles (NAF rév. 2 divisions, CPV 2008 divisions): a NAF division is compatible with the CPV
divisions whose goods or services a company of that activity typically supplies. It is
deliberately coarse (divisions only) and errs on the side of listing a pair: it is one piece
of evidence among several, never enough alone to pass the default threshold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

NAF_CPV_DIVISIONS: dict[str, tuple[str, ...]] = {
    "01": ("03", "77"), "02": ("03", "77"), "03": ("03", "15"),
    "05": ("09", "14"), "06": ("09",), "08": ("14",), "09": ("76",),
    "10": ("15",), "11": ("15",), "13": ("19", "39"), "14": ("18",), "15": ("18", "19"),
    "16": ("03", "44"), "17": ("22", "30"), "18": ("22", "79"), "19": ("09",),
    "20": ("24", "44"), "21": ("33",), "22": ("19", "44"), "23": ("14", "44"), "24": ("14", "44"),
    "25": ("35", "42", "44"), "26": ("30", "31", "32", "33", "38"), "27": ("31", "39", "42"),
    "28": ("16", "42", "43"), "29": ("34",), "30": ("34", "35"), "31": ("39",),
    "32": ("33", "37", "39"), "33": ("50", "51"), "35": ("09", "65"), "36": ("41", "65"),
    "37": ("90",), "38": ("90",), "39": ("90",), "41": ("45",), "42": ("45",),
    "43": ("45", "50", "51"), "45": ("34", "50"), "46": ("15", "30", "33", "39", "42", "43", "44"),
    "47": ("15", "30", "39"), "49": ("60",), "50": ("60",), "51": ("60",), "52": ("63",),
    "53": ("64",), "55": ("55",), "56": ("55",), "58": ("22", "48"), "59": ("92",),
    "60": ("92",), "61": ("64", "32"), "62": ("48", "72"), "63": ("72",), "64": ("66",),
    "65": ("66",), "66": ("66",), "68": ("70",), "69": ("79",), "70": ("79",), "71": ("71",),
    "72": ("73",), "73": ("79",), "74": ("79",), "75": ("85",), "77": ("34", "43", "45"),
    "78": ("79",), "79": ("63",), "80": ("79",), "81": ("77", "90"), "82": ("79",),
    "84": ("75",), "85": ("80",), "86": ("33", "85"), "87": ("85",), "88": ("85",),
    "90": ("92",), "91": ("92",), "93": ("92",), "94": ("98",), "95": ("50",), "96": ("98",),
}  # fmt: skip
"""NAF rév. 2 division (2 digits) → compatible CPV 2008 divisions (2 digits)."""

WEIGHTS: dict[str, float] = {"contracts": 0.95, "products": 0.6, "text": 0.5, "naf": 0.3}
"""How far each kind of evidence alone can lift the score (noisy-OR weights).

A won contract on the concept is nearly decisive; declared products and the company's own
description come next; NAF compatibility is a weak prior that needs support from another
source to pass the default threshold of 0.35.
"""

COSINE_FLOOR = 0.25
COSINE_CEILING = 0.65
"""MiniLM cosines below the floor carry no signal; above the ceiling they count in full."""


def naf_division(naf_code: str | None) -> str | None:
    """The 2-digit division of a NAF code in any usual spelling.

    >>> naf_division("28.41Z"), naf_division("2841Z"), naf_division(""), naf_division(None)
    ('28', '28', None, None)
    """
    digits = "".join(ch for ch in (naf_code or "") if ch.isdigit())
    return digits[:2] if len(digits) >= 2 else None


def naf_compatible(naf_code: str | None, concept_code: str | None) -> bool:
    """Whether a company's NAF division is listed as compatible with a CPV concept's division.

    >>> naf_compatible("33.12Z", "50511000"), naf_compatible("62.01Z", "50511000")
    (True, False)
    """
    division = naf_division(naf_code)
    if division is None or not concept_code or not concept_code[:2].isdigit():
        return False
    return concept_code[:2] in NAF_CPV_DIVISIONS.get(division, ())


def cosine_strength(cosine: float) -> float:
    """Map a raw cosine to a 0..1 strength (linear between floor and ceiling).

    >>> cosine_strength(0.1), cosine_strength(0.45), cosine_strength(0.9)
    (0.0, 0.5, 1.0)
    """
    span = COSINE_CEILING - COSINE_FLOOR
    return round(min(1.0, max(0.0, (cosine - COSINE_FLOOR) / span)), 4)


def contract_strength(relation: str, count: int) -> float:
    """Strength of won contracts: exact code > narrower code > broader code; more is stronger.

    >>> contract_strength("exact", 1), contract_strength("narrower", 1)
    (1.0, 0.8)
    >>> contract_strength("broader", 1), contract_strength("broader", 3)
    (0.4, 0.5)
    """
    base = {"exact": 1.0, "narrower": 0.8, "broader": 0.4}[relation]
    bonus = 0.0 if relation == "exact" else min(0.1, 0.05 * (count - 1))
    return round(min(1.0, base + bonus), 4)


def combine(strengths: Mapping[str, float], weights: Mapping[str, float] = WEIGHTS) -> float:
    """Noisy-OR of the evidence strengths: in [0, 1], monotone, any strong source suffices.

    >>> combine({})
    0.0
    >>> combine({"contracts": 1.0})
    0.95
    >>> combine({"naf": 1.0})
    0.3
    >>> combine({"naf": 1.0, "text": 0.5})
    0.475
    """
    remaining = math.prod(1.0 - weights[kind] * max(0.0, min(1.0, value))
                          for kind, value in strengths.items())  # fmt: skip
    return round(1.0 - remaining, 4)
