"""How fast is curation on a real taxonomy? (prints a table; not a test)

Loads the first N codes of the full CPV 2008 (``../shared/data/cpv_2008.csv``) as draft
concepts with real MiniLM embeddings into a throwaway tenant, proposes merges for pairs above
cosine 0.92 (like the dico build), then times what the workbench calls: the prioritised queue
(with and without the live exact-nearest pass), one concept's evidence, accept + undo, and a
bulk accept. The tenant is deleted at the end.

    MARKETLOUNGE_DATA_DIR=/tmp/mlbench .venv/bin/python benchmarks/bench_curation.py
    .venv/bin/python benchmarks/bench_curation.py --sizes 1000 9454

Uses the configured database (the embedded one in MARKETLOUNGE_DATA_DIR by default).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

CPV = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "cpv_2008.csv"


def _timed(func: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Median wall time in ms over ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def _load(n: int) -> list[dict[str, str]]:
    with CPV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))[:n]


def _paths(rows: list[dict[str, str]]) -> dict[str, str]:
    parents = {r["code"]: r["parent_code"] or None for r in rows}
    paths: dict[str, str] = {}
    for code in parents:
        chain, node = [], code
        while node is not None and node in parents and len(chain) < 10:
            chain.append(node)
            node = parents[node]
        paths[code] = "/".join(reversed(chain))
    return paths


def bench(n: int, vectors: np.ndarray, rows: list[dict[str, str]]) -> dict[str, float]:
    import importlib

    from core import curation
    from core.db import session_scope
    from core.models import Concept, MergeProposal, Tenant
    from core.tenancy import ensure_tenant

    queue_module = importlib.import_module("core.curation.queue")
    tenant = f"tenant_bench_cur_{uuid.uuid4().hex[:8]}"
    paths = _paths(rows)
    figures: dict[str, float] = {"concepts": n}
    started = time.perf_counter()
    with session_scope() as s:
        ensure_tenant(s, tenant)
        concepts = [
            Concept(
                tenant_id=tenant, code=r["code"], taxonomy="cpv",
                labels={"fr": r["label_fr"], "en": r["label_en"]}, synonyms={}, definitions={},
                provenance={}, path=paths[r["code"]], status="draft",
                embedding=vectors[i].tolist(), embedding_model="bench",
            )
            for i, r in enumerate(rows)
        ]  # fmt: skip
        s.add_all(concepts)
        s.flush()
        ids = [c.concept_id for c in concepts]
        sims = vectors @ vectors.T
        np.fill_diagonal(sims, -1)
        best = sims.argmax(axis=1)
        pairs = {(min(i, j), max(i, j)) for i, j in enumerate(best) if sims[i, j] >= 0.92}
        s.add_all(
            MergeProposal(tenant_id=tenant, concept_id=ids[i], other_concept_id=ids[j],
                          cosine=float(sims[i, j]))
            for i, j in pairs
        )  # fmt: skip
    figures["setup_s"] = round(time.perf_counter() - started, 1)
    figures["merge_proposals"] = len(pairs)
    try:
        with session_scope() as s:
            figures["queue_ms"], items = _timed(lambda: curation.queue(s, tenant))
            saved = queue_module.NEAREST_PAIR_BUDGET
            queue_module.NEAREST_PAIR_BUDGET = 0
            figures["queue_no_nearest_ms"], _ = _timed(lambda: curation.queue(s, tenant))
            queue_module.NEAREST_PAIR_BUDGET = saved
            figures["live_nearest"] = float(n * n <= saved)
            figures["queue_filtered_ms"], _ = _timed(
                lambda: curation.queue(s, tenant, branch=rows[0]["code"], search="pompe")
            )
            top = items[0].concept_id
            figures["evidence_ms"], _ = _timed(lambda: curation.evidence(s, tenant, top))

            def accept_undo() -> None:
                event = curation.accept(s, tenant, top, actor="bench")
                curation.undo(s, tenant, event.event_id, actor="bench")

            figures["accept_undo_ms"], _ = _timed(accept_undo)
            batch = [i.concept_id for i in items if i.concept_id != top][:500]
            started = time.perf_counter()
            curation.bulk(s, tenant, batch, "accept", actor="bench")
            figures["bulk_accept_500_ms"] = (time.perf_counter() - started) * 1000
    finally:
        with session_scope() as s:
            s.delete(s.get(Tenant, tenant))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[850, 2000, 9454])
    args = parser.parse_args()
    from core.db.migrate import upgrade_to_head
    from core.matching.embed import get_encoder

    upgrade_to_head()
    from core.config import get_settings

    rows = _load(max(args.sizes))
    cache = get_settings().data_dir / "cache" / f"bench_curation_cpv_{len(rows)}.npy"
    if cache.is_file():
        vectors = np.load(cache)
        print(f"CPV label vectors read from {cache}")
    else:
        started = time.perf_counter()
        vectors = np.asarray(
            get_encoder().encode_documents([r["label_fr"] for r in rows], progress=True),
            dtype=np.float32,
        )
        print(f"encoded {len(rows)} CPV labels in {time.perf_counter() - started:.1f} s")
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, vectors)
    results = [bench(n, vectors[:n], rows[:n]) for n in args.sizes]
    keys = list(results[0])
    print(f"{'figure':<22}" + "".join(f"{int(r['concepts']):>12}" for r in results))
    for key in keys[1:]:
        print(f"{key:<22}" + "".join(f"{r[key]:>12.1f}" for r in results))


if __name__ == "__main__":
    main()
