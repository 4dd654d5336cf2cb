"""Reading a lead CSV for an import: the file's encoding and delimiter, its physical lines, the
header mapped, and each row built into a record and validated, a chunk of good rows at a time.

Touches only the file (never the database, apart from the reps' names read up front), so the
chunks can be read in a second process while the first writes (see tools/common/worker_process).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gc
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import select

from leadpilot.memory.crm_engagement import engagement_key
from leadpilot.memory.db import Database
from leadpilot.memory.lead_batch import LeadBatch, LeadEncoder
from leadpilot.memory.lead_record import (
    CLOSED_LOST_KEY, CONTACT_STATUS_FIELD, DEAL_STATUS_FIELD, ENGAGEMENT_FIELD, LeadValidationError, ValidatedLead, validate_lead,
)
from leadpilot.memory.models import Rep
from leadpilot.tools.leads.csv_headers import HeaderMapping, expected_headers_hint, map_headers
from leadpilot.tools.leads.export import read_spreadsheet_safe

_DELIMITERS = (",", ";", "\t")
_SAMPLE_BYTES = 64 * 1024
_SNIFF_ROWS = 20
DEFAULT_MAX_FIELD_CHARS = 32 * 1024 * 1024  # LEADPILOT_IMPORT_MAX_FIELD_CHARS: the longest cell (a long note)
_SURROGATE_ESCAPE = re.compile("[\udc80-\udcff]")  # how surrogateescape keeps a byte that is not UTF-8


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (empty, not UTF-8, no identifying column)."""


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
        rows: list[list[str]] = []
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        while len(rows) <= _SNIFF_ROWS:
            try:
                rows.append(next(reader))
            except StopIteration:
                break
            except csv.Error:  # e.g. a CR inside a cell this delimiter leaves unquoted: not the delimiter
                continue
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
            if "field limit" in str(error):
                message = (f"a cell in lines {line}-{reader.line_num} is longer than {csv.field_size_limit():,} characters "
                           "(LEADPILOT_IMPORT_MAX_FIELD_CHARS); an unclosed quote, or raise the limit")
            else:
                message = f"CSV syntax error ({error}) in lines {line}-{reader.line_num}; an unclosed quote, or a line break outside quotes?"
            on_syntax_error(line, message)
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
        # CRM engagement columns (counts, dates) stay in extra as written and become activities too (memory.crm_engagement)
        self._engagement = [(column, label) for column, label in self._extra if engagement_key(label) is not None]
        self._first = mapping.first_name
        self._last = mapping.last_name
        self._deal_status = mapping.deal_status[0] if mapping.deal_status else None
        self._contact_status = mapping.contact_status[0] if mapping.contact_status else None
        self._owner_columns = [(column, labels[column]) for column in mapping.fields.get("owner_email", ())]
        # field -> the file's own column name, where it is not the field's ("No. of Employees" for company_size)
        self._column_of = {name: labels[columns[0]] for name, columns in mapping.fields.items()
                           if len(columns) == 1 and labels[columns[0]] != name}
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
        if self._deal_status is not None and (status := row[self._deal_status].strip()):
            raw[DEAL_STATUS_FIELD] = status
        if self._contact_status is not None and (status := row[self._contact_status].strip()):
            raw[CONTACT_STATUS_FIELD] = status
        if self._engagement and (cells := {label: extra[label] for _, label in self._engagement if label in extra}):
            raw[ENGAGEMENT_FIELD] = cells
        if (self._first or self._last) and not raw.get("contact_name", "").strip():
            if full_name := " ".join(part for part in (self._first_of(row, self._first), self._first_of(row, self._last)) if part):
                raw["contact_name"] = full_name
        warnings: list[str] = []
        owner = raw.get("owner_email", "").strip()
        if owner and "@" not in owner:
            self._resolve_owner_name(owner, row, raw, extra, warnings)
        return raw, extra, warnings

    def reason(self, problem: object) -> str:
        """A validation problem as the person who knows the file reads it: with its own column's name."""
        column = self._column_of.get(getattr(problem, "field", ""))
        return f"column {column!r}: {problem}" if column else str(problem)

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
        warnings.append(UNASSIGNED_OWNER + owner)  # counted per name, one warning for the file (unassigned_owner_warnings)


# --- reading the rows, a chunk at a time -----------------------------------------------------


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
    if "company" not in mapping.fields and "email" not in mapping.fields:  # every row would be refused for it
        raise ImportFileError(f"{path.name} has no column read as company or email, and every lead needs one of them. "
                              + _company_or_email_hint(mapping) + " See docs/csv-mapping.md for the headers read.")
    return mapping


def _company_or_email_hint(mapping: HeaderMapping) -> str:
    """Which kept columns look like the company or the email, by their names, and the fix."""
    looks = [(label, "email" if "mail" in label.lower() else "company") for label in mapping.extra_columns
             if any(word in label.lower() for word in ("mail", "compan", "account", "organi", "business"))]
    if not looks:
        return "Add a 'company' or 'email' column (or rename the one that holds them)."
    return "Rename " + " and ".join(f"{label!r} to {field!r}" for label, field in looks) + " if they hold them."


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
    closed_without_date: int = 0  # good rows of a closed stage (customer, lost) with no close date
    # An owner cell naming no rep (a Salesforce queue such as "Web Leads Queue"): name -> the lines of its good rows.
    unassigned_owners: dict[str, list[int]] = field(default_factory=dict)


UNASSIGNED_OWNER = "\x00unassigned owner:"  # a row's marker for an owner name that matches no rep


def unassigned_owner_warnings(owners: dict[str, list[int]]) -> list[tuple[int, str]]:
    """One warning per owner name that is not a rep (a queue, a former employee), at its first line, for
    the whole file: "84 rows name 'Web Leads Queue', which is not a rep — left unassigned; ..."."""
    return [
        (lines[0], f"{len(lines):,} {'row names' if len(lines) == 1 else 'rows name'} {owner!r}, which is not a rep — "
                   "left unassigned (the name kept in extra); add it as a queue in config/routing.yaml or a rep with "
                   "`leadpilot reps import`")
        for owner, lines in owners.items()
    ]


_UNKNOWN_STAGE = "stage: unknown stage, stored as LEAD (got "  # memory.lead_record's warning, then the value's repr


def one_warning_per_unknown_stage(warnings: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The file's "unknown stage" warnings as one per distinct value (a CRM's own status is on many rows), at
    its first line, with how many rows have it; every other warning as it was."""
    lines_of: dict[str, list[int]] = {}
    kept: list[tuple[int, str]] = []
    for line, message in warnings:
        if message.startswith(_UNKNOWN_STAGE) and message.endswith(")"):
            lines_of.setdefault(message[len(_UNKNOWN_STAGE):-1], []).append(line)
        else:
            kept.append((line, message))
    kept += [
        (lines[0], f"stage: {len(lines):,} {'row has' if len(lines) == 1 else 'rows have'} the status {value}, which is no "
                   "known stage: stored as LEAD (the status kept as written in extra.stage_raw)")
        for value, lines in lines_of.items()
    ]
    return kept


def use_field_limit(max_field_chars: int) -> None:
    """csv's longest cell (process-wide; the default 131,072 would refuse a long note)."""
    csv.field_size_limit(max_field_chars)


def _nul_column(row: list[str], headers: list[str]) -> str | None:
    for index, cell in enumerate(row):
        if "\x00" in cell:
            return headers[index] if index < len(headers) else f"column {index + 1}"
    return None


def read_chunks(
    *, path: Path, file_format: _FileFormat, rep_emails_by_name: dict[str, str | None], now: datetime, chunk_size: int,
    driver: str, max_field_chars: int = DEFAULT_MAX_FIELD_CHARS,
) -> Iterator[ParsedChunk]:
    """The hot loop: read, build and validate each row, a chunk of chunk_size good rows at a time,
    each chunk's good rows encoded for the database `driver` (see memory.lead_batch.LeadEncoder).

    Touches only the file (never the database), so it can run in another process; the last chunk
    is not `full` (and may be empty).
    """
    encoder = LeadEncoder.for_driver(driver)
    use_field_limit(max_field_chars)  # here too: a spawned reader process starts with csv's default
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
                joined = "\x1f".join(row)  # one scan in C for the rare cells below
                if "\x00" in joined:
                    column = _nul_column(row, mapping.headers)
                    chunk.rejects.append((line, [c.replace("\x00", "") for c in row], [
                        f"{column}: holds a NUL byte (0x00), which no text column can store (a damaged file?); "
                        "remove it (e.g. tr -d '\\000') and import this row again"]))
                    continue
                values = row  # a reject keeps the file's own cells (`row`), so the rejects file imports the same way
                if "\x1f'" in joined or joined[:1] == "'":  # a cell starting with the text marker export adds
                    values = [read_spreadsheet_safe(cell) if cell[:1] == "'" else cell for cell in row]
                raw, extra, warnings = builder.build(values)
                try:
                    record = validate_lead(raw, now=now)
                except LeadValidationError as error:
                    chunk.rejects.append((line, row, [builder.reason(problem) for problem in error.problems]))
                    continue
                if extra:
                    record.extra = {**extra, **record.extra}
                if record.closed_without_date and CLOSED_LOST_KEY not in record.extra:
                    chunk.closed_without_date += 1
                for message in warnings:
                    if message.startswith(UNASSIGNED_OWNER):
                        chunk.unassigned_owners.setdefault(message[len(UNASSIGNED_OWNER):], []).append(line)
                    else:
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
