"""``marketlounge serve api|workbench``: run the HTTP API (uvicorn) or the Streamlit workbench."""

from __future__ import annotations

import subprocess
import sys

import typer

from core.cli.common import cli_errors, err_console
from core.config import PROJECT_ROOT, get_settings
from core.errors import UserError

WORKBENCH_SCRIPT = PROJECT_ROOT / "workbench" / "streamlit_app.py"


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command group to the root app."""
    serve_app = typer.Typer(
        help="Run a server: the HTTP API (POST /match) or the Streamlit workbench.",
        no_args_is_help=True,
    )
    serve_app.command("api")(serve_api)
    serve_app.command("workbench")(serve_workbench)
    app.add_typer(serve_app, name="serve")


@cli_errors
def serve_api(
    host: str | None = typer.Option(None, help="Interface to bind (default API_HOST, 127.0.0.1)."),
    port: int | None = typer.Option(None, help="TCP port (default API_PORT, 8000)."),
    workers: int | None = typer.Option(
        None, min=1, help="uvicorn worker processes (default API_WORKERS, 1)."
    ),
    log_level: str = typer.Option("info", help="uvicorn log level: warning, info, debug."),
) -> None:
    """Serve the HTTP API with uvicorn: POST /match, /concepts, /health, /ready, /metrics.

    Upgrades the schema first. Each worker loads the model and indexes once at startup; the
    OpenAPI docs are at http://HOST:PORT/docs. Create a key with `marketlounge apikey create`.

    Example: marketlounge serve api --port 8000 --workers 2
    """
    import uvicorn

    from core.db.migrate import upgrade_to_head

    settings = get_settings()
    host = host or settings.api_host
    port = port or settings.api_port
    workers = workers or settings.api_workers
    upgrade_to_head()
    err_console.print(
        f"API on http://{host}:{port} ({workers} worker(s)); docs at http://{host}:{port}/docs"
    )
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
    )


@cli_errors
def serve_workbench(
    port: int | None = typer.Option(None, help="TCP port (default WORKBENCH_PORT, 8501)."),
) -> None:
    """Serve the Streamlit workbench (headless, no browser opened) on PORT.

    Runs `streamlit run workbench/streamlit_app.py --server.port PORT --server.headless true`.

    Example: marketlounge serve workbench --port 8501
    """
    if not WORKBENCH_SCRIPT.is_file():
        raise UserError(f"the workbench is not installed: {WORKBENCH_SCRIPT} is missing")
    port = port or get_settings().workbench_port
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(WORKBENCH_SCRIPT),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    err_console.print(f"workbench on http://127.0.0.1:{port}")
    try:
        completed = subprocess.run(command, cwd=PROJECT_ROOT, check=False)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    raise typer.Exit(completed.returncode)
