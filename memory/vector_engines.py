"""Which engine holds the lead vectors: `open_vector_store` chooses one from the settings.

A Qdrant server when `LEADPILOT_QDRANT_URL` is set, else an embedded engine: Qdrant Edge
(`LEADPILOT_EMBEDDED_VECTOR_STORE=edge`) or the NumPy store (the default). See memory.vectors
for how they compare.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadpilot.memory.edge_vectors import open_edge_store
from leadpilot.memory.numpy_vectors import NumpyVectorStore
from leadpilot.memory.qdrant_vectors import QdrantServerStore
from leadpilot.memory.vectors import VectorStore

if TYPE_CHECKING:
    from leadpilot.settings import Settings


def open_vector_store(settings: Settings, *, dimension: int) -> VectorStore:
    """Qdrant server when `LEADPILOT_QDRANT_URL` is set, else the embedded store in data_dir/qdrant."""
    if settings.qdrant_url:
        api_key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        return QdrantServerStore.connect(settings.qdrant_url, collection=settings.qdrant_collection,
                                         dimension=dimension, api_key=api_key)
    if settings.embedded_vector_store == "edge":
        return open_edge_store(settings.qdrant_path / "edge", dimension=dimension)
    return NumpyVectorStore(settings.data_dir / "vectors", dimension=dimension)
