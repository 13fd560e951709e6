"""Explanations: why a concept is in the shortlist (or not), as data and as sentences."""

from __future__ import annotations

from core.matching.pipeline import Ranking
from core.matching.types import CandidateExplanation


def _fr_num(value: float, digits: int = 2) -> str:
    """French decimal comma.

    >>> _fr_num(0.5), _fr_num(12.0, 0)
    ('0,50', '12')
    """
    return f"{value:.{digits}f}".replace(".", ",")


def _quote_fr(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return "« " + (text if len(text) <= limit else text[: limit - 1] + "…") + " »"


def _quote_en(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return "“" + (text if len(text) <= limit else text[: limit - 1] + "…") + "”"


def method_phrase(method: str, weights: dict[str, float], rrf_k: int) -> tuple[str, str]:
    """How the scores were combined, in French and English.

    >>> method_phrase("weighted", {"lexical": 0.6, "vector": 0.4}, 60)[1]
    'weighted fusion (lexical 0.60 / vector 0.40)'
    >>> method_phrase("rrf", {}, 60)[0]
    'fusion RRF (k = 60)'
    """
    if method == "rrf":
        return f"fusion RRF (k = {rrf_k})", f"RRF fusion (k = {rrf_k})"
    lw, vw = weights.get("lexical", 0.0), weights.get("vector", 0.0)
    return (
        f"fusion pondérée (lexical {_fr_num(lw)} / vecteur {_fr_num(vw)})",
        f"weighted fusion (lexical {lw:.2f} / vector {vw:.2f})",
    )


def explain_row(
    ranking: Ranking,
    row: int,
    *,
    label: str,
    filters_passed: list[str],
    rrf_k: int,
    vector_note: tuple[str, str] | None = None,
    rerank_change: int | None = None,
) -> CandidateExplanation:
    """The explanation of one shortlisted concept.

    Args:
        ranking: the query's ranking.
        row: the catalog row of the concept.
        label: its display label.
        filters_passed: the filters it passed (e.g. ``company=12``).
        rrf_k: RRF constant (for the sentence).
        vector_note: (fr, en) note on the vector backend when it was not FAISS.
        rerank_change: positions moved by the LLM rerank (+ up), if any.
    """
    lex_ev = ranking.lexical_evidence.get(row)
    vec_ev = ranking.vector_evidence.get(row)
    lexical_score = ranking.lexical.get(row)
    cosine = ranking.cosine.get(row)
    lex_rank = ranking.lexical_rank.get(row)
    vec_rank = ranking.vector_rank.get(row)
    exact = row in ranking.exact
    fused = ranking.fused.get(row, 0.0)
    has_lexical = bool(lexical_score) and lex_ev is not None and bool(lex_ev.text)
    matched_text = lex_ev.text if has_lexical and lex_ev else None
    matched_kind = lex_ev.kind if has_lexical and lex_ev else None
    matched_lang = lex_ev.lang if has_lexical and lex_ev else None
    others = lex_ev.others if lex_ev is not None and has_lexical else 0
    example = None
    if lex_ev is not None and lex_ev.kind == "example" and has_lexical:
        example = lex_ev.text
    elif vec_ev is not None and vec_ev.kind == "example":
        example = vec_ev.text

    fr: list[str] = []
    en: list[str] = []
    if exact:
        fr.append(f"correspondance exacte avec le {_kind_fr(matched_kind)} {_quote_fr(label)}")
        en.append(f"exact match with the {matched_kind or 'label'} {_quote_en(label)}")
    if has_lexical and matched_text and not exact:
        rank_fr = f", rang {lex_rank}" if lex_rank else ""
        rank_en = f", rank {lex_rank}" if lex_rank else ""
        fr.append(
            f"{_kind_fr(matched_kind)} {_quote_fr(matched_text)} proche des mots de la demande "
            f"(score lexical {_fr_num(lexical_score or 0.0, 0)}/100{rank_fr})"
            + (f", comme {others} autre(s) exemple(s) du même concept" if others else "")
        )
        en.append(
            f"{matched_kind} {_quote_en(matched_text)} shares the request's words "
            f"(lexical score {lexical_score or 0.0:.0f}/100{rank_en})"
            + (f", as do {others} other example(s) of this concept" if others else "")
        )
    if cosine is not None:
        rank_fr = f", rang {vec_rank}" if vec_rank else ""
        rank_en = f", rank {vec_rank}" if vec_rank else ""
        if vec_ev is not None and vec_ev.kind == "example":
            fr.append(
                f"sens proche d'un exemple étiqueté {_quote_fr(vec_ev.text)} "
                f"(cosinus {_fr_num(cosine)}{rank_fr})"
            )
            en.append(
                f"meaning close to a labelled example {_quote_en(vec_ev.text)} "
                f"(cosine {cosine:.2f}{rank_en})"
            )
        else:
            fr.append(f"proximité de sens cosinus {_fr_num(cosine)}{rank_fr}")
            en.append(f"semantic similarity cosine {cosine:.2f}{rank_en}")
    method_fr, method_en = method_phrase(ranking.method, ranking.weights, rrf_k)
    fr.append(f"score {_fr_num(fused)} par {method_fr}")
    en.append(f"score {fused:.2f} by {method_en}")
    if filters_passed:
        fr.append("filtres passés : " + ", ".join(filters_passed))
        en.append("filters passed: " + ", ".join(filters_passed))
    if rerank_change:
        moved = abs(rerank_change)
        fr.append(
            f"{'remonté' if rerank_change > 0 else 'descendu'} de {moved} place(s) par le LLM"
        )
        en.append(f"moved {'up' if rerank_change > 0 else 'down'} {moved} place(s) by the LLM")
    if vector_note:
        fr.append(vector_note[0])
        en.append(vector_note[1])
    return CandidateExplanation(
        matched_text=matched_text,
        matched_kind=matched_kind,
        matched_lang=matched_lang,
        lexical_score=round(lexical_score, 2) if lexical_score is not None else None,
        cosine=round(cosine, 4) if cosine is not None else None,
        lexical_norm=round(ranking.lexical_norm.get(row, 0.0), 4),
        vector_norm=round(ranking.vector_norm.get(row, 0.0), 4),
        lexical_rank=lex_rank,
        vector_rank=vec_rank,
        weights={k: round(v, 4) for k, v in ranking.weights.items()},
        fused_score=round(fused, 4),
        exact_hit=exact,
        filters_passed=list(filters_passed),
        rerank_change=rerank_change,
        example=example,
        agreeing_examples=others,
        sentence_fr=_sentence(label, fr, lang="fr"),
        sentence_en=_sentence(label, en, lang="en"),
    )


def _kind_fr(kind: str | None) -> str:
    return {"synonym": "synonyme", "example": "exemple", "label": "libellé"}.get(
        kind or "label", "libellé"
    )


def _sentence(label: str, parts: list[str], *, lang: str) -> str:
    """``« label » : part ; part.`` (French spacing) or ``“label”: part; part.``."""
    if lang == "fr":
        return f"{_quote_fr(label)} : " + " ; ".join(parts) + "."
    return f"{_quote_en(label)}: " + "; ".join(parts) + "."


def summary(count: int, top_k: int, query: str, *, lang: str) -> str:
    """One line summing up a shortlist.

    >>> summary(2, 10, "usinage titane", lang="en")
    '2 concept(s) for “usinage titane” (up to 10 asked).'
    >>> summary(0, 10, "xyz", lang="fr")
    'Aucun concept assez proche de « xyz » : reformulez ou élargissez les filtres.'
    """
    if count == 0:
        if lang == "fr":
            return (
                f"Aucun concept assez proche de {_quote_fr(query)} : "
                "reformulez ou élargissez les filtres."
            )
        return f"No concept close enough to {_quote_en(query)}: rephrase or widen the filters."
    if lang == "fr":
        return f"{count} concept(s) pour {_quote_fr(query)} (jusqu'à {top_k} demandés)."
    return f"{count} concept(s) for {_quote_en(query)} (up to {top_k} asked)."
