"""The LLM facade over the official ``mistralai`` client: timeouts, retries, circuit breaker.

The client's own retries are disabled; the loop here decides, so the behaviour is explicit
and testable: which failures are retried (429, 5xx, timeouts, dropped connections), how long
to wait (``Retry-After`` when the server says, capped; exponential backoff with jitter
otherwise), and when to stop calling a failing service (the circuit breaker).
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from core.config import Settings, get_settings
from core.errors import UserError
from core.llm import prompts
from core.llm.errors import LlmError, LlmNotConfigured, LlmUnavailable
from core.llm.jsonout import OutputProblem, parse_output, response_format_for
from core.llm.policy import (
    RETRYABLE_STATUS,
    CircuitBreaker,
    backoff_delay,
    parse_retry_after,
)
from core.llm.types import NOT_CONFIGURED, LlmText, RerankCandidate, RerankResult
from core.llm.usage import UsageCounters, UsageEvent, UsageRecorder, db_recorder, estimate_cost
from core.tenancy import validate_tenant_id

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
Message = dict[str, str]
DEFAULT_SERVER_URL = "https://api.mistral.ai"


class _Retryable(Exception):
    """Internal: one failed attempt worth retrying, with the server's Retry-After if any."""

    def __init__(self, problem: str, retry_after: float | None = None) -> None:
        super().__init__(problem)
        self.retry_after = retry_after


def _content_text(response: Any) -> str:
    """The assistant text of a ``ChatCompletionResponse`` (string or list of text chunks)."""
    choices = getattr(response, "choices", None) or []
    if not choices or choices[0].message is None:
        return ""
    content = choices[0].message.content
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(getattr(chunk, "text", "") or "") for chunk in content)
    return ""


class LLM:
    """One process-wide entry to the LLM. Get it with :func:`get_llm`.

    Every method is safe to call without a key: ``complete*`` and ``translate`` raise
    :class:`LlmNotConfigured`; ``rerank`` returns a ``skipped`` result.

    Args:
        settings: the Mistral settings (key, server URL, models, timeout, retries, breaker).
        recorder: persists one usage event per HTTP call; default writes ``LlmUsage`` rows
            when the process already has a database engine open. Pass ``lambda e: None`` to
            keep usage in memory only.
        rng: random source for the backoff jitter (seed it in tests).
        sleep: how to wait between attempts (``time.sleep``).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        recorder: UsageRecorder | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings or get_settings()
        self.model = self.settings.mistral_model
        self.rerank_model = self.settings.mistral_rerank_model
        self.breaker = CircuitBreaker(
            threshold=self.settings.mistral_circuit_failures,
            cooldown_s=self.settings.mistral_circuit_cooldown_seconds,
        )
        self.counters = UsageCounters()
        self._recorder = recorder if recorder is not None else db_recorder(self.settings)
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._sdk_lock = threading.Lock()
        self._sdk: Any | None = None

    # ------------------------------------------------------------------ state
    @property
    def configured(self) -> bool:
        """True when a Mistral API key is set (otherwise: degraded mode)."""
        return bool(self.settings.mistral_api_key)

    def status(self) -> dict[str, Any]:
        """Configuration, circuit state and counters (for ``/health``, ``/metrics``, the UI).

        Never contains the API key.
        """
        snap = self.breaker.snapshot()
        return {
            "configured": self.configured,
            "message": "" if self.configured else f"{NOT_CONFIGURED} (set MISTRAL_API_KEY)",
            "server_url": self.settings.mistral_server_url or DEFAULT_SERVER_URL,
            "model": self.model,
            "rerank_model": self.rerank_model,
            "timeout_s": self.settings.mistral_timeout_seconds,
            "max_retries": self.settings.mistral_max_retries,
            "circuit": {
                "state": snap.state,
                "consecutive_failures": snap.consecutive_failures,
                "threshold": snap.threshold,
                "cooldown_s": snap.cooldown_s,
                "retry_in_s": snap.retry_in_s,
            },
            "counters": self.counters.snapshot(),
        }

    def close(self) -> None:
        """Close the HTTP connections (a new client is made on the next call)."""
        with self._sdk_lock:
            if self._sdk is not None:
                self._sdk.__exit__(None, None, None)
                self._sdk = None

    def _client(self) -> Any:
        if not self.configured:
            raise LlmNotConfigured(f"{NOT_CONFIGURED}: set MISTRAL_API_KEY to use this feature")
        with self._sdk_lock:
            if self._sdk is None:
                from mistralai.client import Mistral
                from mistralai.client.utils.retries import BackoffStrategy, RetryConfig

                self._sdk = Mistral(
                    api_key=self.settings.mistral_api_key,
                    server_url=self.settings.mistral_server_url or None,
                    timeout_ms=int(self.settings.mistral_timeout_seconds * 1000),
                    # Our loop retries; the SDK must not retry underneath it.
                    retry_config=RetryConfig("none", BackoffStrategy(1, 1, 1.0, 1), False),
                )
            return self._sdk

    # ------------------------------------------------------------------ transport
    @staticmethod
    def _classify(exc: Exception, *, timeout_s: float, retry_after_cap: float) -> Exception:
        """Map a client exception to ``_Retryable`` or a final ``LlmError``."""
        import httpx2
        from mistralai.client import errors as sdk_errors

        if isinstance(exc, sdk_errors.ResponseValidationError):
            return _Retryable(f"malformed response from the server: {str(exc)[:200]}")
        if isinstance(exc, sdk_errors.MistralError):
            status = exc.status_code
            if status in RETRYABLE_STATUS:
                wait = parse_retry_after(dict(exc.headers), cap=retry_after_cap)
                return _Retryable(f"HTTP {status} from the server", retry_after=wait)
            if status in (401, 403):
                return LlmError(
                    f"Mistral refused the API key (HTTP {status}): check MISTRAL_API_KEY"
                )
            return LlmError(f"Mistral rejected the request (HTTP {status}): {exc.body[:300]}")
        if isinstance(exc, httpx2.TimeoutException):
            return _Retryable(f"no answer within {timeout_s:g}s (timeout)")
        if isinstance(exc, httpx2.TransportError | sdk_errors.NoResponseError):
            return _Retryable(f"connection failed: {type(exc).__name__}: {exc}")
        logger.exception("unexpected error from the Mistral client")
        return LlmError(f"unexpected error from the Mistral client: {type(exc).__name__}: {exc}")

    def _record(self, event: UsageEvent) -> None:
        self.counters.add(event)
        try:
            self._recorder(event)
        except Exception as exc:  # a recorder must never break a call
            logger.warning("LLM usage recorder failed: %s", exc)

    def _call(
        self,
        messages: list[Message],
        *,
        model: str | None,
        max_tokens: int,
        operation: str,
        tenant_id: str | None,
        response_format: dict[str, Any] | None = None,
        temperature: float = 0.2,
        deadline_s: float | None = None,
        max_retries: int | None = None,
    ) -> LlmText:
        """One logical call: attempts with retries, under the breaker and an optional deadline."""
        if tenant_id is not None:
            validate_tenant_id(tenant_id)
        sdk = self._client()
        model_name = model or self.model
        retries = self.settings.mistral_max_retries if max_retries is None else max_retries
        start = time.monotonic()
        attempts = 0
        delays: list[float] = []
        problem = "no attempt made"
        while True:
            if not self.breaker.allow():
                self.counters.count("circuit_rejections")
                snap = self.breaker.snapshot()
                if attempts == 0:
                    refused = UsageEvent(operation, model_name, "unavailable", attempts=0)
                    self._record(dataclasses.replace(refused, tenant_id=tenant_id))
                    raise LlmUnavailable(
                        f"LLM unavailable: circuit open after {snap.consecutive_failures} "
                        f"consecutive failures; next try in {snap.retry_in_s:.0f}s"
                    )
                problem = f"{problem}; circuit opened"
                break
            timeout = self.settings.mistral_timeout_seconds
            if deadline_s is not None:
                remaining = deadline_s - (time.monotonic() - start)
                if remaining <= 0.05:
                    problem = f"{problem}; deadline of {deadline_s:g}s reached"
                    break
                timeout = min(timeout, remaining)
            attempts += 1
            try:
                response = sdk.chat.complete(
                    model=model_name,
                    messages=messages,
                    max_tokens=max_tokens,
                    temperature=temperature,
                    response_format=response_format,
                    timeout_ms=max(1, int(timeout * 1000)),
                )
            except Exception as exc:
                outcome = self._classify(
                    exc,
                    timeout_s=timeout,
                    retry_after_cap=self.settings.mistral_retry_after_max_seconds,
                )
                if not isinstance(outcome, _Retryable):
                    # The service answered (e.g. 400/401): it is up, so the breaker resets.
                    self.breaker.record_success()
                    self._record(UsageEvent(operation, model_name, "failed", attempts=attempts))
                    raise outcome from None
                self.breaker.record_failure()
                problem = str(outcome)
                logger.info("LLM attempt %d failed: %s", attempts, problem)
                if attempts > retries:
                    break
                if outcome.retry_after is not None:
                    delay = outcome.retry_after
                else:
                    delay = backoff_delay(
                        attempts - 1, base=self.settings.mistral_backoff_seconds, rng=self._rng
                    )
                if deadline_s is not None and time.monotonic() - start + delay >= deadline_s:
                    problem = f"{problem}; deadline of {deadline_s:g}s reached"
                    break
                delays.append(round(delay, 4))
                self._sleep(delay)
                continue
            self.breaker.record_success()
            usage = response.usage
            prompt_tokens = int(usage.prompt_tokens or 0) if usage else 0
            completion_tokens = int(usage.completion_tokens or 0) if usage else 0
            cost = estimate_cost(
                prompt_tokens,
                completion_tokens,
                per_1k_input=self.settings.mistral_cost_per_1k_input,
                per_1k_output=self.settings.mistral_cost_per_1k_output,
            )
            answered_by = getattr(response, "model", None) or model_name
            self._record(
                UsageEvent(
                    operation,
                    answered_by,
                    "ok",
                    prompt_tokens,
                    completion_tokens,
                    cost,
                    attempts=attempts,
                    tenant_id=tenant_id,
                )
            )
            return LlmText(
                text=_content_text(response),
                model=answered_by,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                cost_eur=cost,
                attempts=attempts,
                retry_delays=tuple(delays),
            )
        self._record(
            UsageEvent(
                operation, model_name, "unavailable", attempts=attempts, tenant_id=tenant_id
            )
        )
        raise LlmUnavailable(f"LLM unavailable after {attempts} attempt(s): {problem}")

    # ------------------------------------------------------------------ public API
    def complete(
        self,
        prompt: str,
        *,
        system: str | None = None,
        model: str | None = None,
        max_tokens: int = 512,
        operation: str = "complete",
        tenant_id: str | None = None,
        temperature: float = 0.2,
        deadline_s: float | None = None,
    ) -> LlmText:
        """Free-text completion.

        Raises:
            LlmNotConfigured: no key. LlmUnavailable: retries exhausted, deadline passed or
            circuit open. LlmError: the request was refused or the answer was empty.
        """
        messages = _messages(prompt, system)
        answer = self._call(
            messages,
            model=model,
            max_tokens=max_tokens,
            operation=operation,
            tenant_id=tenant_id,
            temperature=temperature,
            deadline_s=deadline_s,
        )
        if not answer.text.strip():
            raise LlmError("the LLM gave an empty answer; nothing was used")
        return answer

    def complete_json(
        self,
        prompt: str,
        schema: type[M],
        *,
        system: str | None = None,
        model: str | None = None,
        max_tokens: int = 1024,
        operation: str = "complete_json",
        tenant_id: str | None = None,
        temperature: float = 0.1,
        deadline_s: float | None = None,
        max_retries: int | None = None,
    ) -> M:
        """Structured output validated by ``schema``, with ONE repair attempt.

        The first answer is parsed and validated; if it fails, the validation error is sent
        back with the answer and the model gets one more chance. A second failure raises
        ``LlmError`` (never a half-valid object).
        """
        messages = _messages(prompt, system or prompts.DOMAIN_SYSTEM)
        fmt = response_format_for(schema)
        kwargs: dict[str, Any] = {
            "model": model,
            "max_tokens": max_tokens,
            "operation": operation,
            "tenant_id": tenant_id,
            "response_format": fmt,
            "temperature": temperature,
            "deadline_s": deadline_s,
            "max_retries": max_retries,
        }
        first = self._call(messages, **kwargs)
        try:
            return parse_output(first.text, schema)
        except OutputProblem as problem:
            self.counters.count("repairs")
            logger.info("LLM output rejected (%s); asking for a repair", problem)
            repair = [
                *messages,
                {"role": "assistant", "content": first.text or "(empty)"},
                {
                    "role": "user",
                    "content": (
                        f"Your answer was rejected: {problem}. Reply again with only the "
                        "corrected JSON, following the schema exactly."
                    ),
                },
            ]
        second = self._call(repair, **kwargs)
        try:
            return parse_output(second.text, schema)
        except OutputProblem as again:
            self.counters.count("invalid_outputs")
            raise LlmError(
                f"the LLM answered invalid JSON for {schema.__name__} twice ({again}); "
                "nothing was used"
            ) from None

    def translate(
        self,
        texts: Sequence[str],
        *,
        source: str,
        target: str,
        tenant_id: str | None = None,
    ) -> list[str]:
        """Translate texts one-to-one (same count, same order) in one call.

        Raises:
            LlmNotConfigured, LlmUnavailable, LlmError: as :meth:`complete_json`.
        """
        items = [str(t) for t in texts]
        if not items:
            return []
        if source == target:
            return items
        schema = prompts.translations_schema(len(items))
        total_chars = sum(len(t) for t in items)
        answer = self.complete_json(
            prompts.translate_prompt(items, source=source, target=target),
            schema,
            max_tokens=min(16000, 64 + 32 * len(items) + total_chars),
            operation="translate",
            tenant_id=tenant_id,
        )
        out = [str(t).strip() for t in answer.translations]  # type: ignore[attr-defined]
        empty = [i for i, t in enumerate(out) if not t and items[i].strip()]
        if empty:
            raise LlmError(f"the LLM returned empty translations at positions {empty}")
        return out

    def rerank(
        self,
        query: str,
        candidates: Sequence[RerankCandidate],
        *,
        timeout_s: float = 5.0,
        tenant_id: str | None = None,
    ) -> RerankResult:
        """Reorder candidates by relevance to ``query`` with one-line rationales.

        Never raises on LLM trouble: ``skipped`` without a key, ``failed`` on errors or when
        ``timeout_s`` (the whole budget, retries included) runs out — with the original
        order, so the matcher can always use ``order``.
        """
        original = [c.id for c in candidates]
        if len({str(i) for i in original}) != len(original):
            raise UserError("rerank candidates must have distinct ids")
        if not candidates:
            return RerankResult("skipped", [], message="no candidates to rerank")
        if not self.configured:
            return RerankResult("skipped", original, message=NOT_CONFIGURED)
        listing = [(str(c.id), " ".join(c.text.split())[:300]) for c in candidates]
        try:
            answer = self.complete_json(
                prompts.rerank_prompt(query, listing),
                prompts.RerankAnswer,
                model=self.rerank_model,
                max_tokens=128 + 48 * len(candidates),
                operation="rerank",
                tenant_id=tenant_id,
                deadline_s=timeout_s,
                max_retries=1,
            )
        except LlmError as exc:
            return RerankResult("failed", original, message=str(exc), model=self.rerank_model)
        by_key = {str(i): i for i in original}
        order: list[int | str] = []
        rationales: dict[int | str, str] = {}
        for item in answer.ranking:
            key = by_key.get(item.id.strip())
            if key is None or key in rationales:
                continue
            order.append(key)
            rationales[key] = " ".join(item.rationale.split())[:200]
        if not order:
            return RerankResult(
                "failed",
                original,
                message="the LLM ranked none of the given candidate ids",
                model=self.rerank_model,
            )
        missing = [i for i in original if i not in rationales]
        message = f"{len(missing)} candidate(s) not ranked by the LLM kept last" if missing else ""
        return RerankResult(
            "ok", order + missing, rationales, message=message, model=self.rerank_model
        )


def _messages(prompt: str, system: str | None) -> list[Message]:
    msgs: list[Message] = []
    if system:
        msgs.append({"role": "system", "content": system})
    msgs.append({"role": "user", "content": prompt})
    return msgs


_instances: dict[tuple[Any, ...], LLM] = {}
_instances_lock = threading.Lock()


def _settings_key(settings: Settings) -> tuple[Any, ...]:
    return (
        settings.mistral_api_key,
        settings.mistral_server_url,
        settings.mistral_model,
        settings.mistral_rerank_model,
        settings.mistral_timeout_seconds,
        settings.mistral_max_retries,
        settings.mistral_backoff_seconds,
        settings.mistral_retry_after_max_seconds,
        settings.mistral_circuit_failures,
        settings.mistral_circuit_cooldown_seconds,
        settings.mistral_cost_per_1k_input,
        settings.mistral_cost_per_1k_output,
        settings.database_url,
        str(settings.pg_data_dir),
    )


def get_llm(settings: Settings | None = None) -> LLM:
    """The process-wide :class:`LLM` for these settings (one breaker and one set of counters).

    >>> from core.config import Settings
    >>> llm = get_llm(Settings(mistral_api_key=None))
    >>> llm.configured, llm.rerank("q", [RerankCandidate(1, "a")]).status
    (False, 'skipped')
    """
    settings = settings or get_settings()
    key = _settings_key(settings)
    with _instances_lock:
        if key not in _instances:
            _instances[key] = LLM(settings)
        return _instances[key]


def reset_llm() -> None:
    """Forget every facade (closing its connections): tests and settings reloads use this."""
    with _instances_lock:
        for llm in _instances.values():
            llm.close()
        _instances.clear()
