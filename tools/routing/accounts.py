"""Declared accounts: `leadpilot accounts import FILE.csv` (domain or company -> owner, optional
team), kept in the store beside the policy's own `accounts:` section.

A declared account wins over the ownership inferred from owned leads; the policy's entries win over
imported ones for the same domain or company. A bad row is reported with its line number and
reason; good rows still load. Importing the same domain (or company, when a row has no domain)
again updates its owner and team.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadpilot.memory.company_names import company_key
from leadpilot.memory.models import Rep
from leadpilot.memory.routing_state import RoutingAccount

HEADERS = {"domain": "domain", "website": "domain", "company": "company", "account": "company", "company_name": "company",
           "owner": "owner", "owner_email": "owner", "rep": "owner", "team": "team"}


class AccountsImportError(ValueError):
    """The file cannot be read as an accounts CSV; the message says what to fix."""


@dataclass
class AccountsImport:
    added: int = 0
    updated: int = 0
    problems: list[str] = field(default_factory=list)  # "line 4: owner zed@x.co is not a rep — ..."

    def to_dict(self) -> dict[str, Any]:
        return {"added": self.added, "updated": self.updated, "problems": self.problems}


def _domain(text: str) -> str | None:
    value = text.strip().lower()
    value = re.sub(r"^https?://", "", value).removeprefix("www.").split("/")[0]
    return value if re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", value) else None


def csv_text(path: Path, error: type[ValueError]) -> str:
    """A CSV file's text (a spreadsheet's byte-order mark dropped); `error` says what is wrong with the file."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder — give the CSV file") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not a UTF-8 text file — save it as CSV (UTF-8)") from None


def import_accounts(session: Session, *, path: Path, now: datetime) -> AccountsImport:
    """Load an accounts CSV (headers: domain and/or company, owner (rep email), optional team)."""
    reader = csv.DictReader(io.StringIO(csv_text(path, AccountsImportError)))
    columns = {name: HEADERS.get((name or "").strip().lower().replace(" ", "_")) for name in reader.fieldnames or []}
    if "owner" not in columns.values() or not ({"domain", "company"} & set(columns.values())):
        raise AccountsImportError(f"{path}: the header needs owner and domain or company (optional: team), e.g. "
                                  "domain,company,owner,team — found: " + ", ".join(reader.fieldnames or ["nothing"]))
    reps = {email.lower() for email in session.scalars(select(Rep.email))}
    report = AccountsImport()
    for line, raw in enumerate(reader, start=2):
        row = {columns[k]: (v or "").strip() for k, v in raw.items() if k in columns and columns[k]}
        owner = row.get("owner", "").lower()
        domain = _domain(row["domain"]) if row.get("domain") else None
        company = row.get("company") or None
        if row.get("domain") and domain is None:
            report.problems.append(f"line {line}: {row['domain']!r} is not a web domain — write it like acme.com")
            continue
        if not (domain or company):
            report.problems.append(f"line {line}: no domain or company — give one")
            continue
        if owner not in reps:
            report.problems.append(f"line {line}: owner {owner or '(empty)'!r} is not a rep — use a rep's email (see the roster)")
            continue
        key = company_key(company)
        existing = (session.scalar(select(RoutingAccount).where(RoutingAccount.domain == domain)) if domain else
                    session.scalar(select(RoutingAccount).where(RoutingAccount.domain.is_(None), RoutingAccount.company_key == key)))
        if existing is None:
            session.add(RoutingAccount(domain=domain, company=company, company_key=key, owner_email=owner, team=row.get("team") or None,
                                       source=Path(path).name[:200], updated_at=now))
            report.added += 1
        else:
            existing.company, existing.company_key = company or existing.company, key or existing.company_key
            existing.owner_email, existing.team, existing.source, existing.updated_at = owner, row.get("team") or None, Path(path).name[:200], now
            report.updated += 1
        session.flush()
    return report


def list_accounts(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(select(RoutingAccount).order_by(func.coalesce(RoutingAccount.domain, RoutingAccount.company)))
    return [{"domain": r.domain, "company": r.company, "owner": r.owner_email, "team": r.team, "source": r.source} for r in rows]
