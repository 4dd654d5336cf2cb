"""The offline discovery provider: a CSV or JSON file of companies.

CSV: a header row, then one company a row (comma, semicolon or tab separated, UTF-8). JSON: a
list of objects, or {"companies": [...]}. Columns / keys: name, website (or domain), industry,
size (employees), country, state, city, description, and optionally contact_name, email, title;
anything else is kept with the lead. A row that cannot be used is rejected with its line number
and the reason; the other rows still count. A file that cannot be read at all fails the campaign.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from leadpilot.tools.discovery.company import (
    IDENTIFYING_KEYS,
    Discovery,
    DiscoveryError,
    Rejection,
    company_from_mapping,
    field_for_key,
)

MAX_FILE_BYTES = 50_000_000
MAX_COMPANIES = 10_000  # one run is one transaction; it must finish well inside the stale timeout
FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".json": "json"}
_EXPECTED = "name, website, industry, size, country, state, city, description (contact_name, email, title optional)"


def check_company_file(path: Path) -> str:
    """The file's format ("csv" or "json"); raise DiscoveryError when it cannot be a company file."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise DiscoveryError(f"{path}: unsupported file type {path.suffix or '(none)'!r}; use a .csv or .json file of companies")
    if not path.is_file():
        raise DiscoveryError(f"{path}: no such file; check the path (it is read by the worker that runs the campaign)")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DiscoveryError(f"{path}: {size:,} bytes is over the {MAX_FILE_BYTES:,}-byte limit; split the file into several campaigns")
    return kind


def read_company_file(path: Path) -> Discovery:
    """Every company in a CSV or JSON file, with the rows that cannot be used rejected."""
    kind = check_company_file(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise DiscoveryError(f"{path}: not UTF-8 text (byte {error.start}); save it as CSV UTF-8 or JSON") from None
    except OSError as error:
        raise DiscoveryError(f"{path}: cannot be read ({error.strerror}); check the file's permissions") from None
    discovery = _read_csv(path, text) if kind == "csv" else _read_json(path, text)
    if discovery.found > MAX_COMPANIES:
        raise DiscoveryError(f"{path}: {discovery.found:,} companies is over the limit of {MAX_COMPANIES:,}; split the file")
    return discovery


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _read_csv(path: Path, text: str) -> Discovery:
    lines = text.splitlines(keepends=True)
    reader = csv.reader(lines, delimiter=_delimiter("".join(lines[:20])))
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise DiscoveryError(f"{path}: the header row is not valid CSV ({error})") from None
    header = [h.strip() for h in header or []]
    if not any(field_for_key(h) == "company" for h in header):
        shown = ", ".join(h for h in header if h) or "(empty file)"
        raise DiscoveryError(
            f"{path}: no company name column (found: {shown}); the first row must name the columns, "
            f"one of them {' or '.join(IDENTIFYING_KEYS[:3])}. Expected columns: {_EXPECTED}"
        )
    discovery = Discovery()
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            discovery.rejections.append(Rejection(f"line {reader.line_num}", None, f"not valid CSV ({error})"))
            continue
        if not any(cell.strip() for cell in row):
            continue
        item = f"line {reader.line_num}"
        if len(row) > len(header):
            discovery.rejections.append(Rejection(
                item, row[0].strip() or None,
                f"{len(row)} values but {len(header)} columns; quote values that contain the delimiter",
            ))
            continue
        discovery.companies.append(company_from_mapping(dict(zip(header, row)), item=item))
    return discovery


def _read_json(path: Path, text: str) -> Discovery:
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as error:
        raise DiscoveryError(f"{path}: not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}") from None
    if isinstance(data, dict) and isinstance(data.get("companies"), list):
        data = data["companies"]
    if not isinstance(data, list):
        raise DiscoveryError(f'{path}: expected a JSON list of companies (or {{"companies": [...]}}), got {type(data).__name__}')
    return companies_from_items(data, label="company")


def companies_from_items(items: list[Any], *, label: str) -> Discovery:
    """Companies from a list of JSON objects; an item that is not an object is rejected."""
    discovery = Discovery()
    for number, item in enumerate(items, start=1):
        where = f"{label} {number}"
        if not isinstance(item, dict):
            discovery.rejections.append(Rejection(where, None, f"expected an object with name, website, ...; got {type(item).__name__}"))
            continue
        discovery.companies.append(company_from_mapping(item, item=where))
    return discovery
