"""The facade over the real mistralai client, against the fake server: every failure mode."""

from __future__ import annotations

import json
import threading
import time

import pytest
from pydantic import BaseModel
from sqlalchemy import select

from core.llm import (
    LLM,
    LlmError,
    LlmNotConfigured,
    LlmUnavailable,
    RerankCandidate,
    get_llm,
)
from core.llm.usage import estimate_cost
from tests.fake_mistral import (
    bad_envelope,
    drop,
    malformed,
    ok,
    rate_limited,
    server_error,
    slow,
    status,
)
from tests.fake_mistral.responders import reranker, short_translator, tagged_translator


class Pair(BaseModel):
    name: str
    count: int


def test_normal_answer_carries_text_usage_and_cost(llm: LLM, fake) -> None:
    fake.state.script(ok("Bonjour"))
    out = llm.complete("Say hello", system="Be brief")

    assert out.text == "Bonjour"
    assert out.attempts == 1
    assert out.retry_delays == ()
    [req] = fake.state.requests
    assert req.authorization == f"Bearer {fake.api_key}"
    assert req.body["model"] == "fake-small"
    assert [m["role"] for m in req.body["messages"]] == ["system", "user"]
    assert (out.prompt_tokens, out.completion_tokens) == (
        req.usage["prompt_tokens"],
        req.usage["completion_tokens"],
    )
    assert out.cost_eur == estimate_cost(
        out.prompt_tokens,
        out.completion_tokens,
        per_1k_input=llm.settings.mistral_cost_per_1k_input,
        per_1k_output=llm.settings.mistral_cost_per_1k_output,
    )
    counters = llm.status()["counters"]
    assert (counters["calls"], counters["ok"], counters["retries"]) == (1, 1, 0)
    assert counters["prompt_tokens"] == out.prompt_tokens


@pytest.mark.parametrize(
    ("failure", "seen"),
    [
        (drop(), "drop"),
        (slow(3.0), "slow"),
        (server_error(500), "status:500"),
        (server_error(503), "status:503"),
        (rate_limited(None), "status:429"),
        (bad_envelope(), "bad_envelope"),
    ],
    ids=["dropped-connection", "slow", "500", "503", "429", "not-json-body"],
)
def test_one_failure_then_success_is_retried(llm: LLM, fake, failure, seen: str) -> None:
    fake.state.script(failure, ok("recovered"))

    out = llm.complete("ping")

    assert out.text == "recovered"
    assert out.attempts == 2
    assert len(out.retry_delays) == 1
    assert fake.state.kinds() == [seen, "ok"]
    assert llm.status()["counters"]["retries"] == 1
    assert llm.status()["circuit"]["state"] == "closed"


def test_every_failure_mode_in_a_row_is_survived(llm_settings, fake) -> None:
    facade = LLM(
        llm_settings.model_copy(update={"mistral_max_retries": 5, "mistral_circuit_failures": 9})
    )
    fake.state.script(drop(), slow(3.0), rate_limited("0"), server_error(502), bad_envelope())

    out = facade.complete("ping")

    assert out.attempts == 6
    assert fake.state.kinds() == [
        "drop",
        "slow",
        "status:429",
        "status:502",
        "bad_envelope",
        "ok",
    ]
    facade.close()


def test_retry_after_is_honoured_and_capped(llm: LLM, fake) -> None:
    fake.state.script(rate_limited("0.15"), ok("a"))
    assert llm.complete("x").retry_delays == (0.15,)

    fake.state.script(rate_limited("3600"), ok("b"))  # hostile value: capped by settings (0.2)
    assert llm.complete("x").retry_delays == (llm.settings.mistral_retry_after_max_seconds,)

    fake.state.script(status(429, headers={"retry-after-ms": "50"}), ok("c"))
    assert llm.complete("x").retry_delays == (0.05,)
    assert fake.state.kinds() == ["status:429", "ok"] * 3


def test_backoff_grows_with_jitter_when_the_server_gives_no_hint(llm: LLM, fake) -> None:
    fake.state.script(server_error(), server_error(), ok("done"))

    delays = llm.complete("x").retry_delays

    base = llm.settings.mistral_backoff_seconds
    assert len(delays) == 2
    assert base <= delays[0] <= base * 1.5
    assert 2 * base <= delays[1] <= 2 * base * 1.5


def test_exhausted_retries_raise_unavailable_without_crashing(llm: LLM, fake) -> None:
    fake.state.script(*[server_error()] * 5)

    with pytest.raises(LlmUnavailable, match=r"after 3 attempt\(s\): HTTP 500") as info:
        llm.complete("x")

    assert isinstance(info.value, LlmError)
    assert len(fake.state.requests) == llm.settings.mistral_max_retries + 1
    assert fake.state.pending == 2
    counters = llm.status()["counters"]
    assert (counters["calls"], counters["failed"], counters["retries"]) == (1, 1, 2)


def test_client_errors_are_not_retried(llm: LLM, fake, llm_settings) -> None:
    fake.state.script(status(400))
    with pytest.raises(LlmError, match="HTTP 400") as info:
        llm.complete("x")
    assert not isinstance(info.value, LlmUnavailable)
    assert len(fake.state.requests) == 1

    wrong_key = LLM(llm_settings.model_copy(update={"mistral_api_key": "nope"}))
    with pytest.raises(LlmError, match="MISTRAL_API_KEY"):
        wrong_key.complete("x")
    assert len(fake.state.requests) == 2
    wrong_key.close()


def test_circuit_opens_refuses_then_half_opens(llm_settings, fake) -> None:
    facade = LLM(
        llm_settings.model_copy(update={"mistral_circuit_failures": 3, "mistral_max_retries": 0})
    )
    fake.state.script(*[server_error()] * 3)
    for _ in range(3):
        with pytest.raises(LlmUnavailable, match="HTTP 500"):
            facade.complete("x")
    assert facade.status()["circuit"]["state"] == "open"

    with pytest.raises(LlmUnavailable, match="circuit open"):
        facade.complete("x")
    assert len(fake.state.requests) == 3  # refused without touching the server
    assert facade.status()["counters"]["circuit_rejections"] == 1

    time.sleep(facade.settings.mistral_circuit_cooldown_seconds + 0.1)
    fake.state.script(server_error())  # the probe fails: open again at once
    with pytest.raises(LlmUnavailable):
        facade.complete("x")
    assert facade.status()["circuit"]["state"] == "open"
    with pytest.raises(LlmUnavailable, match="circuit open"):
        facade.complete("x")
    assert len(fake.state.requests) == 4

    time.sleep(facade.settings.mistral_circuit_cooldown_seconds + 0.1)
    assert facade.complete("x").text  # the probe succeeds: closed
    assert facade.status()["circuit"]["state"] == "closed"
    assert facade.status()["circuit"]["consecutive_failures"] == 0
    facade.close()


def test_complete_json_repairs_once_with_the_validation_error(llm: LLM, fake) -> None:
    fake.state.script(malformed('{"name": "tour", "count": '), ok('{"name": "tour", "count": 2}'))

    out = llm.complete_json("Give a pair", Pair)

    assert out == Pair(name="tour", count=2)
    first, second = fake.state.requests
    fmt = first.body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "Pair"
    assert fmt["json_schema"]["schema"]["required"] == ["name", "count"]
    roles = [m["role"] for m in second.body["messages"]]
    assert roles[-2:] == ["assistant", "user"]
    assert second.body["messages"][-2]["content"] == '{"name": "tour", "count": '
    assert "not valid JSON" in second.body["messages"][-1]["content"]
    assert llm.status()["counters"]["repairs"] == 1


def test_complete_json_schema_mismatch_is_repaired(llm: LLM, fake) -> None:
    fake.state.script(ok('{"name": "tour"}'), ok('{"name": "tour", "count": 1}'))

    assert llm.complete_json("Give a pair", Pair).count == 1
    assert "count: Field required" in fake.state.requests[1].body["messages"][-1]["content"]


def test_complete_json_gives_up_after_one_repair(llm: LLM, fake) -> None:
    fake.state.script(malformed("nope"), malformed("still nope"))

    with pytest.raises(LlmError, match="invalid JSON for Pair twice"):
        llm.complete_json("Give a pair", Pair)
    assert len(fake.state.requests) == 2


def test_translate_keeps_order_and_count(llm: LLM, fake) -> None:
    fake.state.reset(responder=tagged_translator)

    out = llm.translate(["Tour", "Fraiseuse", "Presse"], source="fr", target="en")

    assert out == ["en: Tour", "en: Fraiseuse", "en: Presse"]
    [req] = fake.state.requests
    schema = req.body["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["translations"]["minItems"] == 3
    assert llm.translate([], source="fr", target="en") == []
    assert llm.translate(["x"], source="fr", target="fr") == ["x"]
    assert len(fake.state.requests) == 1


def test_translate_with_a_wrong_count_is_repaired_then_refused(llm: LLM, fake) -> None:
    fake.state.script(ok(short_translator), ok(tagged_translator))
    assert llm.translate(["a", "b"], source="fr", target="en") == ["en: a", "en: b"]

    fake.state.script(ok(short_translator), ok(short_translator))
    with pytest.raises(LlmError, match="twice"):
        llm.translate(["a", "b"], source="fr", target="en")


def test_rerank_reorders_with_rationales(llm: LLM, fake) -> None:
    fake.state.reset(responder=reranker(lambda ids: [*reversed(ids), "999"]))
    candidates = [RerankCandidate(1, "Tours"), RerankCandidate(2, "Fraiseuses")]
    candidates.append(RerankCandidate(3, "Presses"))

    result = llm.rerank("usinage", candidates)

    assert result.status == "ok"
    assert result.order == [3, 2, 1]  # unknown id 999 ignored, ids keep their type
    assert result.rationales[3] == "because 3 fits"
    assert fake.state.requests[0].body["model"] == "fake-rerank"


def test_rerank_keeps_unranked_candidates_last(llm: LLM, fake) -> None:
    fake.state.reset(responder=reranker(lambda ids: [ids[2]]))
    candidates = [RerankCandidate(f"c{i}", f"text {i}") for i in range(4)]

    result = llm.rerank("q", candidates)

    assert result.order == ["c2", "c0", "c1", "c3"]
    assert "3 candidate(s) not ranked" in result.message


def test_rerank_fails_soft_within_its_budget(llm: LLM, fake) -> None:
    fake.state.script(slow(5.0), slow(5.0), slow(5.0))
    candidates = [RerankCandidate(1, "a"), RerankCandidate(2, "b")]

    result = llm.rerank("q", candidates, timeout_s=0.4)

    assert result.status == "failed"
    assert result.order == [1, 2]
    assert "LLM unavailable" in result.message
    assert len(fake.state.requests) <= 2


def test_degraded_mode_without_key(settings, fake) -> None:
    facade = LLM(settings.model_copy(update={"mistral_api_key": None}))

    assert facade.configured is False
    assert facade.status()["message"].startswith("LLM not configured")
    with pytest.raises(LlmNotConfigured, match="LLM not configured"):
        facade.complete("x")
    with pytest.raises(LlmNotConfigured):
        facade.translate(["a"], source="fr", target="en")
    skipped = facade.rerank("q", [RerankCandidate(7, "a"), RerankCandidate(8, "b")])
    assert (skipped.status, skipped.order, skipped.message) == (
        "skipped",
        [7, 8],
        "LLM not configured",
    )
    assert fake.state.requests == []


def test_usage_rows_are_recorded_per_tenant(llm: LLM, fake, engine, tenant_id: str) -> None:
    from core.db import session_scope
    from core.models import LlmUsage

    fake.state.script(ok("one"), server_error(), ok("two"))
    first = llm.complete("a", tenant_id=tenant_id, operation="test_op")
    second = llm.complete("b", tenant_id=tenant_id, operation="test_op")

    with session_scope() as s:
        rows = s.scalars(
            select(LlmUsage).where(LlmUsage.tenant_id == tenant_id).order_by(LlmUsage.usage_id)
        ).all()
    assert [r.operation for r in rows] == ["test_op", "test_op"]
    assert [r.prompt_tokens for r in rows] == [first.prompt_tokens, second.prompt_tokens]
    assert [r.status for r in rows] == ["ok", "ok"]
    assert sum(r.cost_eur for r in rows) == pytest.approx(first.cost_eur + second.cost_eur)


def test_a_broken_recorder_never_fails_the_call(llm_settings, fake) -> None:
    def explode(event: object) -> None:
        raise RuntimeError("database on fire")

    facade = LLM(llm_settings, recorder=explode)
    fake.state.script(ok("fine"))
    assert facade.complete("x").text == "fine"
    assert facade.status()["counters"]["ok"] == 1
    facade.close()


def test_concurrent_calls_share_counters_safely(llm: LLM, fake) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(3):
                llm.complete("x")
        except BaseException as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    counters = llm.status()["counters"]
    assert (counters["calls"], counters["ok"]) == (12, 12)
    assert len(fake.state.requests) == 12


def test_get_llm_is_one_instance_per_configuration(llm_settings) -> None:
    from core.llm import reset_llm

    a = get_llm(llm_settings)
    assert get_llm(llm_settings) is a
    other = get_llm(llm_settings.model_copy(update={"mistral_model": "other"}))
    assert other is not a
    assert other.model == "other"
    assert llm_settings.mistral_api_key not in json.dumps(a.status())
    reset_llm()
    assert get_llm(llm_settings) is not a
    reset_llm()
