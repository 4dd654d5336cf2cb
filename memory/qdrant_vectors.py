"""The Qdrant server vector engine: a collection on a Qdrant server through qdrant-client.

Used when `LEADPILOT_QDRANT_URL` is set. qdrant-client's local mode (`QdrantClient(path=...)`)
speaks the same API, which is how the tests run it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np

from leadpilot.memory.vectors import KEYWORD_FIELDS, PayloadFilter, PayloadValue, VectorHit, VectorStoreError, _check_shape


class QdrantServerStore:
    """A collection on a Qdrant server (or qdrant-client's local mode, same API)."""

    def __init__(self, client, *, collection: str, dimension: int) -> None:
        self._client = client
        self._collection = collection
        self._dimension = dimension
        self._ready = False

    @classmethod
    def connect(cls, url: str, *, collection: str, dimension: int, api_key: str | None = None,
                timeout_s: int = 5) -> QdrantServerStore:
        from qdrant_client import QdrantClient

        # No version handshake at construction: an unreachable server must not fail `open`, only calls.
        client = QdrantClient(url=url, api_key=api_key, timeout=timeout_s, check_compatibility=False)
        return cls(client, collection=collection, dimension=dimension)

    @property
    def dimension(self) -> int:
        return self._dimension

    def _call(self, what: str, fn, *args, **kwargs):
        try:
            if not self._ready:
                self._ensure_collection()
            return fn(*args, **kwargs)
        except VectorStoreError:
            raise
        except Exception as error:  # connection refused, timeouts, server errors: one message
            raise VectorStoreError(f"Qdrant {what} failed ({type(error).__name__}: {error})") from error

    def _ensure_collection(self) -> None:
        from qdrant_client import models

        client = self._client
        if not client.collection_exists(self._collection):
            client.create_collection(
                self._collection, vectors_config=models.VectorParams(size=self._dimension, distance=models.Distance.DOT),
            )
            if type(getattr(client, "_client", None)).__name__ != "QdrantLocal":  # local mode has no payload indexes
                for field in KEYWORD_FIELDS:
                    client.create_payload_index(self._collection, field, models.PayloadSchemaType.KEYWORD)
        else:
            params = client.get_collection(self._collection).config.params.vectors
            size = getattr(params, "size", None)
            if size is not None and size != self._dimension:
                raise VectorStoreError(
                    f"Qdrant collection {self._collection!r} holds {size}-dim vectors, the embedder makes "
                    f"{self._dimension}; run `leadpilot reindex --rebuild`"
                )
        self._ready = True

    def upsert(self, ids: Sequence[int], vectors: np.ndarray, payloads: Sequence[Mapping[str, PayloadValue]]) -> None:
        from qdrant_client import models

        _check_shape(ids, vectors, payloads, self._dimension)
        for start in range(0, len(ids), 1000):
            stop = start + 1000
            points = [
                models.PointStruct(id=int(i), vector=v.tolist(), payload=dict(p))
                for i, v, p in zip(ids[start:stop], vectors[start:stop], payloads[start:stop])
            ]
            self._call("upsert", self._client.upsert, self._collection, points=points, wait=True)

    def delete(self, ids: Sequence[int]) -> None:
        from qdrant_client import models

        if ids:
            self._call("delete", self._client.delete, self._collection,
                       points_selector=models.PointIdsList(points=[int(i) for i in ids]), wait=True)

    def search(
        self, vector: np.ndarray, *, limit: int, ids: Collection[int] | None = None, where: PayloadFilter | None = None,
    ) -> list[VectorHit]:
        from qdrant_client import models

        if ids is not None and not ids:
            return []
        must: list[Any] = []
        if ids is not None:
            must.append(models.HasIdCondition(has_id=[int(i) for i in ids]))
        for key, values in (where or {}).items():
            values = list(values)
            if len(values) == 1 and isinstance(values[0], bool):
                must.append(models.FieldCondition(key=key, match=models.MatchValue(value=values[0])))
            else:
                must.append(models.FieldCondition(key=key, match=models.MatchAny(any=values)))
        response = self._call(
            "search", self._client.query_points, self._collection,
            query=np.asarray(vector, dtype=np.float32).tolist(), limit=limit,
            query_filter=models.Filter(must=must) if must else None, with_payload=True,
        )
        return [VectorHit(id=int(p.id), score=float(p.score), payload=p.payload) for p in response.points]

    def vectors(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        records = self._call("retrieve", self._client.retrieve, self._collection, ids=[int(i) for i in ids],
                             with_vectors=True, with_payload=False)
        return {int(r.id): np.asarray(r.vector, dtype=np.float32) for r in records}

    def all_ids(self) -> set[int]:
        found: set[int] = set()
        offset = None
        while True:
            records, offset = self._call("scroll", self._client.scroll, self._collection, limit=10_000, offset=offset,
                                         with_payload=False, with_vectors=False)
            found.update(int(r.id) for r in records)
            if offset is None:
                return found

    def count(self) -> int:
        return int(self._call("count", self._client.count, self._collection, exact=True).count)

    def reset(self) -> None:
        self._call("reset", self._client.delete_collection, self._collection)
        self._ready = False

    def close(self) -> None:
        self._client.close()
