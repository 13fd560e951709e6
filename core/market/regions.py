"""French régions for display: names in French and English, lookup by code or by name.

Codes and French names come from ``core.geo`` (the importers' table); this adds English.
"""

from __future__ import annotations

import unicodedata

from core.errors import UserError
from core.geo import REGION_NAMES

UNKNOWN_REGION = "?"
"""Key used for items whose région is not known (shown, never silently dropped)."""

_ENGLISH = {
    "03": "French Guiana",
    "04": "Réunion",
    "27": "Burgundy-Franche-Comté",
    "28": "Normandy",
    "53": "Brittany",
    "76": "Occitania",
    "94": "Corsica",
}
REGIONS: dict[str, tuple[str, str]] = {
    code: (name, _ENGLISH.get(code, name)) for code, name in REGION_NAMES.items()
}
"""INSEE région code → (French name, English name)."""


def _fold(text: str) -> str:
    """Lower case without accents, spaces or dashes, so 'ile de france' finds Île-de-France.

    >>> _fold("Île-de-France")
    'iledefrance'
    """
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def region_name(code: str | None, lang: str = "fr") -> str:
    """Readable name of an INSEE région code (the code itself when unknown).

    >>> region_name("53")
    'Bretagne'
    >>> region_name("53", "en")
    'Brittany'
    >>> region_name(None)
    'Région inconnue'
    """
    if code is None or code == UNKNOWN_REGION or code == "":
        return "Région inconnue" if lang == "fr" else "Unknown région"
    names = REGIONS.get(code)
    if names is None:
        return code
    return names[0] if lang == "fr" else names[1]


def resolve_region(value: str | None) -> str | None:
    """Turn a région code or name (French or English, any case/accents) into its INSEE code.

    Args:
        value: ``"53"``, ``"Bretagne"``, ``"brittany"``, ``"ile-de-france"`` … or None.

    Returns:
        The two-character INSEE code, or None when ``value`` is empty.

    Raises:
        UserError: the value names no région; the message lists the valid codes.

    >>> resolve_region("bretagne")
    '53'
    >>> resolve_region("11")
    '11'
    >>> resolve_region("5")
    Traceback (most recent call last):
    ...
    core.errors.UserError: unknown région '5': give an INSEE code (01, 02, 03, 04, 06, 11, 24, 27, 28, 32, 44, 52, 53, 75, 76, 84, 93, 94) or a name such as Bretagne
    """  # noqa: E501
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value in REGIONS or value == UNKNOWN_REGION:
        return value
    folded = _fold(value)
    for code, (fr, en) in REGIONS.items():
        if folded in (_fold(fr), _fold(en)):
            return code
    raise UserError(
        f"unknown région {value!r}: give an INSEE code ({', '.join(REGIONS)}) "
        "or a name such as Bretagne"
    )
