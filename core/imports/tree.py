"""Pure tree helpers for taxonomies: materialised paths and the cycles that prevent them."""

from __future__ import annotations

from collections.abc import Mapping


def resolve_paths(parents: Mapping[str, str | None]) -> tuple[dict[str, str], list[list[str]]]:
    """The ``/``-joined path of codes from the root of each code, and the parent cycles.

    Every non-empty parent must itself be a key of ``parents`` (check unknown parents first).
    Codes on a cycle, or below one, get no path; each cycle is returned once, as the list of
    codes met when walking up from one of its members.

    Args:
        parents: code → parent code (``None`` or ``""`` for a root).

    >>> paths, cycles = resolve_paths({"42": None, "421": "42", "4211": "421"})
    >>> paths["4211"], cycles
    ('42/421/4211', [])
    >>> paths, cycles = resolve_paths({"a": "b", "b": "a", "c": "a", "r": None})
    >>> sorted(paths), cycles
    (['r'], [['a', 'b']])
    """
    paths: dict[str, str] = {}
    bad: set[str] = set()
    cycles: list[list[str]] = []
    for start in parents:
        if start in paths or start in bad:
            continue
        chain = [start]
        position = {start: 0}
        prefix: str | None
        while True:
            parent = parents[chain[-1]]
            if not parent:
                prefix = ""
                break
            if parent in paths:
                prefix = paths[parent] + "/"
                break
            if parent in bad:
                prefix = None
                break
            if parent in position:
                cycles.append(chain[position[parent] :])
                prefix = None
                break
            position[parent] = len(chain)
            chain.append(parent)
        if prefix is None:
            bad.update(chain)
            continue
        for code in reversed(chain):
            paths[code] = prefix + code
            prefix = paths[code] + "/"
    return paths, cycles


def depth(path: str) -> int:
    """Level of a node from its path (a root is level 1).

    >>> depth("42000000"), depth("42000000/42100000/42110000")
    (1, 3)
    """
    return path.count("/") + 1
