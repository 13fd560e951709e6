"""French places → INSEE région codes (2016 régions), from département, postal or commune codes.

The table is public knowledge (INSEE's Code officiel géographique) and small enough to ship
as code, so the market analytics need no download and no geocoding service.
"""

from __future__ import annotations

import re

REGION_NAMES: dict[str, str] = {
    "01": "Guadeloupe",
    "02": "Martinique",
    "03": "Guyane",
    "04": "La Réunion",
    "06": "Mayotte",
    "11": "Île-de-France",
    "24": "Centre-Val de Loire",
    "27": "Bourgogne-Franche-Comté",
    "28": "Normandie",
    "32": "Hauts-de-France",
    "44": "Grand Est",
    "52": "Pays de la Loire",
    "53": "Bretagne",
    "75": "Nouvelle-Aquitaine",
    "76": "Occitanie",
    "84": "Auvergne-Rhône-Alpes",
    "93": "Provence-Alpes-Côte d'Azur",
    "94": "Corse",
}
"""INSEE code of each of the 18 régions (since 1 January 2016) → French name."""

_REGION_DEPARTEMENTS: dict[str, tuple[str, ...]] = {
    "01": ("971",),
    "02": ("972",),
    "03": ("973",),
    "04": ("974",),
    "06": ("976",),
    "11": ("75", "77", "78", "91", "92", "93", "94", "95"),
    "24": ("18", "28", "36", "37", "41", "45"),
    "27": ("21", "25", "39", "58", "70", "71", "89", "90"),
    "28": ("14", "27", "50", "61", "76"),
    "32": ("02", "59", "60", "62", "80"),
    "44": ("08", "10", "51", "52", "54", "55", "57", "67", "68", "88"),
    "52": ("44", "49", "53", "72", "85"),
    "53": ("22", "29", "35", "56"),
    "75": ("16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"),
    "76": ("09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"),
    "84": ("01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"),
    "93": ("04", "05", "06", "13", "83", "84"),
    "94": ("2A", "2B"),
}

DEPARTEMENT_REGION: dict[str, str] = {
    dep: region for region, deps in _REGION_DEPARTEMENTS.items() for dep in deps
}
"""Département code (``01`` … ``95``, ``2A``, ``2B``, ``971`` … ``976``) → région code."""

_DEPARTEMENT_TYPES = ("departement", "département", "dep")
_REGION_TYPES = ("region", "région", "reg")
_COUNTRY_TYPES = ("pays", "country")
_ARRONDISSEMENT_TYPES = ("arrondissement",)
_STRIP_TYPE = re.compile(r"^code\s+")


def _kind(place_type: str | None) -> str:
    """Normalise the DECP ``place_code_type`` wording (``Code département`` …) to a kind.

    >>> _kind("Code département"), _kind("Code postal"), _kind(None)
    ('departement', 'postal', 'auto')
    """
    if not place_type:
        return "auto"
    wording = _STRIP_TYPE.sub("", place_type.strip().lower())
    for kind, words in (
        ("departement", _DEPARTEMENT_TYPES),
        ("region", _REGION_TYPES),
        ("country", _COUNTRY_TYPES),
        ("arrondissement", _ARRONDISSEMENT_TYPES),
    ):
        if wording in words:
            return kind
    if "postal" in wording:
        return "postal"
    if "commune" in wording or "insee" in wording:
        return "commune"
    return "auto"


def _departement_of_five(code: str, *, postal: bool) -> str | None:
    """Département of a 5-character postal or commune code.

    >>> _departement_of_five("13270", postal=True), _departement_of_five("97439", postal=True)
    ('13', '974')
    >>> _departement_of_five("20200", postal=True), _departement_of_five("2B033", postal=False)
    ('2B', '2B')
    """
    if code[:2] in ("2A", "2B"):
        return code[:2]
    if not code.isdigit():
        return None
    if code.startswith("97"):
        return code[:3]
    if code.startswith("20"):
        if not postal:  # pre-1976 commune codes 20xxx: Corsica, side unknown
            return "20"
        return "2A" if int(code) < 20200 else "2B"
    return code[:2]


def departement_of(place_code: str | None, place_type: str | None = None) -> str | None:
    """The département code of a place, or ``None`` when it cannot be told.

    Args:
        place_code: a département (``13``, ``2A``, ``971``), postal code (``13270``) or
            INSEE commune code (``2B033``); a leading ``FR`` and spaces are tolerated.
        place_type: the source's own wording (``Code postal``, ``Code commune``,
            ``Code département``…); ``None`` guesses from the length of the code.

    >>> departement_of("13270", "Code postal")
    '13'
    >>> departement_of("078", "Code département")
    '78'
    >>> departement_of("54000", "Code département")
    '54'
    >>> departement_of("FR75012", "Code postal")
    '75'
    >>> departement_of("250", "Code pays") is None
    True
    """
    if place_code is None:
        return None
    code = re.sub(r"\s", "", str(place_code)).upper()
    if code.startswith("FR"):
        code = code[2:]
    kind = _kind(place_type)
    if not code or kind in ("country", "region"):
        return None
    if kind == "arrondissement":
        code = code[:3] if code.startswith("97") else code[:2]
    if len(code) == 3 and code.startswith("0") and code[1:] in DEPARTEMENT_REGION:
        code = code[1:]  # "078" written with a padding zero
    if code in DEPARTEMENT_REGION or code == "20":
        return code
    if len(code) == 5:
        found = _departement_of_five(code, postal=kind != "commune")
        if found in DEPARTEMENT_REGION or found == "20":
            return found
    return None


def region_of(place_code: str | None, place_type: str | None = None) -> str | None:
    """The INSEE région code (2016 régions) of a French place, or ``None`` if unknown.

    Accepts a département, postal or commune code (see :func:`departement_of`) and also a
    région code when ``place_type`` says so. Places abroad, whole-country codes and
    unknown codes give ``None`` rather than a guess.

    >>> region_of("13")
    '93'
    >>> region_of("2A"), region_of("20200", "Code postal"), region_of("20")
    ('94', '94', '94')
    >>> region_of("97439", "Code postal"), region_of("976")
    ('04', '06')
    >>> region_of("69123", "Code commune")
    '84'
    >>> region_of("28", "Code région")
    '28'
    >>> region_of("00000", "Code postal") is None, region_of(None) is None
    (True, True)
    """
    if place_code is None:
        return None
    if _kind(place_type) == "region":
        code = str(place_code).strip()
        return code if code in REGION_NAMES else None
    departement = departement_of(place_code, place_type)
    if departement == "20":
        return "94"
    return DEPARTEMENT_REGION.get(departement) if departement else None


def region_name(region_code: str | None) -> str | None:
    """French name of a région code.

    >>> region_name("84")
    'Auvergne-Rhône-Alpes'
    >>> region_name("99") is None
    True
    """
    return REGION_NAMES.get(region_code) if region_code else None
