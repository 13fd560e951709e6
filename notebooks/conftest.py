"""nbval configuration (``pytest --nbval-lax notebooks/``).

The notebooks run with their default parameters (the shipped sample, ``tenant_demo``) in
kernels of *this* interpreter (``--nbval-current-env``), against a throwaway embedded
database in a temporary folder: never the developer's ``data/pgdata``. Kernels inherit
``os.environ``, so setting the variables here is what points them at that database.
Set ``MARKETLOUNGE_TEST_DATABASE_URL`` to use an external PostgreSQL instead.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    if not (config.getoption("nbval", False) or config.getoption("nbval_lax", False)):
        return
    config.option.nbval_current_env = True
    folder = Path(tempfile.mkdtemp(prefix="marketlounge-nbval-"))
    atexit.register(shutil.rmtree, folder, True)  # registered first, so it runs last
    os.environ.update(
        {
            "MARKETLOUNGE_DATA_DIR": str(folder),
            "FAISS_INDEX_DIR": str(folder / "faiss_index"),
            "RUNS_DIR": str(folder / "runs"),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
        }
    )
    for name in ("DATABASE_URL", "REDIS_URL", "MISTRAL_API_KEY"):
        os.environ.pop(name, None)
    if os.environ.get("MARKETLOUNGE_TEST_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["MARKETLOUNGE_TEST_DATABASE_URL"]

    from core.config import get_settings
    from core.db.migrate import upgrade_to_head

    get_settings.cache_clear()
    upgrade_to_head()  # starts the embedded server once; this process keeps it alive
