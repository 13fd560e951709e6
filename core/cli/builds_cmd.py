"""``marketlounge build`` / ``schedule`` / ``runs``: the offline builds and their history."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.table import Table

from core.cli.common import cli_errors, console, err_console, is_interactive

if TYPE_CHECKING:  # pragma: no cover
    from core.models import BuildRun

STEP_HELP = "glossary, dico, activations, index, evaluate, or all (in that order)."


def register(app: typer.Typer) -> None:
    """Add ``build``, ``schedule`` and ``runs`` to the root app."""
    app.command("build", epilog=_parameters_epilog())(build)
    app.command("schedule")(schedule)
    app.command("runs")(runs)


def _parameters_epilog() -> str:
    """The parameters of every step with their defaults, for ``build --help``."""
    from core.builds.params import STEP_PARAMETERS

    lines = ["Parameters (-p name=value) and their defaults:"]
    for step, params in STEP_PARAMETERS.items():
        shown = ", ".join(f"{p.name}={_default(p.default)}" for p in params)
        lines.append(f"{step}: {shown}")
    return "\n\n".join(lines)


def _default(value: object) -> str:
    return (
        "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    )


def _print_run(run: BuildRun) -> None:
    from core.builds.history import format_counts

    mark = "[green]✓[/]" if run.status == "ok" else "[bold red]✗[/]"
    counts = escape(format_counts(run.counts or {}))
    where = escape(run.notebook_path or "no notebook")
    console.print(
        f"{mark} {run.step:<12} {run.duration_s or 0:7.1f} s  {counts}\n    → {where}",
        highlight=False,
        soft_wrap=True,
    )


def _fail(run: BuildRun) -> None:
    err_console.print(
        f"[bold red]error:[/] build {run.step} failed in {escape(run.error or 'unknown')}"
        f" (executed notebook: {escape(run.notebook_path or 'none')})",
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(1)


@cli_errors
def build(
    step: str = typer.Argument(..., help=STEP_HELP, metavar="STEP|all"),
    tenant: str = typer.Option(
        ...,
        "--tenant",
        "-t",
        help="Tenant to build (tenant_demo is created on first use; others must exist).",
    ),  # fmt: skip
    param: list[str] = typer.Option(
        [],
        "--param",
        "-p",
        help="Notebook parameter key=value, repeatable; values are JSON literals when they "
        "parse (0.4, true, null), text otherwise. E.g. -p taxonomy_path=../shared/data/"
        "cpv_2008.csv -p threshold=0.4",
    ),
    progress: bool | None = typer.Option(
        None, "--progress/--no-progress", help="Cell progress bars (default: on in a terminal)."
    ),
) -> None:
    """Run build notebooks with papermill: glossary → dico → activations → index → evaluate.

    Each executed notebook is kept in RUNS_DIR/<tenant>/<time>-<step>.ipynb and recorded
    as a BuildRun (see `marketlounge runs`). Parameters are checked before anything runs;
    a failing step stops the chain, writes nothing, and the error names the failing cell.
    Re-running with the same inputs changes nothing. Defaults build the shipped sample
    (data/sample/cpv_sample.csv, its contracts as examples, eval_sample.csv).

    Example: marketlounge build all --tenant tenant_demo -p duplicate_threshold=0.95
    """
    from core.builds.params import parse_assignment
    from core.builds.runner import plan_build, prepare_tenant, run_plan

    parameters: dict[str, Any] = dict(parse_assignment(item) for item in param)
    plan = plan_build(step, tenant, parameters)
    prepare_tenant(tenant)  # unknown tenant: refused before any notebook starts
    console.print(
        f"building {' → '.join(p.step for p in plan)} for {tenant}",
        highlight=False,
    )
    show = is_interactive() if progress is None else progress
    done = run_plan(plan, tenant, progress=show, on_step=_print_run)
    if done and done[-1].status != "ok":
        _fail(done[-1])


@cli_errors
def runs(
    tenant: str = typer.Option(..., "--tenant", "-t", help="Whose history."),
    step: str | None = typer.Option(None, "--step", "-s", help="Only this step."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="Newest N runs (default 20)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (reports included)."),
) -> None:
    """List the build history of a tenant, newest first.

    Example: marketlounge runs --tenant tenant_demo --step dico
    """
    from core.builds.history import format_counts, list_runs
    from core.db import session_scope
    from core.db.migrate import upgrade_to_head

    upgrade_to_head()
    with session_scope() as session:
        found = list_runs(session, tenant, step=step, limit=limit)
        rows = [_run_dict(run) for run in found]
    if as_json:
        console.print_json(json.dumps(rows, default=str))
        return
    if not rows:
        console.print(f"no build run yet for {tenant}: marketlounge build all --tenant {tenant}")
        return
    table = Table(title=f"Build runs of {tenant}")
    for column in ("run", "step", "status", "started (UTC)", "s", "counts"):
        table.add_column(column)
    for row in rows:
        status = row["status"] if row["status"] == "ok" else f"[red]{row['status']}[/]"
        table.add_row(
            str(row["run_id"]),
            row["step"],
            status,
            row["started_at"].strftime("%Y-%m-%d %H:%M") if row["started_at"] else "",
            f"{row['duration_s']:.1f}" if row["duration_s"] is not None else "",
            escape(format_counts(row["counts"])),
        )
    console.print(table)
    for row in rows:  # long texts below the table, unwrapped, so they can be copied
        if row["error"]:
            console.print(f"  run {row['run_id']} error: {escape(row['error'])}",
                          highlight=False, soft_wrap=True)  # fmt: skip
        elif row["notebook_path"]:
            console.print(f"  run {row['run_id']} → {escape(row['notebook_path'])}",
                          highlight=False, soft_wrap=True)  # fmt: skip


def _run_dict(run: BuildRun) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "step": run.step,
        "status": run.status,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_s": run.duration_s,
        "parameters": run.parameters,
        "counts": run.counts or {},
        "notebook_path": run.notebook_path,
        "error": run.error,
        "report": run.report,
    }


@cli_errors
def schedule(
    tenant: str | None = typer.Option(None, "--tenant", "-t", help="Only this tenant."),
    all_tenants: bool = typer.Option(False, "--all-tenants", help="Every tenant."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say what is due."),
    every: int = typer.Option(
        0, "--every", min=0, help="Repeat every N seconds (a scheduler service); 0 = once."
    ),
) -> None:
    """Run the builds that are due according to BUILD_SCHEDULE.

    Default schedule: glossary monthly, dico biweekly, activations and index weekly; a step
    is due when its last successful run is older than its period, and a due step brings the
    scheduled steps after it. Due steps re-run with the parameters of their last successful
    run. Call it from cron (e.g. daily) or run it as a service with --every 3600.

    Example: marketlounge schedule --all-tenants --dry-run
    """
    from core.builds.scheduler import run_schedule
    from core.errors import UserError

    if bool(tenant) == all_tenants:
        raise UserError("give either --tenant T or --all-tenants")
    while True:
        try:
            results = run_schedule(
                None if all_tenants else [tenant or ""], dry_run=dry_run, on_step=_print_run
            )
        except UserError:
            if not every:
                raise
            results = []
        failed = False
        for item in results:
            due = ", ".join(item.due) or "nothing due"
            verb = "due" if dry_run else "ran"
            console.print(f"{item.tenant_id}: {verb} {due}" if item.due else
                          f"{item.tenant_id}: nothing due", highlight=False)  # fmt: skip
            if item.error:
                err_console.print(f"[bold red]error:[/] {item.tenant_id}: {escape(item.error)}")
            failed = failed or not item.ok
            if item.runs and item.runs[-1].status != "ok":
                last = item.runs[-1]
                err_console.print(
                    f"[bold red]error:[/] {item.tenant_id}: build {last.step} failed in "
                    f"{escape(last.error or 'unknown')}",
                    soft_wrap=True,
                )
        if not every:
            if failed:
                raise typer.Exit(1)
            return
        time.sleep(every)
