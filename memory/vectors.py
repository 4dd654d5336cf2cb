"""The lead vector store: one interface, three engines.

- `NumpyVectorStore` (embedded default, no server): exact search over a float32 matrix, persisted
  under data_dir/vectors as a snapshot plus an append-only change log. A filtered query is one dot
  product over the rows the SQL filter allowed: at 100k leads it stays within a few percent of a
  bare NumPy brute force (bench/bench_semantic.py), which is the speed goal.
- `EdgeVectorStore` (`LEADPILOT_EMBEDDED_VECTOR_STORE=edge`): Qdrant Edge (`qdrant-edge-py`), Qdrant's
  embedded engine, exact search (no HNSW: building one takes ~3 minutes per 100k on 2 cores and
  makes filtered results approximate). Measured here it is 1.5-2.8x the NumPy brute force on
  id-filtered queries: a ~1 ms fixed cost per query and the transfer of large id sets into Rust.
  Payload-indexed filters are fast in it, but LeadFilter's time and activity conditions cannot
  live in a payload, so the hybrid path filters by id. qdrant-client's local mode filters in
  Python (~140 ms at 10k points) and is not an embedded option.
- `QdrantServerStore`: a Qdrant server through qdrant-client when `LEADPILOT_QDRANT_URL` is set.
  Its local mode (`QdrantClient(path=...)`) speaks the same API, which is how the tests run it.

Point ids are lead ids, so an upsert is idempotent. Vectors are unit length; scores are cosine.

This module holds the interface; the engines are in memory.numpy_vectors, memory.edge_vectors and
memory.qdrant_vectors, and memory.vector_engines picks one from the settings.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

PayloadValue = str | int | float | bool | None
# Payload conditions: field -> accepted values ("any of"); all fields must hold.
PayloadFilter = Mapping[str, Sequence[str | int | bool]]

# Payload fields kept filterable by the store (keyword indexes); the rest is informational.
KEYWORD_FIELDS = ("industry", "country", "source", "stage", "tier")


class VectorStoreError(RuntimeError):
    """The vector store failed or is unreachable; the lead store is untouched and catches up later."""


@dataclass(frozen=True)
class VectorHit:
    id: int
    score: float
    payload: dict[str, Any] | None = None


@runtime_checkable
class VectorStore(Protocol):
    """Lead vectors keyed by lead id, with a payload of structured fields."""

    @property
    def dimension(self) -> int: ...

    def upsert(self, ids: Sequence[int], vectors: np.ndarray, payloads: Sequence[Mapping[str, PayloadValue]]) -> None: ...

    def delete(self, ids: Sequence[int]) -> None: ...

    def search(
        self, vector: np.ndarray, *, limit: int, ids: Collection[int] | None = None, where: PayloadFilter | None = None,
    ) -> list[VectorHit]:
        """The `limit` nearest points, best first; only `ids` (when given) matching `where` (when given)."""
        ...

    def vectors(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Stored vectors of those ids that are in the store."""
        ...

    def all_ids(self) -> set[int]: ...

    def count(self) -> int: ...

    def reset(self) -> None:
        """Drop every point (a new embedding model, a full rebuild)."""
        ...

    def close(self) -> None: ...


def _check_shape(ids: Sequence[int], vectors: np.ndarray, payloads: Sequence[Any], dimension: int) -> None:
    if vectors.shape != (len(ids), dimension) or len(payloads) != len(ids):
        raise ValueError(f"{len(ids)} ids, {vectors.shape} vectors, {len(payloads)} payloads for dimension {dimension}")
