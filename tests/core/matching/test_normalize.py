"""Normalisation: folding, stop words, light stemming — and idempotence for every string."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from core.matching.normalize import STOP_WORDS, fold, normalize, stem, tokens


@given(st.text(max_size=200))
@settings(max_examples=400, deadline=None)
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@given(st.text(max_size=200))
@settings(max_examples=200, deadline=None)
def test_output_is_plain_ascii_tokens_without_stop_words(text: str) -> None:
    out = normalize(text)
    assert out == out.strip()
    assert "  " not in out
    assert all(ch.isascii() and (ch.isalnum() or ch == " ") for ch in out)
    assert not set(out.split()) & STOP_WORDS
    assert out.split() == tokens(text)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèàç", min_size=1, max_size=20))
def test_stem_is_a_fixed_point(word: str) -> None:
    assert stem(stem(word)) == stem(word)


def test_case_accents_plurals_and_elisions_meet() -> None:
    assert normalize("Pièces USINÉES") == normalize("piece usinee")
    assert normalize("l'usinage des métaux") == normalize("Usinage métal")
    assert normalize("Compresseurs d'air") == normalize("compresseur air")
    assert normalize("Batteries") == normalize("battery")


def test_ligatures_and_punctuation() -> None:
    assert fold("Œuvre, cœur; n°3 ß") == "oeuvre coeur n 3 ss"
    assert normalize("---!!!") == ""


def test_different_words_stay_different() -> None:
    assert normalize("pompes") != normalize("compresseurs")
    assert normalize("tour CNC") != normalize("tour")
