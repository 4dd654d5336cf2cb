"""Discovery campaigns: find companies, keep the ones that fit, de-duplicate, store them at DISCOVERY.

A campaign is a queued job (memory/campaigns.py). `run_next_campaign` claims one, asks its
provider for companies (a CSV/JSON file, or an OpenAI-compatible model), and then, in one
transaction, ingests them (tools/discovery/ingest.py: validate, filter by the criteria, match
against customers and leads, insert the new ones at DISCOVERY with an audit event, score them)
and closes the campaign with its counts.

found = new + duplicate_customers + duplicate_leads + rejected: every company is accounted for.
Re-running a campaign (or another over the same file) adds nothing twice: what the first run
stored is matched as an existing lead. A crash before the commit leaves no leads and a running
campaign whose heartbeat stops; it is re-queued after `stale_after` and runs again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadpilot.memory import campaigns as store
from leadpilot.memory.db import Database
from leadpilot.tools.discovery.company import Discovery, DiscoveryError
from leadpilot.tools.discovery.criteria import CampaignCriteria, CampaignError, parse_criteria

PROVIDERS = ("file", "llm")
STALE_AFTER = timedelta(minutes=10)  # no heartbeat for this long: the worker is gone
MAX_ATTEMPTS = 3
_WRITE_LOCK_KEY = 0x1EAD_CA3B  # PostgreSQL advisory lock: one campaign matches-and-inserts at a time

_log = logging.getLogger(__name__)

__all__ = ["CampaignError", "create_campaign", "get_campaign", "list_campaigns", "run_next_campaign"]


def create_campaign(
    session: Session,
    *,
    name: str,
    provider: str,
    criteria: dict[str, Any] | None,
    source_path: str | Path | None = None,
    now: datetime,
    actor: str,
) -> store.Campaign:
    """Validate and queue a campaign; raise CampaignError listing every problem and its fix."""
    problems: list[str] = []
    name = (name or "").strip()
    if not name or len(name) > 200:
        problems.append("name: give the campaign a name of 1 to 200 characters, e.g. 'Fintech EMEA Q1'")
    if provider not in PROVIDERS:
        problems.append(f"provider: {provider!r} is not a discovery provider; use file (a CSV/JSON of companies) or llm")
    try:
        parsed = parse_criteria(criteria)
    except CampaignError as error:
        problems.extend(error.problems)
        parsed = None
    path = None
    if provider == "file":
        if source_path is None or not str(source_path).strip():
            problems.append("file: the file provider needs a CSV or JSON file of companies (--file companies.csv)")
        else:
            from leadpilot.tools.discovery.file_provider import check_company_file

            path = Path(source_path).expanduser().resolve()
            try:
                check_company_file(path)
            except DiscoveryError as error:
                problems.append(f"file: {error}")
    elif provider == "llm":
        if source_path is not None:
            problems.append("file: the llm provider finds companies itself; leave out --file or use --provider file")
        if parsed is not None and not (parsed.industries or parsed.countries or parsed.keywords):
            problems.append("criteria: tell the model what to look for: at least one of --industry, --country, --keyword")
    if problems:
        raise CampaignError(problems)
    return store.add_campaign(
        session, name=name, provider=provider, criteria=parsed.as_dict(), source_path=str(path) if path else None,
        now=now, actor=actor,
    )


def get_campaign(session: Session, *, campaign_id: int) -> dict[str, Any]:
    """One campaign as data; LookupError when there is none with that id."""
    campaign = store.campaign_by_id(session, campaign_id=campaign_id)
    if campaign is None:
        raise LookupError(f"no campaign with id {campaign_id}; `leadpilot campaign list` shows them")
    return store.campaign_as_dict(campaign)


def list_campaigns(session: Session, *, limit: int = 100) -> list[dict[str, Any]]:
    """The newest campaigns first, as data."""
    return [store.campaign_as_dict(c) for c in store.recent_campaigns(session, limit=limit)]


class ClaimLost(RuntimeError):
    """This worker's claim on the campaign was taken over (it was re-queued as stale)."""


def run_next_campaign(
    db: Database,
    *,
    now: datetime,
    settings: Any,
    campaign_id: int | None = None,
    clock: Callable[[], datetime] | None = None,
    worker: str | None = None,
    stale_after: timedelta = STALE_AFTER,
    max_attempts: int = MAX_ATTEMPTS,
) -> int | None:
    """Claim one queued campaign (the oldest, or `campaign_id`), run it, record done or failed.

    Returns the campaign's id, or None when nothing was queued. Stale running campaigns are
    re-queued first. `clock` gives heartbeat and finish times (default: `now` throughout).
    """
    clock = clock or (lambda: now)
    worker = worker or store.worker_name()
    with db.transaction() as session:
        store.requeue_stale(session, now=now, stale_after=stale_after, max_attempts=max_attempts)
    with db.transaction() as session:
        claim = store.claim_next(session, now=now, worker=worker, campaign_id=campaign_id)
        if claim is None:
            return None
        campaign, token = claim
        job = (campaign.id, campaign.name, campaign.provider, campaign.source_path, dict(campaign.criteria))
    campaign_id, name, provider, source_path, raw_criteria = job
    from leadpilot.tools.discovery.ingest import ingest_discovery  # dedup, scoring: heavy imports, needed here only

    try:
        criteria = parse_criteria(raw_criteria)
        policy = _scoring_policy(settings)
        discovery = _discover(provider=provider, name=name, source_path=source_path, criteria=criteria, settings=settings)
        with db.transaction() as session:
            # A write first: it takes SQLite's write lock before any read, and checks the claim is still ours.
            if not store.beat(session, campaign_id=campaign_id, token=token, now=clock()):
                raise ClaimLost
            if session.get_bind().dialect.name == "postgresql":
                session.execute(select(func.pg_advisory_xact_lock(_WRITE_LOCK_KEY)))
            outcome = ingest_discovery(session, campaign_id=campaign_id, name=name, provider=provider,
                                       criteria=criteria, discovery=discovery, now=now, policy=policy)
            if not store.finish(session, campaign_id=campaign_id, token=token, now=clock(), status="done", **outcome.results()):
                raise ClaimLost  # rolls back every lead of this run: the new claimant stores them
    except ClaimLost:
        _log.warning("campaign %s was re-queued and claimed by another worker; this run's results were dropped", campaign_id)
    except (DiscoveryError, CampaignError, OSError) as error:
        _fail(db, campaign_id=campaign_id, token=token, now=clock(), error=str(error))
    except Exception as error:  # an unexpected failure still closes the campaign, saying what happened
        _log.exception("campaign %s failed", campaign_id)
        _fail(db, campaign_id=campaign_id, token=token, now=clock(), error=f"internal error ({type(error).__name__}): {error}")
    return campaign_id


def _scoring_policy(settings: Any):
    from leadpilot.tools.scoring import PolicyError, load_policy

    try:
        return load_policy(settings.scoring_policy)
    except PolicyError as error:
        raise DiscoveryError(f"the scoring policy cannot be loaded, so found leads cannot be scored: {error}") from None


def _discover(*, provider: str, name: str, source_path: str | None, criteria: CampaignCriteria, settings: Any) -> Discovery:
    if provider == "file":
        from leadpilot.tools.discovery.file_provider import read_company_file

        if not source_path:
            raise DiscoveryError("the campaign has no file; start a new one with --file companies.csv")
        return read_company_file(Path(source_path))
    if provider == "llm":
        from leadpilot.tools.discovery.llm_provider import discover_with_llm

        return discover_with_llm(name=name, criteria=criteria, settings=settings)
    raise DiscoveryError(f"unknown provider {provider!r}; use file or llm")


def _fail(db: Database, *, campaign_id: int, token: str, now: datetime, error: str) -> None:
    with db.transaction() as session:
        store.finish(session, campaign_id=campaign_id, token=token, now=now, status="failed", error=error[:4000])
