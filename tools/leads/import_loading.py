"""Loading a read import into the store: the report of what happened to every row, the rejects
file, and each chunk's good rows upserted (and scored) in its own transaction, a chunk the
database refuses halved until the refused rows stand alone as rejects.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from leadpilot.memory.db import Database
from leadpilot.memory.email_consent import opt_out_column, suppress_opted_out
from leadpilot.memory.lead_batch import LeadBatch
from leadpilot.memory.leads import UpsertOutcome, upsert_lead_batch
from leadpilot.tools.leads.csv_headers import REJECTS_COLUMNS
from leadpilot.tools.leads.export import spreadsheet_safe
from leadpilot.tools.leads.import_reading import ParsedChunk, _FileFormat, _gc_paused, _rows_at_lines
from leadpilot.tools.scoring import rescore_leads
from leadpilot.tools.scoring import ScoringPolicy

_SHOWN_IN_SUMMARY = 10
# SQLite settings of the connection an import writes with: a 64 MB page cache (negative: KiB) and
# a checkpoint per 10,000 WAL pages (~40 MB) instead of per 1,000 (see _chunk_transactions).
SQLITE_IMPORT_PRAGMAS = {"cache_size": -64 * 1024, "wal_autocheckpoint": 10_000}


@dataclass
class ImportReport:
    """What an import did. rows_read == inserted + updated + len(rejected)."""

    path: Path
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    rejected: list[tuple[int, list[str]]] = field(default_factory=list)  # (line, reasons)
    warnings: list[tuple[int, str]] = field(default_factory=list)  # (line, message)
    extra_columns: list[str] = field(default_factory=list)  # kept in each lead's `extra`
    ignored_columns: list[str] = field(default_factory=list)  # id, score, tier: computed by Leadpilot
    rejects_path: Path | None = None  # None when no row was rejected
    duration_s: float = 0.0
    mapped_columns: dict[str, str] = field(default_factory=dict)  # header -> canonical field
    notes: list[str] = field(default_factory=list)
    delimiter: str = ","
    blank_rows: int = 0  # rows with no value at all; not leads, not counted as read
    scored: int = 0  # leads (re)scored with the rule policy during the import
    tier_moves: dict[str, int] = field(default_factory=dict)  # e.g. {"unscored->hot": 12}
    # (line, lead id, other lead id): a row stored beside a lead with its email and another external id
    likely_duplicates: list[tuple[int, int, int]] = field(default_factory=list)
    duplicate_leads: set[int] = field(default_factory=set)  # those leads, and their partners this import loaded
    closed_without_date: int = 0  # rows of a closed stage (customer, lost) without a close date
    unassigned_owners: dict[str, list[int]] = field(default_factory=dict)  # owner name that is no rep -> its rows' lines
    opted_out: int = 0  # addresses the file marks as opted out of email, newly added to the suppression list

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated

    def summary(self) -> str:
        """A few lines a person can read: counts, then the first rejects and warnings."""
        rate = f", {self.rows_read / self.duration_s:,.0f} rows/s" if self.duration_s > 0 else ""
        lines = [
            f"Imported {self.path.name}: {self.rows_read:,} rows read, {self.inserted:,} inserted, "
            f"{self.updated:,} updated, {len(self.rejected):,} rejected, {len(self.warnings):,} warnings "
            f"({self.duration_s:.2f} s{rate})."
        ]
        if self.rejects_path is not None:
            lines.append(f"Rejected rows are in {self.rejects_path} with their reasons; fix them there and import that file.")
        lines += _listed("Rejected", [(line, "; ".join(reasons)) for line, reasons in self.rejected])
        lines += _listed("Warnings", self.warnings)
        if self.duplicate_leads:
            count = len(self.duplicate_leads)
            lines.append(
                f"{count:,} {'row shares' if count == 1 else 'rows share'} an email with another record that has a different "
                "external id: stored separately, flagged as likely duplicates (see each lead's profile, or 'find duplicates of' it)."
            )
        if self.closed_without_date:
            count = self.closed_without_date
            lines.append(
                f"{count:,} closed {'lead has' if count == 1 else 'leads have'} no close date (a Converted Date, Close Date or "
                "Became a Customer Date column): counted as won or lost, but in no period's win rate or 'won last month'."
            )
        if self.extra_columns:
            lines.append("Kept in extra: " + ", ".join(self.extra_columns))
        if self.opted_out:
            lines.append(f"{self.opted_out:,} {'address is' if self.opted_out == 1 else 'addresses are'} marked as opted out of email "
                         "in the file: added to the suppression list (no nurture or outbox email goes to them).")
        if self.ignored_columns:
            lines.append("Ignored: " + ", ".join(self.ignored_columns))
        if self.scored:
            moves = ", ".join(f"{move} {count:,}" for move, count in sorted(self.tier_moves.items()))
            lines.append(f"Scored {self.scored:,} leads with the rule policy" + (f" ({moves})." if moves else "."))
        lines += [f"Note: {note}" for note in self.notes]
        if self.blank_rows:
            lines.append(f"Skipped {self.blank_rows:,} blank rows.")
        return "\n".join(lines)


def _listed(title: str, items: Sequence[tuple[int, str]]) -> list[str]:
    if not items:
        return []
    lines = [f"{title}:"] + [f"  line {line}: {message}" for line, message in items[:_SHOWN_IN_SUMMARY]]
    if len(items) > _SHOWN_IN_SUMMARY:
        lines.append(f"  ... and {len(items) - _SHOWN_IN_SUMMARY:,} more")
    return lines


class _RejectsFile:
    """The rejects CSV, opened on the first reject: _line, _errors, then the row's original cells
    (each spreadsheet-safe, see export.spreadsheet_safe)."""

    def __init__(self, path: Path, *, headers: Sequence[str], delimiter: str, encoding: str):
        # A rejects file being re-imported already has _line/_errors: do not nest them.
        self._keep = [i for i, header in enumerate(headers) if header not in REJECTS_COLUMNS]
        self._headers = [headers[i] for i in self._keep]
        self._width = len(headers)
        self.path = path
        self._delimiter = delimiter
        self._encoding = encoding
        self._handle: TextIO | None = None
        self._writer = None

    def write(self, line: int, row: list[str], reasons: list[str]) -> None:
        if self._writer is None:
            # surrogateescape: a row rejected for a stray non-UTF-8 byte is written back byte for byte
            self._handle = self.path.open("w", encoding=self._encoding, errors="surrogateescape", newline="")
            self._writer = csv.writer(self._handle, delimiter=self._delimiter)
            self._writer.writerow(["_line", "_errors", *self._headers])
        cells = [row[i] for i in self._keep] if len(row) == self._width else row
        # Opened in a spreadsheet to be fixed: a formula shows as text (a cell already marked with ' is
        # the file's own and stays as it was, so the fixed file imports exactly like the original).
        cells = [cell if cell[:1] == "'" else spreadsheet_safe(cell) for cell in cells]
        self._writer.writerow([line, "; ".join(reasons), *cells])

    @property
    def written(self) -> bool:
        return self._writer is not None

    def __enter__(self) -> _RejectsFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._handle is not None:
            self._handle.close()


class _Importer:
    """The state of one import: the report, the rejects file and the rows the database refused."""

    def __init__(
        self, transaction: Callable[[], AbstractContextManager[Session]], *, now: datetime, actor: str, report: ImportReport,
        rejects: _RejectsFile, policy: ScoringPolicy | None,
    ):
        self.transaction, self.now, self.actor, self.policy = transaction, now, actor, policy
        self.report = report
        self.rejects = rejects
        self.refused: dict[int, list[str]] = {}  # line -> reasons; their cells are read again at the end
        self.first_inserted: int | None = None  # the lowest lead id this import inserted

    def reject(self, line: int, row: list[str], reasons: list[str]) -> None:
        self.report.rejected.append((line, reasons))
        self.rejects.write(line, row, reasons)

    def apply(self, chunk: ParsedChunk) -> None:
        """Record a read chunk's counts, rejects and warnings, then upsert its rows in one transaction."""
        self.report.rows_read += chunk.rows_read
        self.report.blank_rows += chunk.blank_rows
        self.report.closed_without_date += chunk.closed_without_date
        for line, row, reasons in chunk.rejects:
            self.reject(line, row, reasons)
        self.report.warnings.extend(chunk.warnings)
        for owner, lines in chunk.unassigned_owners.items():
            self.report.unassigned_owners.setdefault(owner, []).extend(lines)
        if chunk.lines:
            with _gc_paused():
                self._load(chunk.lines, chunk.batch)

    def _load(self, lines: list[int], batch: LeadBatch) -> None:
        """If the database refuses a chunk, halve it until the refused rows stand alone as rejects."""
        try:
            with self.transaction() as session:
                outcome = upsert_lead_batch(session, batch=batch, actor=self.actor)
                self._suppress_opted_out(session, batch)
                if self.policy is not None:  # scored in the same transaction: no lead is stored unscored
                    scored = rescore_leads(
                        session, policy=self.policy, now=self.now, lead_ids=sorted({i for _, i in outcome.actions}), actor=self.actor
                    )
                    self.report.scored += scored.scored
                    for move, count in scored.tier_moves.items():
                        self.report.tier_moves[move] = self.report.tier_moves.get(move, 0) + count
        except (DataError, IntegrityError) as error:  # the data, not the connection: find the culprits
            if len(lines) > 1:
                middle = len(lines) // 2
                self._load(lines[:middle], batch.part(0, middle))
                self._load(lines[middle:], batch.part(middle, len(lines)))
                return
            message = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            reasons = [f"the database refused the row: {message}"]
            self.report.rejected.append((lines[0], reasons))
            self.refused[lines[0]] = reasons
            return
        self._tally(outcome, lines)

    def _suppress_opted_out(self, session: Session, batch: LeadBatch) -> None:
        """Addresses the file marks as opted out of email go on the suppression list (memory.email_consent)."""
        for index, extra in batch.extras.items():
            email = batch.email_of(index)
            if (column := opt_out_column(extra)) and suppress_opted_out(
                    session, email=email, detail=f"'{column}' checked in {self.report.path.name}", at=self.now):
                self.report.opted_out += 1

    def _tally(self, outcome: UpsertOutcome, lines: list[int]) -> None:
        self.report.inserted += outcome.inserted
        self.report.updated += outcome.updated
        self.report.warnings.extend((lines[index], message) for index, message in outcome.warnings)
        if outcome.duplicates:
            self._tally_duplicates(outcome, lines)
        elif outcome.inserted and self.first_inserted is None:
            self.first_inserted = min(lead_id for action, lead_id in outcome.actions if action == "inserted")

    def _tally_duplicates(self, outcome: UpsertOutcome, lines: list[int]) -> None:
        """The rows stored beside a lead with their email; their partner counts too when this import loaded it."""
        inserted = [lead_id for action, lead_id in outcome.actions if action == "inserted"]
        if inserted:
            self.first_inserted = min(inserted + ([self.first_inserted] if self.first_inserted is not None else []))
        for index, other_id in outcome.duplicates:
            lead_id = outcome.actions[index][1]
            self.report.likely_duplicates.append((lines[index], lead_id, other_id))
            self.report.duplicate_leads.add(lead_id)
            if self.first_inserted is not None and other_id >= self.first_inserted:
                self.report.duplicate_leads.add(other_id)

    def write_refused(self, path: Path, file_format: _FileFormat) -> None:
        """The rows the database refused, into the rejects file with their cells read again from the
        file (rarely needed, so the cells of good rows are never kept or shipped between processes)."""
        if not self.refused:
            return
        cells = _rows_at_lines(path, file_format, set(self.refused))
        for line, reasons in sorted(self.refused.items()):
            self.rejects.write(line, cells.get(line, []), reasons)



@contextlib.contextmanager
def _chunk_transactions(db: Database) -> Iterator[Callable[[], AbstractContextManager[Session]]]:
    """Where each chunk's transaction runs. SQLite: all on one connection that, for the import, keeps
    more of the indexes in its page cache and checkpoints its write-ahead log every ~40 MB rather
    than at every chunk's commit (each checkpoint writes the pages back and syncs the file), then
    checkpoints once and is set back. Each chunk still commits on its own."""
    if db.dialect != "sqlite":
        yield db.transaction
        return
    with db.engine.connect() as connection:
        saved = {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in SQLITE_IMPORT_PRAGMAS}
        for name, value in SQLITE_IMPORT_PRAGMAS.items():
            connection.exec_driver_sql(f"PRAGMA {name} = {int(value)}")
        connection.commit()

        @contextlib.contextmanager
        def transaction() -> Iterator[Session]:
            with db.sessions(bind=connection) as session, session.begin():
                yield session

        try:
            yield transaction
        finally:
            connection.rollback()  # only if a chunk's failure left one open
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").all()  # never waits for readers
            for name, value in saved.items():
                connection.exec_driver_sql(f"PRAGMA {name} = {int(value)}")
            connection.commit()

