"""Group commit for POST /webhooks/lead: the posts that arrive together are stored by one thread
in one transaction (tools/capture.store_captures), and each request gets its 202 once that
transaction has committed.

One transaction per post made every capture take the database's write lock on its own, from a
thread competing for the GIL with the other requests and the pipeline workers; on SQLite, where
one writer at a time holds the file, the posts queued behind each other (57 captures/s on 2
cores). A lone post is stored at once, as before; under load a batch forms while the previous
one commits.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future

from leadpilot.memory.db import Database
from leadpilot.tools.pipeline import CaptureResult, PendingCapture, store_captures

log = logging.getLogger(__name__)

MAX_BATCH = 64


class CaptureWriter:
    """One writer thread per app, started by the first post; `stop` lets it finish what is queued."""

    def __init__(self, db: Database, *, max_batch: int = MAX_BATCH):
        self._db, self._max_batch = db, max_batch
        self._queue: queue.SimpleQueue[tuple[PendingCapture, Future] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, pending: PendingCapture) -> Future[CaptureResult]:
        """The future answer: a CaptureResult, or the post's error (IdempotencyConflict, a database error)."""
        future: Future[CaptureResult] = Future()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="capture-writer", daemon=True)
                self._thread.start()
            self._queue.put((pending, future))
        return future

    def stop(self, timeout_s: float = 30.0) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(None)
        if thread is not None:
            thread.join(timeout_s)

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            try:
                answers = store_captures(self._db, [pending for pending, _ in batch])
            except Exception as error:  # store_captures answers per post; this is a bug, not a post's fault
                log.exception("capture writer: storing a batch of %s failed", len(batch))
                answers = [error] * len(batch)
            for (_, future), answer in zip(batch, answers):
                if isinstance(answer, Exception):
                    future.set_exception(answer)
                else:
                    future.set_result(answer)

    def _next_batch(self) -> list[tuple[PendingCapture, Future]] | None:
        """Wait for a post, then take whatever else is queued (up to the batch size); None = stop."""
        first = self._queue.get()
        if first is None:
            return None
        batch = [first]
        while len(batch) < self._max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self._queue.put(None)  # stop after this batch
                break
            batch.append(item)
        return batch
