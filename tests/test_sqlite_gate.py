"""The SQLite write gate (memory/sqlite_gate.py): writers of one process queue in Python, first come
first served, and a writer never waits on itself."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text

from leadpilot.memory.db import open_database
from leadpilot.memory.sqlite_gate import WriteGate, gate_for


def test_the_gate_is_handed_to_writers_in_the_order_they_came() -> None:
    gate, order = WriteGate(), []
    assert gate.acquire(1.0)
    assert gate.acquire(1.0) is False  # the holder's thread, on another connection: goes on without waiting

    def writer(name: str) -> None:
        assert gate.acquire(5.0)
        order.append(name)
        gate.release()

    threads = []
    for name in "abc":
        threads.append(threading.Thread(target=writer, args=(name,)))
        threads[-1].start()
        time.sleep(0.05)  # queued one after another
    gate.release()
    for thread in threads:
        thread.join(5)
    assert order == ["a", "b", "c"]


def test_a_writer_that_waited_past_its_timeout_goes_on_without_the_gate() -> None:
    gate, answers = WriteGate(), []
    assert gate.acquire(1.0)
    waiter = threading.Thread(target=lambda: answers.append(gate.acquire(0.05)))
    waiter.start()
    waiter.join(5)
    gate.release()
    assert answers == [False] and gate.acquire(0.05)  # nobody left in the queue: free again


def test_concurrent_write_transactions_all_commit_through_the_gate(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'gate.db'}")
    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE hits (n INTEGER)"))
    gate = gate_for(str(tmp_path / "gate.db"))

    def write() -> None:
        for n in range(50):
            with db.transaction() as session:
                session.execute(text("INSERT INTO hits VALUES (:n)"), {"n": n})
                assert gate.owner == threading.get_ident()  # held from the first write to the commit

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    with db.session() as session:
        assert session.scalar(text("SELECT count(*) FROM hits")) == 200
    assert gate.owner is None
    db.dispose()
