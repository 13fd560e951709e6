"""Language tests: rows in a fresh tenant, the real client against the fake Mistral server."""

from tests.fake_mistral.fixtures import fake, fake_mistral, llm, llm_settings
from tests.fake_mistral.rows import make_concept, make_node

__all__ = ["fake", "fake_mistral", "llm", "llm_settings", "make_concept", "make_node"]
