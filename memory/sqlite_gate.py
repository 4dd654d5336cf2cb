"""One writer at a time per SQLite file within this process, queued in Python.

SQLite has one write lock per file. A writer that finds it taken waits in SQLite's busy handler,
which polls with sleeps that grow to 100 ms: under a steady mix of writers (the capture API's
requests and the pipeline workers in one `leadpilot serve`) the lock is often free while every
waiter sleeps, and a short capture transaction waited behind sleeping neighbours (57 captures/s
on 2 cores). Here a thread takes the file's gate before the statement that opens its write
transaction (the driver begins one before the first INSERT, UPDATE, DELETE or REPLACE) and hands
it on, first come first served, when the transaction ends. Writers in other processes still meet
SQLite's busy handler, as before.

Never worse than SQLite alone: a thread that already holds the gate on another connection, or
that waited longer than the busy timeout, goes on without it and SQLite decides, as it always did.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import deque

_OPENING = ("INSERT", "UPDATE", "DELETE", "REPLAC")  # statements before which the driver BEGINs


class WriteGate:
    """A first-come-first-served lock that is handed from one writer to the next."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiters: deque[threading.Lock] = deque()
        self._held = False
        self.owner: int | None = None  # thread id of the holder

    def acquire(self, timeout_s: float) -> bool:
        """True when the gate is now this thread's; False to go on without it."""
        me = threading.get_ident()
        with self._mutex:
            if self.owner == me:
                return False
            if not self._held:
                self._held, self.owner = True, me
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        handed = turn.acquire(timeout=timeout_s)
        with self._mutex:
            if not handed:
                try:
                    self._waiters.remove(turn)
                except ValueError:  # handed over just as the wait ran out
                    handed = True
            if handed:
                self.owner = me
            return handed

    def release(self) -> None:
        with self._mutex:
            self.owner = None
            if self._waiters:
                self._waiters.popleft().release()  # stays held: the next writer's now
            else:
                self._held = False


_GATES: dict[str, WriteGate] = {}
_GATES_LOCK = threading.Lock()


def gate_for(path: str) -> WriteGate:
    key = os.path.realpath(path)
    with _GATES_LOCK:
        return _GATES.setdefault(key, WriteGate())


class GatedConnection(sqlite3.Connection):
    """sqlite3's connection (pass as `factory=`) whose write transactions go through the file's gate."""

    def __init__(self, database, *args, **kwargs) -> None:
        super().__init__(database, *args, **kwargs)
        self._gate = None if str(database) in ("", ":memory:") or str(database).startswith("file:") else gate_for(str(database))
        self._timeout_s = float(kwargs.get("timeout", args[0] if args else 5.0))
        self._holds = False

    def cursor(self, factory=None):  # noqa: D102 — SQLAlchemy executes through cursors
        return super().cursor(factory or GatedCursor)

    def before_statement(self, sql: str) -> None:
        if self._gate is not None and not self._holds and not self.in_transaction and sql.lstrip()[:6].upper() in _OPENING:
            self._holds = self._gate.acquire(self._timeout_s)

    def after_statement(self) -> None:
        if self._holds and not self.in_transaction:  # autocommit: the write is over already
            self._let_go()

    def _let_go(self) -> None:
        if self._holds:
            self._holds = False
            self._gate.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.after_statement()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.after_statement()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._let_go()


class GatedCursor(sqlite3.Cursor):
    def execute(self, sql, parameters=(), /):
        self.connection.before_statement(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            self.connection.after_statement()

    def executemany(self, sql, parameters, /):
        self.connection.before_statement(sql)
        try:
            return super().executemany(sql, parameters)
        finally:
            self.connection.after_statement()
