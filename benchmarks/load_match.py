"""Load test of ``POST /match`` over loopback, beside a trivial FastAPI endpoint (prints a table).

What it does:

1. seeds a demo-like tenant in a private, temporary data dir (its own embedded PostgreSQL):
   the 776 real CPV concepts of the shipped sample (divisions 42 and 50, French and English
   labels, validated), the sample's real suppliers as companies, activated on the CPV codes of
   the contracts they won, embeddings and a FAISS index; plus an API key;
2. starts ``uvicorn api.main:create_app --factory`` on 127.0.0.1 (a free port) and, beside it,
   a bare FastAPI app with one ``GET /ping`` route, both with the same uvicorn options;
3. drives N concurrent clients (asyncio + one pooled ``httpx.AsyncClient``) for a bounded time
   per phase: ``ping`` (the trivial endpoint), ``hit`` (one query repeated: cache hits, default
   options, so explanations included), ``lean`` (the same with ``explain: false``, a smaller
   answer) and ``miss`` (a new query each time: real matches). Each phase is cut into slices
   interleaved with the others' (``--rounds``), so a change in the machine's background load
   does not favour one phase. It prints req/s, p50/p95/p99 latency, errors, the cache
   hits/misses the API reported, the mean response size and the load generator's own CPU per
   request (on a small machine the client is often the limit).

The API's rate limit is raised for the run (``API_RATE_LIMIT_PER_MINUTE``): the benchmark
measures serving, not the limiter. All traffic stays on 127.0.0.1.

    .venv/bin/python benchmarks/load_match.py                          # 200 clients, 60 s
    .venv/bin/python benchmarks/load_match.py --duration 10 --clients 50
    .venv/bin/python benchmarks/load_match.py --redis-url redis://127.0.0.1:6379/14
    .venv/bin/python benchmarks/load_match.py --json runs/load_match.json
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import csv
import itertools
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
BENCH_TENANT = "tenant_loadbench"
HIT_QUERY = "maintenance de compresseurs"
HOST = "127.0.0.1"


def ping_app() -> Any:
    """The trivial endpoint the API is compared with: a bare FastAPI app, one JSON route."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"status": "ok"}

    return app


# --- data ----------------------------------------------------------------------------------
def _rows(name: str) -> list[dict[str, str]]:
    with (SAMPLE / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def seed(tenant_id: str) -> tuple[str, dict[str, int]]:
    """Fill ``tenant_id`` (see the module docstring) and return (API key, counts)."""
    from core.apikeys import create_api_key
    from core.db import session_scope
    from core.db.migrate import upgrade_to_head
    from core.matching.index import build_index
    from core.matching.store import embed_concepts
    from core.models import CompanyConceptActivation, CompanyProfile, Concept
    from core.tenancy import ensure_tenant

    upgrade_to_head()
    cpv = _rows("cpv_sample.csv")
    parents = {row["code"]: row["parent_code"] for row in cpv}

    def path_of(code: str) -> str:
        parts = [code]
        while parents.get(parts[-1]):
            parts.append(parents[parts[-1]])
        return "/".join(reversed(parts))

    with session_scope() as session:
        ensure_tenant(session, tenant_id, name="load benchmark")
        concepts = {
            row["code"]: Concept(
                tenant_id=tenant_id,
                code=row["code"],
                taxonomy="cpv",
                labels={"fr": row["label_fr"], "en": row["label_en"]},
                path=path_of(row["code"]),
                status="validated",
                origin="imported",
            )
            for row in cpv
        }
        session.add_all(concepts.values())
        companies = {
            row["siren"]: CompanyProfile(
                tenant_id=tenant_id, siren=row["siren"], name=row["name"], source="decp"
            )
            for row in _rows("companies_sample.csv")
        }
        session.add_all(companies.values())
        session.flush()
        pairs: set[tuple[str, str]] = set()
        for contract in _rows("decp_sample.csv"):
            for supplier in contract["supplier_ids"].split("|"):
                siren, code = supplier.strip()[:9], contract["cpv_code"]
                if siren in companies and code in concepts:
                    pairs.add((siren, code))
        for siren, code in sorted(pairs):
            session.add(
                CompanyConceptActivation(
                    tenant_id=tenant_id,
                    company_id=companies[siren].company_id,
                    concept_id=concepts[code].concept_id,
                    score=1.0,
                    evidence={"source": "decp"},
                )
            )
        key = create_api_key(session, tenant_id, "load-benchmark").key
    with session_scope() as session:
        embed_concepts(session, tenant_id, progress=True)
    with session_scope() as session:
        build_index(session, tenant_id)
    return key, {"concepts": len(concepts), "companies": len(companies), "activations": len(pairs)}


def miss_queries() -> list[str]:
    """Real French needs (the sample's contract objects) to make distinct queries from."""
    texts = [row["objet"] for row in _rows("decp_sample.csv") if row["objet"].strip()]
    return sorted(set(texts))


# --- servers -------------------------------------------------------------------------------
def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(
    target: str, port: int, workers: int, env: dict[str, str], keep_alive: int = 30
) -> subprocess.Popen:
    """uvicorn (factory mode) on 127.0.0.1:port, access log off, in its own process group.

    ``keep_alive`` (uvicorn ``--timeout-keep-alive``, default 5 s there) is the same for both
    servers; with 5 s, a client process starved of CPU for seconds may reuse a connection the
    server is just closing, which shows up as a client ``ReadError``, not a server error.
    """
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        target,
        "--factory",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
        "--timeout-keep-alive",
        str(keep_alive),
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 180.0) -> None:
    """Poll ``url`` until it answers 200 (the API's /ready waits for the warmed matcher)."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with code {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} not ready after {timeout:.0f} s")


def stop_server(process: subprocess.Popen) -> None:
    """SIGINT the server's process group (uvicorn and its workers), then wait."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- load ----------------------------------------------------------------------------------
@dataclass
class PhaseResult:
    """What one phase measured (client side)."""

    name: str
    clients: int
    seconds: float
    requests: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    cache_hits: int = 0
    cache_misses: int = 0
    response_bytes: int = 0
    client_cpu_ms_per_request: float = 0.0
    latencies_ms: list[float] = field(default_factory=list, repr=False)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def merge(self, other: PhaseResult) -> PhaseResult:
        """This phase and another slice of it, as one."""
        kinds = dict(self.error_kinds)
        for kind, count in other.error_kinds.items():
            kinds[kind] = kinds.get(kind, 0) + count
        total = self.requests + other.requests
        return PhaseResult(
            name=self.name,
            clients=self.clients,
            seconds=self.seconds + other.seconds,
            requests=total,
            errors=self.errors + other.errors,
            error_kinds=kinds,
            cache_hits=self.cache_hits + other.cache_hits,
            cache_misses=self.cache_misses + other.cache_misses,
            response_bytes=self.response_bytes + other.response_bytes,
            client_cpu_ms_per_request=(
                self.client_cpu_ms_per_request * self.requests
                + other.client_cpu_ms_per_request * other.requests
            )
            / max(1, total),
            latencies_ms=self.latencies_ms + other.latencies_ms,
        )

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("latencies_ms")
        data |= {
            "rps": round(self.rps, 1),
            "p50_ms": round(self.percentile(0.50), 1),
            "p95_ms": round(self.percentile(0.95), 1),
            "p99_ms": round(self.percentile(0.99), 1),
            "mean_response_bytes": self.response_bytes // max(1, self.requests),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 1)
            if self.latencies_ms
            else None,
        }
        return data


async def run_phase(
    name: str,
    url: str,
    *,
    clients: int,
    duration: float,
    warmup: float,
    request: Any,
) -> PhaseResult:
    """``clients`` loops sending ``request(client, n)`` until the deadline; warm-up not counted."""
    import httpx

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    result = PhaseResult(name=name, clients=clients, seconds=duration)
    counter = 0
    cpu_started = time.process_time()
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60.0) as client:
        start = time.perf_counter() + warmup
        deadline = start + duration

        async def worker() -> None:
            nonlocal counter
            while (now := time.perf_counter()) < deadline:
                counter += 1
                try:
                    response = await request(client, counter)
                    ok = response.status_code == 200
                    kind = None if ok else f"HTTP {response.status_code}"
                except Exception as exc:  # a transport error is an error of the run
                    response, ok, kind = None, False, type(exc).__name__
                done = time.perf_counter()
                if now < start:
                    continue
                result.requests += 1
                result.latencies_ms.append((done - now) * 1000)
                if response is not None:
                    result.response_bytes += len(response.content)
                if not ok:
                    result.errors += 1
                    result.error_kinds[str(kind)] = result.error_kinds.get(str(kind), 0) + 1
                elif name != "ping":  # hit, lean, miss
                    body = response.content if response is not None else b""
                    result.cache_hits += b'"cache":"hit"' in body
                    result.cache_misses += b'"cache":"miss"' in body

        await asyncio.gather(*(worker() for _ in range(clients)))
    # CPU of this (client) process per request sent, warm-up included
    result.client_cpu_ms_per_request = (time.process_time() - cpu_started) * 1000 / counter
    return result


def print_table(results: list[PhaseResult]) -> None:
    """One line per phase, and the hit/ping throughput ratio."""
    header = (
        f"{'phase':<6} {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'requests':>9} {'errors':>7} {'hits':>7} {'misses':>7} {'bytes':>6} {'client ms':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.name:<6} {r.clients:>7} {r.rps:>8.1f} {r.percentile(0.5):>8.1f} "
            f"{r.percentile(0.95):>8.1f} {r.percentile(0.99):>8.1f} {r.requests:>9} "
            f"{r.errors:>7} {r.cache_hits:>7} {r.cache_misses:>7} "
            f"{r.response_bytes // max(1, r.requests):>6} {r.client_cpu_ms_per_request:>9.2f}"
        )
        if r.error_kinds:
            print(f"       errors: {r.error_kinds}")
    by_name = {r.name: r for r in results}
    for name in ("hit", "lean"):
        if "ping" in by_name and name in by_name and by_name["ping"].rps:
            ratio = by_name[name].rps / by_name["ping"].rps
            print(f"{name} throughput / trivial endpoint = {ratio:.2f} (target >= 0.5)")
    print("bytes: mean response size; client ms: CPU of the load generator per request")


def main() -> None:  # noqa: PLR0915 - a script: setup, servers, phases, report
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200, help="concurrent clients (200)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per phase (60)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=6,
        help="split each phase into this many slices, interleaved with the other phases, so a "
        "change of background load hits every phase alike (6)",
    )
    parser.add_argument(
        "--warmup", type=float, default=1.0, help="uncounted seconds per slice (1)"
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers per server (1)")
    parser.add_argument(
        "--keep-alive", type=int, default=30, help="uvicorn --timeout-keep-alive, both (30)"
    )
    parser.add_argument("--redis-url", default=None, help="REDIS_URL for the API (default none)")
    parser.add_argument(
        "--phases",
        default="ping,hit,lean,miss",
        help="comma-separated: ping, hit, lean (cache hits with explain=false), miss",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="ml_loadbench_"))
    # registered before the embedded server starts, so it runs after the server's own stop
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    env = {
        **os.environ,
        "MARKETLOUNGE_DATA_DIR": str(data_dir),
        "FAISS_INDEX_DIR": str(data_dir / "faiss_index"),
        "RUNS_DIR": str(data_dir / "runs"),
        "API_RATE_LIMIT_PER_MINUTE": "1000000000",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'benchmarks'}",
    }
    env.pop("DATABASE_URL", None)
    env.pop("MISTRAL_API_KEY", None)
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    else:
        env.pop("REDIS_URL", None)
    os.environ.update({k: v for k, v in env.items() if k != "PYTHONPATH"})
    if not args.redis_url:
        os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    from core.config import get_settings

    get_settings.cache_clear()
    started = time.perf_counter()
    key, counts = seed(BENCH_TENANT)
    print(f"seeded {BENCH_TENANT} in {data_dir}: {counts} ({time.perf_counter() - started:.1f} s)")

    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    queries = miss_queries()
    headers = {"X-API-Key": key}

    hit_body = json.dumps({"query": HIT_QUERY}).encode()  # encoded once: less client CPU
    hit_headers = {**headers, "Content-Type": "application/json"}

    async def hit(client: Any, n: int) -> Any:
        return await client.post("/match", content=hit_body, headers=hit_headers)

    lean_body = json.dumps({"query": HIT_QUERY, "explain": False}).encode()

    async def lean(client: Any, n: int) -> Any:
        return await client.post("/match", content=lean_body, headers=hit_headers)

    miss_ids = itertools.count(1)  # across slices: every miss query is new

    async def miss(client: Any, n: int) -> Any:
        i = next(miss_ids)
        text = f"{queries[i % len(queries)]} lot {i}"
        return await client.post("/match", json={"query": text}, headers=headers)

    async def ping(client: Any, n: int) -> Any:
        return await client.get("/ping")

    results: list[PhaseResult] = []
    load_before = os.getloadavg()[0]
    api_port, ping_port = free_port(), free_port()
    api = start_server("api.main:create_app", api_port, args.workers, env, args.keep_alive)
    trivial = start_server("load_match:ping_app", ping_port, args.workers, env, args.keep_alive)
    try:
        api_url, ping_url = f"http://{HOST}:{api_port}", f"http://{HOST}:{ping_port}"
        wait_ready(f"{api_url}/ready", api)
        wait_ready(f"{ping_url}/ping", trivial)
        import httpx

        warm = httpx.post(f"{api_url}/match", json={"query": HIT_QUERY}, headers=headers)
        warm.raise_for_status()
        httpx.post(f"{api_url}/match", content=lean_body, headers=hit_headers).raise_for_status()
        print(f"API up; '{HIT_QUERY}' → {[i['code'] for i in warm.json()['shortlist'][:5]]}")
        plan = {
            "ping": (ping_url, ping),
            "hit": (api_url, hit),
            "lean": (api_url, lean),
            "miss": (api_url, miss),
        }
        slice_s = args.duration / args.rounds
        merged: dict[str, PhaseResult] = {}
        for round_no in range(1, args.rounds + 1):
            for name in phases:
                url, request = plan[name]
                print(
                    f"round {round_no}/{args.rounds}, {name}: {args.clients} clients for "
                    f"{slice_s:.0f} s …",
                    flush=True,
                )
                part = asyncio.run(
                    run_phase(
                        name,
                        url,
                        clients=args.clients,
                        duration=slice_s,
                        warmup=args.warmup,
                        request=request,
                    )
                )
                merged[name] = merged[name].merge(part) if name in merged else part
        results = [merged[name] for name in phases]
    finally:
        stop_server(api)
        stop_server(trivial)
    print()
    print(
        f"{args.clients} clients, {args.duration:.0f} s per phase in {args.rounds} interleaved "
        f"slices, {args.workers} worker(s), "
        f"keep-alive {args.keep_alive} s, "
        f"cache {'redis' if args.redis_url else 'in-process'}, {os.cpu_count()} CPU(s), "
        f"load average before/after {load_before:.1f}/{os.getloadavg()[0]:.1f}"
    )
    print_table(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "clients": args.clients,
            "duration_s": args.duration,
            "rounds": args.rounds,
            "workers": args.workers,
            "redis": bool(args.redis_url),
            "seed": counts,
            "load_average_before": load_before,
            "phases": [r.summary() for r in results],
        }
        args.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
