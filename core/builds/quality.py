"""Quality checks of a glossary tree: cycles, orphans, duplicates, missing labels, clashes.

Pure functions over plain records, so the same checks run on a file before import, on the
database after it, and in doctests. The importer already refuses cycles and duplicates in a
file; these checks also catch what a tree can drift into over several imports (a parent
retired, two codes that ended up with the same label).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

CHECKS: dict[str, tuple[str, str]] = {
    "cycle": ("error", "the parent chain loops back on itself / cycle dans la hiérarchie"),
    "orphan": ("error", "the parent code does not exist / parent introuvable"),
    "duplicate_code": ("error", "the same code appears more than once / code en double"),
    "missing_label": ("warning", "no label in this language / libellé manquant"),
    "label_clash": ("warning", "same label, different codes / même libellé, codes différents"),
}
"""Check name → (severity, what it means), in the order the report lists them."""

REPORT_COLUMNS = ["check", "severity", "code", "lang", "detail"]


@dataclass(frozen=True)
class NodeRecord:
    """The parts of a glossary node the checks need."""

    code: str
    parent_code: str | None
    level: int
    labels: Mapping[str, str] = field(default_factory=dict)


def find_cycles(parents: Mapping[str, str | None]) -> list[list[str]]:
    """Every cycle of the ``code → parent code`` relation, each listed once.

    >>> find_cycles({"a": None, "b": "a", "c": "d", "d": "c"})
    [['c', 'd']]
    >>> find_cycles({"x": "x"})
    [['x']]
    """
    state: dict[str, int] = {}  # 1 = on the current chain, 2 = done
    cycles: list[list[str]] = []
    for start in parents:
        chain: list[str] = []
        node: str | None = start
        while node is not None and node in parents and state.get(node) is None:
            state[node] = 1
            chain.append(node)
            node = parents[node]
        if node is not None and state.get(node) == 1:
            cycle = chain[chain.index(node) :]
            first = cycle.index(min(cycle))
            cycles.append(cycle[first:] + cycle[:first])
        for visited in chain:
            state[visited] = 2
    return sorted(cycles)


def find_orphans(parents: Mapping[str, str | None]) -> list[str]:
    """Codes whose parent code is given but absent.

    >>> find_orphans({"a": None, "b": "a", "c": "zz"})
    ['c']
    """
    return sorted(code for code, parent in parents.items() if parent and parent not in parents)


def find_duplicates(codes: Iterable[str]) -> list[str]:
    """Codes that occur more than once.

    >>> find_duplicates(["1", "2", "1", "3", "2"])
    ['1', '2']
    """
    seen: set[str] = set()
    duplicates: set[str] = set()
    for code in codes:
        (duplicates if code in seen else seen).add(code)
    return sorted(duplicates)


def normalise_label(label: str) -> str:
    """Case- and space-insensitive form used to spot clashes (accents are kept).

    >>> normalise_label("  Pompes   à  VIDE ")
    'pompes à vide'
    """
    return re.sub(r"\s+", " ", label).strip().casefold()


def label_clashes(
    nodes: Iterable[NodeRecord], languages: Sequence[str]
) -> dict[tuple[str, str], list[str]]:
    """``(lang, normalised label) → codes`` for labels shared by several codes.

    >>> nodes = [NodeRecord("1", None, 1, {"fr": "Tours"}), NodeRecord("2", "1", 2,
    ...          {"fr": "tours"}), NodeRecord("3", "1", 2, {"fr": "Fraiseuses"})]
    >>> label_clashes(nodes, ["fr"])
    {('fr', 'tours'): ['1', '2']}
    """
    by_label: dict[tuple[str, str], set[str]] = defaultdict(set)
    for node in nodes:
        for lang in languages:
            label = node.labels.get(lang)
            if label and label.strip():
                by_label[(lang, normalise_label(label))].add(node.code)
    return {key: sorted(codes) for key, codes in sorted(by_label.items()) if len(codes) > 1}


def quality_report(nodes: Sequence[NodeRecord], languages: Sequence[str]) -> pd.DataFrame:
    """One row per problem found: ``check, severity, code, lang, detail``.

    >>> report = quality_report([NodeRecord("1", None, 1, {"fr": "A", "en": "A"}),
    ...                          NodeRecord("2", "9", 2, {"fr": "B"})], ["fr", "en"])
    >>> report[["check", "code", "lang"]].values.tolist()
    [['orphan', '2', None], ['missing_label', '2', 'en']]
    """
    rows: list[dict[str, object]] = []

    def add(check: str, code: str, lang: str | None, detail: str) -> None:
        rows.append(
            {"check": check, "severity": CHECKS[check][0], "code": code, "lang": lang,
             "detail": detail}
        )  # fmt: skip

    parents = {node.code: node.parent_code for node in nodes}
    for cycle in find_cycles(parents):
        add("cycle", cycle[0], None, " → ".join([*cycle, cycle[0]]))
    for code in find_orphans(parents):
        add("orphan", code, None, f"parent {parents[code]} not found")
    for code in find_duplicates(node.code for node in nodes):
        add("duplicate_code", code, None, "code listed more than once")
    for node in nodes:
        for lang in languages:
            if not (node.labels.get(lang) or "").strip():
                add("missing_label", node.code, lang, f"no {lang} label")
    for (lang, label), codes in label_clashes(nodes, languages).items():
        add("label_clash", codes[0], lang, f"{label!r} is the label of {', '.join(codes)}")
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)


def quality_summary(report: pd.DataFrame) -> pd.DataFrame:
    """Problems per check, zeros included, so a clean tree visibly reads all zeros.

    >>> summary = quality_summary(quality_report([NodeRecord("1", None, 1, {"fr": "A"})], ["fr"]))
    >>> summary[["check", "problems"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['cycle', 0], ['orphan', 0], ['duplicate_code', 0], ['missing_label', 0],
     ['label_clash', 0]]
    """
    counts = report["check"].value_counts() if len(report) else pd.Series(dtype=int)
    return pd.DataFrame(
        [
            {"check": check, "severity": severity, "problems": int(counts.get(check, 0)),
             "meaning": meaning}
            for check, (severity, meaning) in CHECKS.items()
        ]
    )  # fmt: skip


def level_counts(nodes: Iterable[NodeRecord]) -> pd.DataFrame:
    """Nodes per level of the tree.

    >>> level_counts([NodeRecord("1", None, 1), NodeRecord("2", "1", 2),
    ...               NodeRecord("3", "1", 2)]).values.tolist()
    [[1, 1], [2, 2]]
    """
    counts: dict[int, int] = defaultdict(int)
    for node in nodes:
        counts[node.level] += 1
    return pd.DataFrame(sorted(counts.items()), columns=["level", "nodes"])
