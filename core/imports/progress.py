"""Bulk-write plumbing of the importers: progress bars, batches, grouped updates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.orm import Session

T = TypeVar("T")


def progress_iter(
    items: Iterable[T], *, enabled: bool, desc: str, total: int | None = None
) -> Iterator[T]:
    """Yield ``items``, drawing a tqdm bar on stderr when ``enabled``.

    >>> list(progress_iter([1, 2], enabled=False, desc="x"))
    [1, 2]
    """
    if not enabled:
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, desc=desc, total=total, unit="row", leave=False)


def written_in_batches(
    items: list[T], size: int, *, enabled: bool, desc: str
) -> Iterator[list[T]]:
    """Batches of ``items`` with a bar counting rows (not batches) as each one is yielded.

    >>> [len(batch) for batch in written_in_batches([1, 2, 3], 2, enabled=False, desc="x")]
    [2, 1]
    """
    if not enabled or not items:
        yield from chunks(items, size)
        return
    from tqdm import tqdm

    with tqdm(total=len(items), desc=desc, unit="row", leave=False) as bar:
        for batch in chunks(items, size):
            yield batch
            bar.update(len(batch))


def chunks(items: list[T], size: int) -> Iterator[list[T]]:
    """Consecutive slices of at most ``size`` items (bulk statements stay bounded).

    >>> list(chunks([1, 2, 3], 2))
    [[1, 2], [3]]
    """
    for start in range(0, len(items), size):
        yield items[start : start + size]


def bulk_update(
    session: Session, model: type[Any], rows: list[dict[str, Any]], *, size: int = 2000
) -> None:
    """ORM bulk UPDATE by primary key, grouping rows that change the same columns.

    One ``executemany`` per group and batch instead of one round-trip per row; rows must
    carry the primary key.
    """
    groups: dict[frozenset[str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[frozenset(row)].append(row)
    for group in groups.values():
        for batch in chunks(group, size):
            session.execute(update(model), batch)
