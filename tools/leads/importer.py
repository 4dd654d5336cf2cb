"""Import leads from a CSV file: canonical columns, HubSpot or Salesforce exports.

The file is streamed with the csv module, each row is validated on its own and the good rows are
upserted a chunk at a time, each chunk in its own transaction: a crash keeps the chunks already
committed, and re-running the same file is safe because the upsert matches existing leads. A bad
row never stops the import: it is reported with the physical line where it starts, written to a
rejects file with its reasons, and the rest still loads. Nothing is dropped silently:
rows_read == inserted + updated + len(rejected). Nothing is merged silently either: a row whose
email is on a lead with another external id is stored as its own lead, both flagged as likely
duplicates, and the report says how many.

Reading and validating the rows is import_reading; the report, the rejects file and the chunk
transactions are import_loading; this module runs an import from one to the other.
"""

from __future__ import annotations

import contextlib
import csv
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from leadpilot.memory.db import Database
from leadpilot.memory.lead_batch import driver_key
from leadpilot.tools.common import PIPELINE_MIN_BYTES, pipeline_available, run_in_worker
from leadpilot.tools.leads.import_loading import ImportReport, _chunk_transactions, _Importer, _RejectsFile
from leadpilot.tools.leads.import_reading import (
    DEFAULT_MAX_FIELD_CHARS,
    ImportFileError,
    _detect_format,
    _LineSource,
    _read_header,
    _rep_emails_by_name,
    one_warning_per_unknown_stage,
    read_chunks,
    unassigned_owner_warnings,
    use_field_limit,
)
from leadpilot.tools.scoring import ScoringPolicy

ProgressCallback = Callable[[int, int], None]


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
    max_field_chars: int = DEFAULT_MAX_FIELD_CHARS,
) -> ImportReport:
    """Import a lead CSV into the store and report what happened to every row.

    `on_progress(bytes_read, file_size_in_bytes)` is called after each committed chunk and once
    at the end (with bytes_read == file size), so a progress bar needs no pre-count of rows.
    Raises ImportFileError, before anything is written, for a file that cannot be imported at all.
    With a scoring `policy`, every inserted or updated lead is (re)scored in its chunk's transaction.

    A cell may hold up to `max_field_chars` characters (a long note); a longer one rejects its row.
    A file of at least `pipeline_min_bytes` (None: never) is read and validated in a second process
    while this one writes the previous chunk (see tools/common/worker_process.py); the result is the same.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    started = time.perf_counter()
    use_field_limit(max_field_chars)
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
            "driver": driver_key(db.engine.dialect), "max_field_chars": max_field_chars,
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
    report.warnings += unassigned_owner_warnings(report.unassigned_owners)  # one per name, not one per row
    report.warnings = one_warning_per_unknown_stage(report.warnings)  # likewise per unknown status
    report.warnings.sort(key=lambda item: item[0])
    report.rejected.sort(key=lambda item: item[0])
    report.likely_duplicates.sort()
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

