"""Every table, imported in one place so that Alembic and tests see the whole schema."""

from app import freshness  # noqa: F401  (its session events keep derived data fresh)
from app.accounts.models import AuditEvent, LoginFailure, User, UserSession
from app.claims.models import Claim
from app.db import Base
from app.interchange.models import ImportBatch
from app.revisions import ContentRevision
from app.settlements.models import Settlement
from app.sources.models import Source
from app.status.models import AreaFigure, DerivedMark, PublicationDay, StatusChange

__all__ = [
    "AreaFigure",
    "AuditEvent",
    "Base",
    "Claim",
    "ContentRevision",
    "DerivedMark",
    "ImportBatch",
    "LoginFailure",
    "PublicationDay",
    "Settlement",
    "Source",
    "StatusChange",
    "User",
    "UserSession",
]
