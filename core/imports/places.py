"""Département and région cells of import files, checked against the INSEE table."""

from __future__ import annotations

from core.geo import DEPARTEMENT_REGION, REGION_NAMES, departement_of, region_of


def resolve_place(departement: str, region: str) -> tuple[str | None, str | None, str | None]:
    """Validated ``(departement, region, problem)`` from two optional cells.

    The département may be written as a postal code (its first digits are used); the région
    is derived from it when the région cell is empty. ``problem`` says what is wrong, for the
    caller to prefix with the row number.

    >>> resolve_place("13", "")
    ('13', '93', None)
    >>> resolve_place("", "84")
    (None, '84', None)
    >>> resolve_place("99", "")[2]
    "unknown département '99' (use an INSEE code such as 13, 2A or 974)"
    >>> resolve_place("", "10")[2]
    "unknown région '10' (use an INSEE 2016 région code such as 84)"
    """
    dep: str | None = None
    reg: str | None = None
    if departement:
        dep = departement_of(departement)
        if dep is None or dep not in DEPARTEMENT_REGION:
            return (
                None,
                None,
                (f"unknown département {departement!r} (use an INSEE code such as 13, 2A or 974)"),
            )
    if region:
        if region not in REGION_NAMES:
            return (
                None,
                None,
                f"unknown région {region!r} (use an INSEE 2016 région code such as 84)",
            )
        reg = region
    elif dep:
        reg = region_of(dep)
    return dep, reg, None
