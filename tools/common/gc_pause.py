"""Bulk work with the cyclic garbage collector paused.

A bulk job (a re-score, an import chunk) allocates hundreds of thousands of tuples and strings,
none of them in a reference cycle; each automatic collection would scan them all again, which
costs 10-20% of such a job. Reference counting still frees everything as usual; the collector
runs again, as before, once the block ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic collector off for the block, then as it was (process-wide: keep the block to the bulk work)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
