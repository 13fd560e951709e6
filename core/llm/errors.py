"""LLM errors: one base class, so callers can catch everything the facade raises at once."""

from __future__ import annotations

from core.errors import UserError


class LlmError(UserError):
    """The LLM could not give a usable answer (bad request, invalid output after repair).

    A ``UserError`` so the CLI prints one line and the API answers ``status_code``; the message
    says what happened and, when there is one, what to do.
    """

    exit_code = 4
    status_code = 502


class LlmNotConfigured(LlmError):
    """No ``MISTRAL_API_KEY``: the degraded mode, where LLM features are skipped."""

    status_code = 503

    def __init__(self, message: str = "LLM not configured") -> None:
        super().__init__(message)


class LlmUnavailable(LlmError):
    """The service did not answer: retries exhausted, deadline passed or circuit open."""

    status_code = 503
