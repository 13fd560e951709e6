"""Structured output: read a JSON answer and validate it against a pydantic schema."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

_FENCE_RE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


class OutputProblem(ValueError):
    """The answer is not valid JSON for the schema; ``str()`` is fed back in the repair."""


def extract_json(text: str) -> Any:
    """Parse a JSON answer, tolerating a Markdown code fence around it.

    >>> extract_json('```json\\n{"a": 1}\\n```')
    {'a': 1}
    >>> extract_json('{"a": [1, 2]}')
    {'a': [1, 2]}
    >>> extract_json('{"a": ')
    Traceback (most recent call last):
    ...
    core.llm.jsonout.OutputProblem: not valid JSON: Expecting value at line 1 column 6
    """
    match = _FENCE_RE.match(text)
    body = match.group(1) if match else text.strip()
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise OutputProblem(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None


def parse_output(text: str, schema: type[M]) -> M:
    """Validate an answer against ``schema``; the error lists what is wrong, field by field.

    >>> class Pair(BaseModel):
    ...     a: int
    >>> parse_output('{"a": 3}', Pair)
    Pair(a=3)
    >>> parse_output('{"b": 3}', Pair)
    Traceback (most recent call last):
    ...
    core.llm.jsonout.OutputProblem: does not match the schema: a: Field required
    """
    data = extract_json(text)
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
            for err in exc.errors()[:10]
        )
        raise OutputProblem(f"does not match the schema: {problems}") from None


def response_format_for(schema: type[BaseModel]) -> dict[str, Any]:
    """The ``response_format`` asking Mistral for JSON that follows ``schema``.

    >>> class Pair(BaseModel):
    ...     a: int
    >>> fmt = response_format_for(Pair)
    >>> fmt["type"], fmt["json_schema"]["name"], fmt["json_schema"]["schema"]["required"]
    ('json_schema', 'Pair', ['a'])
    """
    return {
        "type": "json_schema",
        "json_schema": {
            "name": schema.__name__,
            "schema": schema.model_json_schema(),
            "strict": True,
        },
    }
