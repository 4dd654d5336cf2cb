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
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from leadpilot.settings import Settings

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


# ---------------------------------------------------------------------------------------------
# Embedded default: a NumPy matrix with an append-only log on disk
# ---------------------------------------------------------------------------------------------


class NumpyVectorStore:
    """Exact search over a float32 matrix, persisted as a snapshot plus an append-only change log.

    The embedded default: a filtered query is one dot product over the allowed rows, which is
    what the speed goal measures against. Each upsert or delete appends one small log file (no
    rewrite of the whole matrix); opening replays the log, and the log is folded into the
    snapshot once it grows past a quarter of the points.
    """

    def __init__(self, path: Path, *, dimension: int) -> None:
        self._path = Path(path)
        self._dimension = dimension
        self._lock = threading.RLock()
        self._ids = np.zeros(0, dtype=np.int64)
        self._matrix = np.zeros((0, dimension), dtype=np.float32)
        self._payloads: list[dict[str, Any]] = []
        self._row_of: dict[int, int] = {}
        self._sorted: tuple[np.ndarray, np.ndarray | None] | None = None  # id -> row lookup, built lazily
        self._columns: dict[str, np.ndarray] = {}  # payload field -> values per row, built lazily
        self._log_points = 0
        self._path.mkdir(parents=True, exist_ok=True)
        self._load()
        self._seen_version = self._disk_version()

    def _disk_version(self) -> int:
        # Log names are unique (time_ns) and compaction removes them, so the set of names changes
        # with every write; a directory mtime alone can miss two writes within one clock tick.
        import os

        return hash(tuple(sorted(os.listdir(self._path))))

    def _refresh(self) -> None:
        """Pick up changes another process wrote (e.g. `leadpilot reindex` while the chat runs)."""
        if self._disk_version() != self._seen_version:
            self._ids = np.zeros(0, dtype=np.int64)
            self._matrix = np.zeros((0, self._dimension), dtype=np.float32)
            self._payloads, self._row_of, self._log_points = [], {}, 0
            self._load()
            self._seen_version = self._disk_version()

    @property
    def dimension(self) -> int:
        return self._dimension

    # -- persistence -------------------------------------------------------------------------

    def _load(self) -> None:
        import json

        snapshot = self._path / "snapshot.npz"
        if snapshot.exists():
            with np.load(snapshot, allow_pickle=False) as data:
                ids, matrix = data["ids"], data["vectors"]
                payloads = json.loads(str(data["payloads"]))
            if matrix.shape[1:] != (self._dimension,):
                raise VectorStoreError(
                    f"the vector store in {self._path} holds {matrix.shape[1]}-dim vectors, the embedder makes "
                    f"{self._dimension}; run `leadpilot reindex --rebuild`"
                )
            self._apply_upsert(ids, matrix, payloads)
        for log in sorted(self._path.glob("log-*.npz")):
            with np.load(log, allow_pickle=False) as data:
                if str(data["op"]) == "delete":
                    self._apply_delete(data["ids"].tolist())
                else:
                    self._apply_upsert(data["ids"], data["vectors"], json.loads(str(data["payloads"])))
                self._log_points += len(data["ids"])

    def _write(self, name: str, **arrays: Any) -> None:
        target = self._path / name
        partial = self._path / (name + ".partial.npz")
        np.savez(partial, **arrays)
        partial.replace(target)  # atomic: a crash leaves the old file or the new one
        self._seen_version = self._disk_version()

    def _append_log(self, op: str, ids: np.ndarray, vectors: np.ndarray, payloads: list[dict[str, Any]]) -> None:
        import json
        import time

        self._write(f"log-{time.time_ns():020d}.npz", op=np.array(op), ids=ids, vectors=vectors,
                    payloads=np.array(json.dumps(payloads, default=str)))
        self._log_points += len(ids)
        if self._log_points > max(1000, len(self._ids) // 4):
            self._compact()

    def _compact(self) -> None:
        import json

        self._write("snapshot.npz", ids=self._ids, vectors=self._matrix,
                    payloads=np.array(json.dumps(self._payloads, default=str)))
        for log in self._path.glob("log-*.npz"):
            log.unlink()
        self._log_points = 0
        self._seen_version = self._disk_version()

    # -- in memory ---------------------------------------------------------------------------

    def _changed(self) -> None:
        self._sorted = None
        self._columns = {}

    def _apply_upsert(self, ids: np.ndarray, vectors: np.ndarray, payloads: list[dict[str, Any]]) -> None:
        new_rows = []
        for position, lead_id in enumerate(ids.tolist()):
            row = self._row_of.get(lead_id)
            if row is None:
                new_rows.append(position)
                continue
            self._matrix[row] = vectors[position]
            self._payloads[row] = payloads[position]
        if new_rows:
            start = len(self._ids)
            self._ids = np.concatenate([self._ids, ids[new_rows]])
            self._matrix = np.vstack([self._matrix, vectors[new_rows]])
            self._payloads.extend(payloads[i] for i in new_rows)
            self._row_of.update((int(i), start + n) for n, i in enumerate(ids[new_rows].tolist()))
        self._changed()

    def _apply_delete(self, ids: list[int]) -> None:
        doomed = {self._row_of[i] for i in ids if i in self._row_of}
        if not doomed:
            return
        keep = np.ones(len(self._ids), dtype=bool)
        keep[list(doomed)] = False
        self._ids, self._matrix = self._ids[keep], self._matrix[keep]
        self._payloads = [p for p, k in zip(self._payloads, keep.tolist()) if k]
        self._row_of = {int(i): row for row, i in enumerate(self._ids.tolist())}
        self._changed()

    def _rows_for(self, ids: Collection[int]) -> np.ndarray:
        """Matrix rows of those ids that are stored (unknown ids are skipped)."""
        if isinstance(ids, np.ndarray):
            wanted = ids.astype(np.int64, copy=False)
        else:
            wanted = np.fromiter(ids, dtype=np.int64, count=len(ids))
        if not len(self._ids) or not len(wanted):
            return np.zeros(0, dtype=np.int64)
        if self._sorted is None:
            self._sorted = self._id_lookup()
        table, order = self._sorted
        if order is None:  # lead ids are dense: a direct id -> row table, one gather
            inside = wanted[(wanted >= 0) & (wanted < len(table))]
            rows = table[inside]
            return rows[rows >= 0]
        at = np.clip(np.searchsorted(table, wanted), 0, len(table) - 1)
        return order[at[table[at] == wanted]]

    def _id_lookup(self) -> tuple[np.ndarray, np.ndarray | None]:
        """(id -> row table, None) when ids are dense enough, else (sorted ids, their rows)."""
        top = int(self._ids.max())
        if self._ids.min() >= 0 and top < 4 * len(self._ids) + 10_000:
            table = np.full(top + 1, -1, dtype=np.int64)
            table[self._ids] = np.arange(len(self._ids))
            return table, None
        order = np.argsort(self._ids, kind="stable")
        return self._ids[order], order

    def _column(self, key: str) -> np.ndarray:
        if key not in self._columns:
            self._columns[key] = np.array([p.get(key) for p in self._payloads], dtype=object)
        return self._columns[key]

    # -- the interface -----------------------------------------------------------------------

    def upsert(self, ids: Sequence[int], vectors: np.ndarray, payloads: Sequence[Mapping[str, PayloadValue]]) -> None:
        _check_shape(ids, vectors, payloads, self._dimension)
        if not len(ids):
            return
        ids_array = np.asarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        rows = [dict(p) for p in payloads]
        with self._lock:
            self._refresh()
            self._apply_upsert(ids_array, vectors, rows)
            self._append_log("upsert", ids_array, vectors, rows)

    def delete(self, ids: Sequence[int]) -> None:
        if not len(ids):
            return
        with self._lock:
            self._apply_delete([int(i) for i in ids])
            self._append_log("delete", np.asarray(ids, dtype=np.int64), np.zeros((0, self._dimension), np.float32), [])

    def search(
        self, vector: np.ndarray, *, limit: int, ids: Collection[int] | None = None, where: PayloadFilter | None = None,
    ) -> list[VectorHit]:
        with self._lock:
            self._refresh()
            ids_now, matrix, payloads = self._ids, self._matrix, self._payloads
            rows = None if ids is None else self._rows_for(ids)
            if where:
                mask = np.ones(len(ids_now), dtype=bool)
                for key, values in where.items():
                    mask &= np.isin(self._column(key), np.array(list(values), dtype=object))
                rows = np.flatnonzero(mask) if rows is None else rows[mask[rows]]
        candidates = matrix if rows is None else matrix[rows]
        if not len(candidates):
            return []
        scores = candidates @ np.asarray(vector, dtype=np.float32)
        k = min(limit, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        chosen = top if rows is None else rows[top]
        return [VectorHit(id=int(ids_now[r]), score=float(s), payload=payloads[r]) for r, s in zip(chosen, scores[top])]

    def vectors(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        with self._lock:
            return {int(self._ids[r]): self._matrix[r].copy() for r in self._rows_for(ids)}

    def all_ids(self) -> set[int]:
        return set(self._ids.tolist())

    def count(self) -> int:
        with self._lock:
            self._refresh()
            return len(self._ids)

    def reset(self) -> None:
        with self._lock:
            for stored in self._path.glob("*.npz"):
                stored.unlink()
            self._ids = np.zeros(0, dtype=np.int64)
            self._matrix = np.zeros((0, self._dimension), dtype=np.float32)
            self._payloads, self._row_of, self._log_points = [], {}, 0
            self._changed()

    def close(self) -> None:
        """Nothing to release: every change is on disk when upsert/delete return."""


# ---------------------------------------------------------------------------------------------
# Embedded: Qdrant Edge
# ---------------------------------------------------------------------------------------------


class EdgeVectorStore:
    """Qdrant Edge shard in a directory. One instance per directory per process (see `open_edge_store`)."""

    _UPSERT_BATCH = 2000

    def __init__(self, path: Path, *, dimension: int) -> None:
        import qdrant_edge as qe

        self._qe = qe
        self._path = Path(path)
        self._dimension = dimension
        self._lock = threading.Lock()
        self._shard = self._open()

    def _config(self):
        qe = self._qe
        return qe.EdgeConfig(
            vectors=qe.EdgeVectorParams(size=self._dimension, distance=qe.Distance.Dot),
            # indexing_threshold=0: never build HNSW; exact search is fast enough at this scale and
            # keeps filtered results exact.
            optimizers=qe.EdgeOptimizersConfig(indexing_threshold=0),
        )

    def _open(self):
        qe = self._qe
        if self._path.is_dir() and any(self._path.iterdir()):
            try:
                shard = qe.EdgeShard.load(str(self._path))
            except Exception as error:
                raise VectorStoreError(f"cannot open the vector store in {self._path}: {error}; "
                                       "delete the folder and run `leadpilot reindex`") from error
            size = self._stored_dimension(shard)
            if size is not None and size != self._dimension:
                shard.close()
                raise VectorStoreError(
                    f"the vector store in {self._path} holds {size}-dim vectors, the embedder makes {self._dimension}; "
                    "run `leadpilot reindex --rebuild`"
                )
            return shard
        self._path.mkdir(parents=True, exist_ok=True)
        shard = qe.EdgeShard.create(str(self._path), self._config())
        for field in KEYWORD_FIELDS:
            shard.update(qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Keyword))
        return shard

    def _stored_dimension(self, shard) -> int | None:
        points, _ = shard.scroll(self._qe.ScrollRequest(limit=1, with_vector=True))
        if not points:
            return None
        return len(points[0].vector)

    @property
    def dimension(self) -> int:
        return self._dimension

    def upsert(self, ids: Sequence[int], vectors: np.ndarray, payloads: Sequence[Mapping[str, PayloadValue]]) -> None:
        _check_shape(ids, vectors, payloads, self._dimension)
        qe = self._qe
        with self._lock:
            for start in range(0, len(ids), self._UPSERT_BATCH):
                stop = start + self._UPSERT_BATCH
                points = [
                    qe.Point(int(i), v.tolist(), dict(p))
                    for i, v, p in zip(ids[start:stop], vectors[start:stop], payloads[start:stop])
                ]
                self._shard.update(qe.UpdateOperation.upsert_points(points))
            self._shard.flush()

    def delete(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        with self._lock:
            self._shard.update(self._qe.UpdateOperation.delete_points([int(i) for i in ids]))
            self._shard.flush()

    def _filter(self, ids: Collection[int] | None, where: PayloadFilter | None):
        qe = self._qe
        must: list[Any] = []
        if ids is not None:
            must.append(qe.HasIdCondition({int(i) for i in ids}))
        for key, values in (where or {}).items():
            values = list(values)
            if values and all(isinstance(v, bool) for v in values) and len(values) == 1:
                must.append(qe.FieldCondition(key, match=qe.MatchValue(values[0])))
            else:
                must.append(qe.FieldCondition(key, match=qe.MatchAny(values)))
        return qe.Filter(must=must) if must else None

    def search(
        self, vector: np.ndarray, *, limit: int, ids: Collection[int] | None = None, where: PayloadFilter | None = None,
    ) -> list[VectorHit]:
        if ids is not None and not ids:
            return []
        qe = self._qe
        request = qe.QueryRequest(
            limit=limit, query=qe.Query.Nearest(np.asarray(vector, dtype=np.float32).tolist()),
            filter=self._filter(ids, where), with_payload=True,
        )
        return [VectorHit(id=int(p.id), score=float(p.score), payload=p.payload) for p in self._shard.query(request)]

    def vectors(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        records = self._shard.retrieve([int(i) for i in ids], with_payload=False, with_vector=True)
        return {int(r.id): np.asarray(r.vector, dtype=np.float32) for r in records}

    def all_ids(self) -> set[int]:
        qe = self._qe
        found: set[int] = set()
        offset = None
        while True:
            records, offset = self._shard.scroll(qe.ScrollRequest(offset=offset, limit=10_000, with_payload=False))
            found.update(int(r.id) for r in records)
            if offset is None:
                return found

    def count(self) -> int:
        return int(self._shard.count(self._qe.CountRequest(exact=True)))

    def reset(self) -> None:
        import shutil

        with self._lock:
            self._shard.close()
            shutil.rmtree(self._path, ignore_errors=True)
            self._shard = self._open()

    def close(self) -> None:
        with self._lock:
            self._shard.close()


# ---------------------------------------------------------------------------------------------
# Server: qdrant-client
# ---------------------------------------------------------------------------------------------


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


_EDGE_STORES: dict[Path, EdgeVectorStore] = {}
_EDGE_LOCK = threading.Lock()


def open_edge_store(path: Path, *, dimension: int) -> EdgeVectorStore:
    """The process's one store for `path` (an Edge shard must not be opened twice)."""
    key = Path(path).resolve()
    with _EDGE_LOCK:
        store = _EDGE_STORES.get(key)
        if store is None or store.dimension != dimension:
            if store is not None:
                store.close()
            store = _EDGE_STORES[key] = EdgeVectorStore(key, dimension=dimension)
        return store


def open_vector_store(settings: Settings, *, dimension: int) -> VectorStore:
    """Qdrant server when `LEADPILOT_QDRANT_URL` is set, else the embedded store in data_dir/qdrant."""
    if settings.qdrant_url:
        api_key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        return QdrantServerStore.connect(settings.qdrant_url, collection=settings.qdrant_collection,
                                         dimension=dimension, api_key=api_key)
    if settings.embedded_vector_store == "edge":
        return open_edge_store(settings.qdrant_path / "edge", dimension=dimension)
    return NumpyVectorStore(settings.data_dir / "vectors", dimension=dimension)
