"""``GET /concepts/{concept_id}`` and ``GET /concepts?q=&status=``: dictionary lookups."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from api.deps import CallerDep, StateDep, single_query_values
from api.errors import ERROR_RESPONSES, NOT_FOUND_RESPONSE
from api.responses import model_response
from api.schemas import INT32_MAX, ConceptOut, ConceptPage, StorableStr
from core.concepts_query import MAX_LIMIT, get_concept, search_concepts

router = APIRouter(
    tags=["concepts"], responses=ERROR_RESPONSES, dependencies=[Depends(single_query_values)]
)


@router.get(
    "/concepts/{concept_id}",
    response_model=ConceptOut,
    summary="One concept of your dictionary",
    responses=NOT_FOUND_RESPONSE,
)
def read_concept(
    concept_id: Annotated[int, Path(ge=1, le=INT32_MAX, description="From a shortlist.")],
    caller: CallerDep,
    state: StateDep,
) -> Response:
    """Labels, synonyms, definitions, status and place in the glossary of one concept."""
    with state.transaction() as session:
        view = get_concept(session, caller.tenant_id, concept_id)
    return model_response(
        ConceptOut.model_validate(view, from_attributes=True), headers=caller.headers
    )


@router.get("/concepts", response_model=ConceptPage, summary="Search your dictionary")
def list_concepts(
    caller: CallerDep,
    state: StateDep,
    q: Annotated[
        StorableStr | None,
        Query(max_length=200, description="Code prefix or text in a label or synonym."),
    ] = None,
    status: Annotated[
        Literal["draft", "validated", "rejected", "merged", "any"],
        Query(description="Concept status; `any` for all."),
    ] = "validated",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """Concepts whose code starts with ``q`` or whose labels or synonyms contain it
    (case-insensitive), in code order, an exact code first."""
    with state.transaction() as session:
        views = search_concepts(
            session,
            caller.tenant_id,
            q=q,
            status=None if status == "any" else status,
            limit=limit,
            offset=offset,
        )
    items = [ConceptOut.model_validate(v, from_attributes=True) for v in views]
    page = ConceptPage(items=items, count=len(items), limit=limit, offset=offset)
    return model_response(page, headers=caller.headers)
