"""The Jupyter kernel build notebooks run in: this very interpreter, whatever is installed.

Papermill normally looks a kernel up by name among installed kernelspecs, which differ from
one machine to the next (a fresh CI venv has none of ours). The runner instead hands papermill
a kernel manager whose spec is built on the fly from ``sys.executable``, with the settings
that matter (database, data folders) passed in the kernel's environment: the notebook always
runs with the same code and the same database as the process that started it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from core.config import Settings

KERNEL_NAME = "marketlounge"
KERNEL_DISPLAY_NAME = "MarketLounge (.venv)"


def kernel_env(settings: Settings) -> dict[str, str]:
    """Environment variables that make a kernel use ``settings``' database and folders."""
    env = {
        "MARKETLOUNGE_DATA_DIR": str(settings.data_dir),
        "FAISS_INDEX_DIR": str(settings.faiss_index_dir),
        "RUNS_DIR": str(settings.runs_dir),
        "EMBEDDING_MODEL": settings.embedding_model,
        "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1"),
        "TRANSFORMERS_OFFLINE": os.environ.get("TRANSFORMERS_OFFLINE", "1"),
        "TOKENIZERS_PARALLELISM": os.environ.get("TOKENIZERS_PARALLELISM", "false"),
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # no "Loading weights" bars in notebook outputs
    }
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    return env


def kernel_manager(env: Mapping[str, str]) -> object:
    """A ``KernelManager`` for :data:`KERNEL_NAME` running ``sys.executable`` with ``env``."""
    import ipykernel.kernelspec
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import KernelManager

    extra = dict(env)

    class _CurrentInterpreterSpecs(KernelSpecManager):  # type: ignore[misc]
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return KernelSpec(
                argv=[
                    sys.executable,
                    "-m",
                    "ipykernel_launcher",
                    "-f",
                    "{connection_file}",
                    "--log-level=ERROR",  # not the "TCP without encryption" notice per run
                ],  # fmt: skip
                display_name=KERNEL_DISPLAY_NAME,
                language="python",
                env=extra,
                resource_dir=ipykernel.kernelspec.RESOURCES,
                metadata={"debugger": False},
            )

    return KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=_CurrentInterpreterSpecs())
