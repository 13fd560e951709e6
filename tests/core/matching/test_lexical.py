"""The lexical stage on real CPV labels: coverage scoring, typos, exact hits, masks."""

from __future__ import annotations

import numpy as np
import pytest

from core.matching.lexical import LexicalIndex, top_rows
from core.matching.normalize import normalize


@pytest.fixture(scope="module")
def index_and_rows(sample_rows):
    texts, owners = [], []
    for i, row in enumerate(sample_rows):
        for lang in ("fr", "en"):
            texts.append(normalize(row[f"label_{lang}"]))
            owners.append(i)
    return LexicalIndex(texts, owners, len(sample_rows)), sample_rows


def _top_codes(index_and_rows, query: str, n: int = 5, allowed=None) -> list[str]:
    index, rows = index_and_rows
    scores = index.search(normalize(query), allowed=allowed)
    return [rows[r]["code"] for r in top_rows(scores.owner_score, n)]


def test_label_found_from_a_longer_need(index_and_rows) -> None:
    assert "42123400" in _top_codes(index_and_rows, "achat de compresseurs d'air pour l'atelier")


def test_english_labels_are_searched_too(index_and_rows) -> None:
    assert _top_codes(index_and_rows, "CNC lathe")[0] == "42621100"


def test_a_typo_is_fuzzy_matched(index_and_rows) -> None:
    index, _ = index_and_rows
    scores = index.search(normalize("compreseurs d'air"))
    assert scores.fuzzy  # the typo was resolved against the vocabulary
    assert "42123400" in _top_codes(index_and_rows, "compreseurs d'air")


def test_exact_hit_scores_100(index_and_rows) -> None:
    index, rows = index_and_rows
    scores = index.search(normalize("Pompes"))
    row = next(i for i, r in enumerate(rows) if r["code"] == "42122000")
    assert index.exact(normalize("pompes"))
    assert scores.owner_score[row] == pytest.approx(100.0)
    assert scores.owner_score.max() == pytest.approx(100.0)


def test_mask_excludes_rows(index_and_rows) -> None:
    index, rows = index_and_rows
    allowed = np.array([r["code"].startswith("50") for r in rows])
    codes = _top_codes(index_and_rows, "compresseurs", n=20, allowed=allowed)
    assert codes
    assert all(code.startswith("50") for code in codes)


def test_unrelated_words_score_nothing(index_and_rows) -> None:
    index, _ = index_and_rows
    assert index.search(normalize("zzqx wvvk")).owner_score.max() == 0.0


def test_top_rows_orders_and_limits() -> None:
    assert top_rows(np.array([0.1, 0.0, 0.7, 0.7, 0.3]), 3).tolist() == [2, 3, 4]
    assert top_rows(np.zeros(4), 3).tolist() == []


def test_vocabulary_ids_follow_the_text_not_the_hash_seed():
    """Ids in first-appearance order: sums, ties and typo lookups are the same in every
    process (a ``set`` made them depend on ``PYTHONHASHSEED``)."""
    index = LexicalIndex(["pompe eau chaude", "eau froide", "pompe"], [0, 1, 2], 3)
    assert index.vocab_list == ["pompe", "eau", "chaude", "froide"]
