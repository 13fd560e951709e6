"""LLM tests: the real mistralai client against the local fake server."""

from tests.fake_mistral.fixtures import fake, fake_mistral, llm, llm_settings

__all__ = ["fake", "fake_mistral", "llm", "llm_settings"]
