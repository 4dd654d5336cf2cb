"""The embedded default vector engine: exact search over a NumPy float32 matrix, no server.

Persisted under data_dir/vectors as a snapshot plus an append-only change log. A filtered query is
one dot product over the rows the SQL filter allowed: at 100k leads it stays within a few percent
of a bare NumPy brute force (bench/bench_semantic.py), which is the speed goal.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from leadpilot.memory.vectors import PayloadFilter, PayloadValue, VectorHit, VectorStoreError, _check_shape


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
