"""Time the full real imports (CPV, NAF, DECP contracts) into a throwaway tenant.

Prints rows per second for a first import (all rows created) and a re-import (all rows
unchanged), then deletes the tenant. Uses the configured database (the embedded one unless
DATABASE_URL is set).

Usage: .venv/bin/python benchmarks/bench_import.py [--data ../shared/data] [--keep]
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    from core.config import get_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=get_settings().shared_data_dir)
    parser.add_argument("--keep", action="store_true", help="Keep the throwaway tenant.")
    args = parser.parse_args()

    from core.db import session_scope
    from core.db.migrate import upgrade_to_head
    from core.imports.market import import_market
    from core.imports.taxonomy import import_taxonomy
    from core.models import Tenant

    started = time.perf_counter()
    upgrade_to_head()
    print(f"database ready in {time.perf_counter() - started:.1f} s")
    tenant = f"tenant_bench_{uuid.uuid4().hex[:8]}"
    jobs = [
        ("cpv_2008.csv", lambda s, p: import_taxonomy(s, tenant, p)),
        ("naf_rev2.csv", lambda s, p: import_taxonomy(s, tenant, p)),
        ("decp_contracts_dev.csv", lambda s, p: import_market(s, tenant, p)),
    ]
    print(f"{'file':<24} {'run':<10} {'rows':>6} {'seconds':>8} {'rows/s':>8}")
    try:
        for name, run in jobs:
            for label in ("first", "re-import"):
                begin = time.perf_counter()
                with session_scope() as session:  # the commit is part of the timing
                    report = run(session, args.data / name)
                seconds = time.perf_counter() - begin
                print(
                    f"{name:<24} {label:<10} {report.total:>6} {seconds:>8.2f} "
                    f"{report.total / seconds:>8.0f}"
                )
    finally:
        if not args.keep:
            with session_scope() as session:
                tenant_row = session.get(Tenant, tenant)
                if tenant_row is not None:
                    session.delete(tenant_row)


if __name__ == "__main__":
    main()
