"""SIREN / SIRET identifiers of French companies: checksum validation and extraction."""

from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"[\s.\-]")


def clean_identifier(value: object) -> str:
    """Drop the spaces, dots and dashes people type inside SIREN/SIRET numbers.

    >>> clean_identifier(" 802 684 969 000 16 ")
    '80268496900016'
    >>> clean_identifier(None)
    ''
    """
    if value is None:
        return ""
    return _NON_DIGITS.sub("", str(value))


def luhn_ok(digits: str) -> bool:
    """Luhn checksum of a string of digits (what INSEE uses for SIREN and SIRET).

    >>> luhn_ok("732829320")
    True
    >>> luhn_ok("732829321")
    False
    """
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def is_valid_siren(value: str) -> bool:
    """True when ``value`` is exactly 9 ASCII digits with a valid Luhn checksum.

    The check catches most typos (one wrong digit, two swapped digits), which is why
    imports refuse a SIREN that fails it rather than store a company nobody can find.

    >>> is_valid_siren("732829320")
    True
    >>> is_valid_siren("732829321")
    False
    >>> is_valid_siren("73282932")
    False
    >>> is_valid_siren("abcdefghi")
    False
    """
    return (
        isinstance(value, str)
        and len(value) == 9
        and value.isascii()
        and value.isdigit()
        and luhn_ok(value)
    )


def siren_from_siret(siret: object) -> str | None:
    """The SIREN (first 9 digits) of a SIRET, or ``None`` when it is not one.

    Spaces inside the number are tolerated (real files have them). The SIREN part must pass
    its own Luhn check; the SIRET's overall checksum is not required because some public
    establishments (La Poste) are exempt from it.

    >>> siren_from_siret("73282932000074")
    '732829320'
    >>> siren_from_siret("732 829 320 00074")
    '732829320'
    >>> siren_from_siret("73282932100074") is None
    True
    >>> siren_from_siret("FR54775684764") is None
    True
    >>> siren_from_siret(None) is None
    True
    """
    digits = clean_identifier(siret)
    if len(digits) != 14 or not digits.isdigit():
        return None
    siren = digits[:9]
    return siren if is_valid_siren(siren) else None
