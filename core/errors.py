"""Errors meant for the person at the keyboard: the CLI prints one line, the API a 4xx."""

from __future__ import annotations


class UserError(ValueError):
    """Bad input or a missing precondition, with a message that says what to fix.

    The CLI prints ``error: <message>`` and exits with ``exit_code``; the API answers
    ``status_code`` with the message as ``detail``.
    """

    exit_code = 2
    status_code = 422


class NotFoundError(UserError):
    """A named thing (tenant, concept, company, file, step) does not exist."""

    exit_code = 3
    status_code = 404


class ValidationProblems(UserError):
    """Several problems found while validating an input file; nothing was written.

    Args:
        problems: one human-readable line per problem, with its row number when known.
        source: the file or input the problems were found in.
    """

    def __init__(self, problems: list[str], *, source: str = "input") -> None:
        self.problems = problems
        self.source = source
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(
            f"{source}: {len(problems)} problem(s), nothing was written:\n{shown}{more}"
        )
