"""The domain model. Import from here: ``from core.models import Concept``."""

from core.models.base import EMBEDDING_DIM, Base
from core.models.company import CompanyConceptActivation, CompanyProfile
from core.models.concept import Concept, ConceptExample, ConceptStatus, MergeProposal
from core.models.glossary import GlossaryNode
from core.models.logs import BuildRun, CurationEvent, LlmUsage, QueryMatchLog
from core.models.market import Demand, Offer
from core.models.tenant import ApiKey, Tenant, User

TENANT_OWNED_MODELS = (
    GlossaryNode,
    Concept,
    ConceptExample,
    MergeProposal,
    CompanyProfile,
    CompanyConceptActivation,
    Offer,
    Demand,
    QueryMatchLog,
    CurationEvent,
    BuildRun,
    ApiKey,
)
"""Every table whose rows belong to one tenant (the isolation suite walks this list)."""

__all__ = [
    "EMBEDDING_DIM",
    "TENANT_OWNED_MODELS",
    "ApiKey",
    "Base",
    "BuildRun",
    "CompanyConceptActivation",
    "CompanyProfile",
    "Concept",
    "ConceptExample",
    "ConceptStatus",
    "CurationEvent",
    "Demand",
    "GlossaryNode",
    "LlmUsage",
    "MergeProposal",
    "Offer",
    "QueryMatchLog",
    "Tenant",
    "User",
]
