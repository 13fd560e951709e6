"""Shared CLI plumbing: one clear line and a non-zero exit for every user error."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from core.errors import UserError

console = Console()
err_console = Console(stderr=True, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


def cli_errors(func: F) -> F:
    """Turn ``UserError`` (and a few environment errors) into ``error: …`` + exit code.

    Unexpected exceptions still show a traceback, because they are bugs to report.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UserError as exc:
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(exc.exit_code) from None
        except FileNotFoundError as exc:
            missing = escape(str(exc.filename or exc))
            err_console.print(f"[bold red]error:[/] file not found: {missing}", highlight=False)
            raise typer.Exit(3) from None
        except KeyboardInterrupt:
            err_console.print("interrupted; nothing more was written")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def is_interactive() -> bool:
    """True when progress bars make sense (a terminal, not CI logs)."""
    return sys.stderr.isatty()
