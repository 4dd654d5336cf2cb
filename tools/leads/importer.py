"""Import leads from a CSV file: canonical columns, HubSpot or Salesforce exports.

The file is streamed with the csv module, each row is validated on its own and the good rows are
upserted a chunk at a time, each chunk in its own transaction: a crash keeps the chunks already
committed, and re-running the same file is safe because the upsert matches existing leads. A bad
row never stops the import: it is reported with the physical line where it starts, written to a
rejects file with its reasons, and the rest still loads. Nothing is dropped silently:
rows_read == inserted + updated + len(rejected).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gc
import io
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Protocol, TextIO

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from leadpilot.memory.db import Database
from leadpilot.memory.lead_record import LeadValidationError, ValidatedLead, validate_lead
from leadpilot.memory.leads import LeadBatch, LeadEncoder, UpsertOutcome, driver_key, upsert_lead_batch
from leadpilot.memory.models import Rep
from leadpilot.tools.common import PIPELINE_MIN_BYTES, pipeline_available, run_in_worker
from leadpilot.tools.leads.csv_headers import REJECTS_COLUMNS, HeaderMapping, expected_headers_hint, map_headers
from leadpilot.tools.scoring import rescore_leads
from leadpilot.tools.scoring import ScoringPolicy

ProgressCallback = Callable[[int, int], None]

_DELIMITERS = (",", ";", "\t")
_SAMPLE_BYTES = 64 * 1024
_SNIFF_ROWS = 20
_SHOWN_IN_SUMMARY = 10
_SURROGATE_ESCAPE = re.compile("[\udc80-\udcff]")  # how surrogateescape keeps a byte that is not UTF-8
# SQLite settings of the connection an import writes with: a 64 MB page cache (negative: KiB) and
# a checkpoint per 10,000 WAL pages (~40 MB) instead of per 1,000 (see _chunk_transactions).
SQLITE_IMPORT_PRAGMAS = {"cache_size": -64 * 1024, "wal_autocheckpoint": 10_000}


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (empty, not UTF-8, no identifying column)."""


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
        if self.extra_columns:
            lines.append("Kept in extra: " + ", ".join(self.extra_columns))
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


# --- reading the file -------------------------------------------------------------------------


class _CsvReader(Protocol):
    line_num: int  # physical lines read so far

    def __iter__(self) -> Iterator[list[str]]: ...

    def __next__(self) -> list[str]: ...


@dataclass(frozen=True)
class _FileFormat:
    encoding: str
    delimiter: str
    has_bom: bool
    hint_lines: int  # 1 when the file starts with Excel's "sep=;" line
    cr_only: bool  # classic Mac line ends ("\r" without "\n")


def _detect_format(path: Path) -> _FileFormat:
    """Encoding (UTF-8 with or without BOM, UTF-16 with BOM) and delimiter, from the file's start."""
    with path.open("rb") as handle:
        sample = handle.read(_SAMPLE_BYTES)
    if not sample.strip():
        raise ImportFileError(f"{path.name} is empty: expected a header row and at least one lead")
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, has_bom = "utf-16", True
    else:
        encoding, has_bom = "utf-8-sig", sample.startswith(codecs.BOM_UTF8)
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"{path.name} is not UTF-8 (byte 0x{sample[error.start]:02x} at offset {error.start}); "
            "save it as 'CSV UTF-8' (Excel) or convert it, e.g. iconv -f latin1 -t utf-8"
        ) from None
    cr_only = "\r" in text and "\n" not in text
    first_line = text.splitlines()[0].strip() if text.strip() else ""
    if first_line.lower().startswith("sep=") and len(first_line) == 5:
        return _FileFormat(encoding, first_line[4], has_bom, hint_lines=1, cr_only=cr_only)
    return _FileFormat(encoding, _sniff_delimiter(text), has_bom, hint_lines=0, cr_only=cr_only)


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header into the most columns; on a tie, the one whose next
    rows have as many cells as the header; then comma, semicolon, tab."""

    def score(delimiter: str) -> tuple[int, int]:
        rows = list(islice(csv.reader(io.StringIO(text), delimiter=delimiter), _SNIFF_ROWS + 1))
        if not rows:
            return (0, 0)
        width = len(rows[0])
        body = rows[1:-1] if len(rows) > 2 else rows[1:]  # the sample may cut the last row short
        return (width, sum(len(row) == width for row in body))

    return max(_DELIMITERS, key=score)


class _LineSource:
    """The file's physical lines as text, for csv.reader, with the bytes read so far for progress.

    UTF-8 files are decoded line by line, so a stray byte that is not UTF-8 (a name pasted from
    another system) spoils only its own row: it is kept as a surrogate escape, the line is noted
    and the row is rejected with the byte, while the rest of the file loads. UTF-16 and classic
    Mac files go through the text layer, where such a byte stops the import.
    """

    def __init__(self, path: Path, file_format: _FileFormat):
        self._file = path.open("rb")
        self._format = file_format
        self.bad_lines: set[int] = set()

    def __iter__(self) -> Iterator[str]:
        if self._format.encoding == "utf-16" or self._format.cr_only:
            yield from io.TextIOWrapper(self._file, encoding=self._format.encoding, newline="")
            return
        for number, raw in enumerate(self._file, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                line = raw.decode("utf-8", "surrogateescape")
                self.bad_lines.add(number)
            yield line.removeprefix("\ufeff") if number == 1 else line

    def bytes_read(self) -> int:
        return self._file.tell()

    def __enter__(self) -> _LineSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._file.close()


def _undecodable_byte(row: list[str]) -> int | None:
    """The first byte of the row that was not UTF-8 (kept as a surrogate escape), if any."""
    for cell in row:
        if match := _SURROGATE_ESCAPE.search(cell):
            return ord(match.group()) - 0xDC00
    return None


def _numbered_rows(reader: _CsvReader, on_syntax_error: Callable[[int, str], None]) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, cells): correct across quoted multi-line fields."""
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # e.g. an unclosed quote swallowing the file up to the field limit
            on_syntax_error(line, f"CSV syntax error ({error}) in lines {line}-{reader.line_num}; an unclosed quote?")
            continue
        yield line, row


# --- turning a row into a record --------------------------------------------------------------


def _name_key(name: str) -> str:
    return " ".join(name.lower().split())


def _rep_emails_by_name(db: Database) -> dict[str, str | None]:
    """Rep name -> email, so CRM owner columns holding a name resolve; None marks an ambiguous name."""
    emails: dict[str, str | None] = {}
    with db.session() as session:
        for name, email in session.execute(select(Rep.name, Rep.email)):
            key = _name_key(name)
            emails[key] = None if key in emails else email
    return emails


class _RecordBuilder:
    """Turns a CSV row into the raw record validate_lead reads, plus the cells kept in `extra`."""

    def __init__(self, mapping: HeaderMapping, *, rep_emails_by_name: dict[str, str | None]):
        labels = mapping.labels
        self._single = [(name, columns[0]) for name, columns in mapping.fields.items() if len(columns) == 1]
        self._multi = [
            (name, [(column, labels[column]) for column in columns])
            for name, columns in mapping.fields.items()
            if len(columns) > 1
        ]
        self._extra = [(column, labels[column]) for column in mapping.extra]
        self._first = mapping.first_name
        self._last = mapping.last_name
        self._owner_columns = [(column, labels[column]) for column in mapping.fields.get("owner_email", ())]
        self._rep_emails = rep_emails_by_name

    def build(self, row: list[str]) -> tuple[dict[str, str], dict[str, str], list[str]]:
        """(raw record, extra cells, warnings) for one row of the right width."""
        raw: dict[str, str] = {}
        extra: dict[str, str] = {}
        for name, column in self._single:
            if value := row[column]:
                raw[name] = value
        for name, candidates in self._multi:
            chosen = None
            for column, label in candidates:
                value = row[column].strip()
                if not value:
                    continue
                if chosen is None:
                    chosen = raw[name] = value
                elif value != chosen:  # a second opinion (e.g. HubSpot "Lead Status"): kept, not lost
                    extra[label] = value
        for column, label in self._extra:
            if value := row[column].strip():
                extra[label] = value
        if (self._first or self._last) and not raw.get("contact_name", "").strip():
            if full_name := " ".join(part for part in (self._first_of(row, self._first), self._first_of(row, self._last)) if part):
                raw["contact_name"] = full_name
        warnings: list[str] = []
        owner = raw.get("owner_email", "").strip()
        if owner and "@" not in owner:
            self._resolve_owner_name(owner, row, raw, extra, warnings)
        return raw, extra, warnings

    @staticmethod
    def _first_of(row: list[str], columns: tuple[int, ...]) -> str:
        return next((value for column in columns if (value := row[column].strip())), "")

    def _resolve_owner_name(
        self, owner: str, row: list[str], raw: dict[str, str], extra: dict[str, str], warnings: list[str]
    ) -> None:
        """CRM owner columns often hold the owner's name: find the rep, or keep the name in extra."""
        email = self._rep_emails.get(_name_key(owner))
        if email is not None:
            raw["owner_email"] = email
            return
        del raw["owner_email"]
        label = next((label for column, label in self._owner_columns if row[column].strip() == owner), "owner")
        extra[label] = owner
        warnings.append(f"owner: {owner!r} is not an email address and matches no rep's name; lead left unassigned (kept in extra)")


# --- loading ----------------------------------------------------------------------------------


class _RejectsFile:
    """The rejects CSV, opened on the first reject: _line, _errors, then the row's original cells."""

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

    def reject(self, line: int, row: list[str], reasons: list[str]) -> None:
        self.report.rejected.append((line, reasons))
        self.rejects.write(line, row, reasons)

    def apply(self, chunk: ParsedChunk) -> None:
        """Record a read chunk's counts, rejects and warnings, then upsert its rows in one transaction."""
        self.report.rows_read += chunk.rows_read
        self.report.blank_rows += chunk.blank_rows
        for line, row, reasons in chunk.rejects:
            self.reject(line, row, reasons)
        self.report.warnings.extend(chunk.warnings)
        if chunk.lines:
            with _gc_paused():
                self._load(chunk.lines, chunk.batch)

    def _load(self, lines: list[int], batch: LeadBatch) -> None:
        """If the database refuses a chunk, halve it until the refused rows stand alone as rejects."""
        try:
            with self.transaction() as session:
                outcome = upsert_lead_batch(session, batch=batch, actor=self.actor)
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

    def _tally(self, outcome: UpsertOutcome, lines: list[int]) -> None:
        self.report.inserted += outcome.inserted
        self.report.updated += outcome.updated
        self.report.warnings.extend((lines[index], message) for index, message in outcome.warnings)

    def write_refused(self, path: Path, file_format: _FileFormat) -> None:
        """The rows the database refused, into the rejects file with their cells read again from the
        file (rarely needed, so the cells of good rows are never kept or shipped between processes)."""
        if not self.refused:
            return
        cells = _rows_at_lines(path, file_format, set(self.refused))
        for line, reasons in sorted(self.refused.items()):
            self.rejects.write(line, cells.get(line, []), reasons)


def _rows_at_lines(path: Path, file_format: _FileFormat, lines: set[int]) -> dict[int, list[str]]:
    """The cells of the records starting at these lines, read the way the import read them."""
    found: dict[int, list[str]] = {}
    with _LineSource(path, file_format) as source:
        reader: _CsvReader = csv.reader(source, delimiter=file_format.delimiter)
        _read_header(reader, path, hint_lines=file_format.hint_lines)
        with contextlib.suppress(UnicodeDecodeError):
            for line, row in _numbered_rows(reader, lambda line, message: None):
                if line in lines:
                    found[line] = row
                    if len(found) == len(lines):
                        break
    return found


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


def default_rejects_path(path: Path) -> Path:
    """leads.csv -> leads.rejects.csv, beside the input."""
    return path.with_name(path.stem + ".rejects.csv")


def import_leads_csv(
    db: Database,
    *,
    path: Path,
    now: datetime,
    rejects_path: Path | None = None,
    chunk_size: int = 5000,
    on_progress: ProgressCallback | None = None,
    actor: str = "import",
    policy: ScoringPolicy | None = None,
    pipeline_min_bytes: int | None = PIPELINE_MIN_BYTES,
) -> ImportReport:
    """Import a lead CSV into the store and report what happened to every row.

    `on_progress(bytes_read, file_size_in_bytes)` is called after each committed chunk and once
    at the end (with bytes_read == file size), so a progress bar needs no pre-count of rows.
    Raises ImportFileError, before anything is written, for a file that cannot be imported at all.
    With a scoring `policy`, every inserted or updated lead is (re)scored in its chunk's transaction.

    A file of at least `pipeline_min_bytes` (None: never) is read and validated in a second process
    while this one writes the previous chunk (see import_pipeline); the result is the same.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    started = time.perf_counter()
    path = Path(path)
    rejects_path = _checked_rejects_path(path, rejects_path)
    file_format = _detect_format(path)
    total_bytes = path.stat().st_size
    with _LineSource(path, file_format) as lines:
        mapping = _read_header(csv.reader(lines, delimiter=file_format.delimiter), path, hint_lines=file_format.hint_lines)
    report = ImportReport(
        path=path,
        extra_columns=mapping.extra_columns,
        ignored_columns=mapping.ignored_columns,
        mapped_columns=mapping.mapped_columns(),
        notes=list(mapping.notes),
        delimiter=file_format.delimiter,
    )
    encoding = "utf-8-sig" if file_format.has_bom else "utf-8"
    with (
        _RejectsFile(rejects_path, headers=mapping.headers, delimiter=file_format.delimiter, encoding=encoding) as rejects,
        _chunk_transactions(db) as transaction,
    ):
        importer = _Importer(transaction, now=now, actor=actor, report=report, rejects=rejects, policy=policy)
        owners = _rep_emails_by_name(db) if "owner_email" in mapping.fields else {}
        reading = {
            "path": path, "file_format": file_format, "rep_emails_by_name": owners, "now": now, "chunk_size": chunk_size,
            "driver": driver_key(db.engine.dialect),
        }
        if pipeline_min_bytes is not None and total_bytes >= pipeline_min_bytes and pipeline_available():
            chunks = run_in_worker(read_chunks, reading)  # the worker only reads the file; writes stay here
        else:
            chunks = contextlib.closing(read_chunks(**reading))
        try:
            with chunks as parsed:
                for chunk in parsed:
                    importer.apply(chunk)
                    if chunk.stopped_at is not None:  # only through the text layer (UTF-16, classic Mac files)
                        line, reason = chunk.stopped_at
                        raise ImportFileError(
                            f"{path.name} stops being {file_format.encoding} near line {line} ({reason}); "
                            f"the rows before it were imported ({report.inserted:,} inserted, {report.updated:,} updated). "
                            "Fix the file and import it again: rows already imported are updated, not duplicated."
                        )
                    if chunk.full and on_progress is not None:
                        on_progress(chunk.bytes_read, total_bytes)
        finally:
            importer.write_refused(path, file_format)
    report.warnings.sort(key=lambda item: item[0])
    report.rejected.sort(key=lambda item: item[0])
    report.rejects_path = rejects.path if rejects.written else None
    report.duration_s = time.perf_counter() - started
    if on_progress is not None:
        on_progress(total_bytes, total_bytes)
    return report


def _checked_rejects_path(path: Path, rejects_path: Path | None) -> Path:
    chosen = Path(rejects_path) if rejects_path is not None else default_rejects_path(path)
    if chosen.resolve() == path.resolve():
        raise ImportFileError(f"the rejects file cannot be the file being imported ({path})")
    return chosen


def _read_header(reader: _CsvReader, path: Path, *, hint_lines: int) -> HeaderMapping:
    """The first non-blank row, mapped; refuse a file none of whose columns identifies a lead."""
    for _ in range(hint_lines):
        next(reader, None)
    header = next(reader, None)
    while header is not None and not any(cell.strip() for cell in header):
        header = next(reader, None)
    if header is None:
        raise ImportFileError(f"{path.name} is empty: expected a header row and at least one lead")
    mapping = map_headers(header)
    if not mapping.identifies_leads:
        found = ", ".join(repr(h) for h in mapping.headers) or "none"
        raise ImportFileError(
            f"{path.name} has no column that identifies a lead. Found headers: {found}. "
            f"Expected {expected_headers_hint()}. See docs/csv-mapping.md."
        )
    return mapping


@dataclass
class ParsedChunk:
    """What reading the file up to the next chunk_size good rows produced, in file order.

    Plain data (picklable), so it can come from the reader process of a pipelined import: the
    good rows travel as a LeadBatch already encoded for the database, not as their cells.
    """

    rows_read: int = 0
    blank_rows: int = 0
    rejects: list[tuple[int, list[str], list[str]]] = field(default_factory=list)  # (line, cells, reasons)
    warnings: list[tuple[int, str]] = field(default_factory=list)  # (line, message)
    lines: list[int] = field(default_factory=list)  # the line of each good row, in the batch's order
    batch: LeadBatch | None = None  # the good rows, to upsert
    bytes_read: int = 0  # file position when the chunk was complete, for progress
    full: bool = False  # ended because chunk_size good rows were read (not at the end of the file)
    stopped_at: tuple[int, str] | None = None  # (line, reason): the text layer met bytes it cannot decode


def read_chunks(
    *, path: Path, file_format: _FileFormat, rep_emails_by_name: dict[str, str | None], now: datetime, chunk_size: int,
    driver: str,
) -> Iterator[ParsedChunk]:
    """The hot loop: read, build and validate each row, a chunk of chunk_size good rows at a time,
    each chunk's good rows encoded for the database `driver` (see memory.leads.LeadEncoder).

    Touches only the file (never the database), so it can run in another process; the last chunk
    is not `full` (and may be empty).
    """
    encoder = LeadEncoder.for_driver(driver)
    with _LineSource(path, file_format) as lines:
        reader: _CsvReader = csv.reader(lines, delimiter=file_format.delimiter)
        mapping = _read_header(reader, path, hint_lines=file_format.hint_lines)
        builder = _RecordBuilder(mapping, rep_emails_by_name=rep_emails_by_name)
        width = len(mapping.headers)
        bad_lines = lines.bad_lines
        chunk = ParsedChunk()
        records: list[ValidatedLead] = []

        def syntax_error(line: int, message: str) -> None:
            chunk.rows_read += 1
            chunk.rejects.append((line, [], [message]))

        paused = _gc_paused()  # only between yields: the consumer runs with the collector as it was
        paused.__enter__()
        try:
            for line, row in _numbered_rows(reader, syntax_error):
                if not any(row):
                    chunk.blank_rows += 1
                    continue
                chunk.rows_read += 1
                if len(row) != width:
                    chunk.rejects.append((line, row, [f"row has {len(row)} columns but the header has {width}; a stray delimiter or quote?"]))
                    continue
                if bad_lines and not bad_lines.isdisjoint(range(line, reader.line_num + 1)):
                    if (byte := _undecodable_byte(row)) is not None:
                        chunk.rejects.append((line, row, [f"not UTF-8 (byte 0x{byte:02x}); save the file as UTF-8 and import this row again"]))
                        continue
                raw, extra, warnings = builder.build(row)
                try:
                    record = validate_lead(raw, now=now)
                except LeadValidationError as error:
                    chunk.rejects.append((line, row, [str(problem) for problem in error.problems]))
                    continue
                if extra:
                    record.extra = {**extra, **record.extra}
                for message in warnings:
                    chunk.warnings.append((line, message))
                chunk.lines.append(line)
                records.append(record)
                if len(records) >= chunk_size:
                    chunk.full, chunk.bytes_read = True, lines.bytes_read()
                    chunk.batch = encoder.encode(records, now=now)
                    paused.__exit__(None, None, None)
                    yield chunk
                    paused.__enter__()
                    chunk, records = ParsedChunk(), []
        except UnicodeDecodeError as error:  # only through the text layer (UTF-16, classic Mac files)
            chunk.stopped_at = (reader.line_num + 1, error.reason)
        finally:
            paused.__exit__(None, None, None)
        chunk.batch = encoder.encode(records, now=now)
        yield chunk


class _gc_paused:  # noqa: N801
    """The cyclic garbage collector off while a chunk is read or written (~10% faster: a chunk
    allocates ~100,000 objects, none in a cycle, and each gen-0 pass would scan them); restored after."""

    _was_enabled: bool | None = None  # None: not paused

    def __enter__(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc_info: object) -> None:
        if self._was_enabled:
            gc.enable()
        self._was_enabled = None
