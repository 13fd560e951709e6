"""The DATABASE_URL code path: the CLI in a fresh process against an existing PostgreSQL.

The "external" server is the suite's own embedded one, reached only through its URL: the
child process gets ``DATABASE_URL`` and an empty data dir, so if it started an embedded
server of its own, ``pgdata/`` would appear there and the rows would not be in ours.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from core.demo import SAMPLE_DIR
from core.models import GlossaryNode
from core.tenancy import scoped


def _marketlounge(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("marketlounge")
    return subprocess.run(
        [str(script), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_cli_runs_against_database_url(engine, session, tmp_path) -> None:
    from core.db.engine import database_url

    url = database_url()
    tenant = f"tenant_ext_{uuid.uuid4().hex[:8]}"
    empty_data_dir = tmp_path / "data"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MARKETLOUNGE_DATA_DIR": str(empty_data_dir),
    }

    init = _marketlounge(["init"], env)
    assert init.returncode == 0, init.stderr
    assert "external database (DATABASE_URL)" in init.stdout

    imported = _marketlounge(
        ["import-taxonomy", str(SAMPLE_DIR / "naf_sample.csv"), "--tenant", tenant], env
    )
    assert imported.returncode == 0, imported.stderr
    assert "taxonomy:naf: 75 created" in imported.stdout

    assert not (empty_data_dir / "pgdata").exists()
    codes = {node.code for node in session.scalars(scoped(GlossaryNode, tenant))}
    assert len(codes) == 75
    assert {"C", "28", "33", "28.41Z"} <= codes
