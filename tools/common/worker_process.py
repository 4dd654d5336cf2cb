"""Run an import's reading side in a second process, so it overlaps with the database writes.

An import spends about as long reading and validating rows (Python, one core) as writing them
(the database driver). `run_in_worker(produce, kwargs)` runs the generator function `produce` in
one child process and hands its items back in order through a bounded queue: while this process
upserts chunk N, the child is already validating chunk N+1 (and at most `depth` chunks wait).
The child gets only plain arguments (a path, the file format, a dict of reps, the database
driver's name, ...): it never sees the database, and everything it sends back is plain data. For
an import that is each chunk's good rows already encoded for the driver (memory.lead_batch.LeadBatch)
and no cells of good rows, so the writing process unpickles little and only moves tuples.

Start method: "fork" when this process runs a single thread, otherwise "spawn".
- fork starts the child in milliseconds with every module already imported (spawn re-imports
  the caller's main module and SQLAlchemy: ~1 s, a tenth of a 100,000-row import). The child
  inherits the database connections' sockets and file descriptors but never uses them, and
  multiprocessing ends it with os._exit, so no connection is closed or reset from the child.
- The child dies with its parent, kill -9 included (`die_with_parent`: Linux's parent-death
  signal, a watchdog elsewhere), so an import killed hard leaves no reader process behind.
- fork is unsafe in a process with other threads (a lock held by one of them stays held in the
  child forever; Python 3.12+ warns about it), e.g. a web server's thread pool: then spawn. So
  `produce`, its arguments and its items must be picklable (module-level functions and classes).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue as queue_module
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

PIPELINE_MIN_BYTES = 2 * 1024 * 1024  # ~8,000 lead rows: below this a second process is not worth starting
_POLL_S = 1.0  # how often a waiting caller checks that the child is still alive
_ITEM, _DONE, _ERROR = "item", "done", "error"
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def pipeline_available() -> bool:
    """A second core to overlap with (on one core the child would only add pickling)."""
    return (os.cpu_count() or 1) > 1


def start_method() -> str:
    """'fork' in a single-threaded process where it exists, else 'spawn' (see the module docstring)."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


class run_in_worker:  # noqa: N801 - used like a function: `with run_in_worker(f, kwargs) as items:`
    """`with run_in_worker(produce, kwargs) as items: for item in items: ...` yields produce(**kwargs)'s
    items, computed in a child process. An exception in the child is raised here; leaving the
    block early (or on an error) stops the child."""

    def __init__(self, produce: Callable[..., Iterator[T]], kwargs: dict[str, Any], *, depth: int = 2, method: str | None = None):
        context = multiprocessing.get_context(method or start_method())
        self._queue = context.Queue(maxsize=depth)
        self._process = context.Process(
            target=_produce, args=(self._queue, produce, kwargs, os.getpid()), name="leadpilot-import-reader", daemon=True
        )

    def __enter__(self) -> Iterator[Any]:
        self._process.start()
        return self._items()

    def _items(self) -> Iterator[Any]:
        while True:
            try:
                kind, payload = self._queue.get(timeout=_POLL_S)
            except queue_module.Empty:
                if not self._process.is_alive() and self._queue.empty():
                    raise RuntimeError(
                        f"the import's reader process stopped unexpectedly (exit code {self._process.exitcode})"
                    ) from None
                continue
            if kind == _DONE:
                return
            if kind == _ERROR:
                raise payload
            yield payload

    def __exit__(self, *exc_info: object) -> None:
        if self._process.is_alive():  # left early: the child may be blocked on a full queue
            self._process.terminate()
        self._process.join()
        self._queue.close()


def die_with_parent(parent_pid: int) -> None:
    """Make this (child) process end when its parent does, kill -9 included: on Linux the kernel
    sends SIGKILL at the parent's death (prctl PR_SET_PDEATHSIG); if the parent is already gone,
    exit now. Elsewhere a watchdog thread polls the parent (`os.getppid()` changes when it dies)."""
    import signal
    import sys

    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    else:
        def watch() -> None:
            while os.getppid() == parent_pid:
                threading.Event().wait(_POLL_S)
            os._exit(1)

        threading.Thread(target=watch, name="leadpilot-parent-watch", daemon=True).start()
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)


def _produce(queue: Any, produce: Callable[..., Iterator[Any]], kwargs: dict[str, Any], parent_pid: int | None = None) -> None:
    """The child: put each item, then DONE; or the exception (as itself when it pickles)."""
    if parent_pid is not None:
        die_with_parent(parent_pid)
    try:
        for item in produce(**kwargs):
            queue.put((_ITEM, item))
    except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
        try:
            pickle.dumps(error)
        except Exception:  # noqa: BLE001
            error = RuntimeError(f"{type(error).__name__}: {error}")
        queue.put((_ERROR, error))
    else:
        queue.put((_DONE, None))
    queue.close()
    queue.join_thread()
