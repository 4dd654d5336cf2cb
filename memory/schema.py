"""Every table of the store in one metadata, for Alembic and for the schema tests."""

from leadpilot.memory import campaigns, conversations, enrichment_cache, lead_vectors, ml_models, outbox, pipeline, routing_state, users  # noqa: F401  (their tables join Base.metadata)
from leadpilot.memory.models import Base

metadata = Base.metadata
