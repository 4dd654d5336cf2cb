"""The one small interface every CRM connector speaks: pull the records changed since a cursor,
push a batch of changes, map a record's fields onto Leadpilot's. The outbox sender and the sync
know nothing else about a CRM."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class Pulled:
    """One CRM record as Leadpilot reads it."""

    crm_id: str
    modified: str  # the CRM's modification time (ISO 8601): the cursor moves past it
    fields: dict[str, Any]  # canonical lead fields (config/crm.yaml `fields`)
    owner_email: str | None = None  # the CRM user who owns it, matched to a rep by email
    stage: str | None = None  # Leadpilot stage from the CRM's lifecycle/status (config/crm.yaml `stages`)
    opted_out: str | None = None  # the CRM field that says the person opted out of email (hs_email_optout), when it does
    # The record's own activity log (Salesforce Tasks/Events, HubSpot emails/calls/meetings) as activities
    # (memory.crm_history); None: not read.
    history: list[Any] | None = None
    history_skipped: int = 0  # records of that log that are no activity (open to-dos, upcoming events, Leadpilot's own)
    history_kinds: tuple[str, ...] | None = None  # the activity kinds that log covers (None: calls, emails and meetings)


@dataclass
class Page:
    records: list[Pulled]
    after: str | None  # paging token for the next page of the same pull; None = the pull is complete
    total: int | None = None  # how many records the pull has, when the CRM says
    restart: bool = False  # the CRM will page no further: pull again from the newest record seen
    notes: list[str] = field(default_factory=list)  # what the pull could not read, said in the sync's report


@dataclass(frozen=True)
class Change:
    """One outbox row handed to a connector."""

    id: int
    key: str  # idempotency key, sent with the change
    kind: str  # contact | note | task
    lead_id: int | None
    payload: dict[str, Any]


@dataclass
class Pushed:
    """What a push did: the changes delivered, and the CRM ids learnt (lead id -> record id)."""

    sent: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)  # change id -> error (retried)
    notes: dict[int, str] = field(default_factory=dict)  # change id -> what was sent differently (kept with the sent change)
    cancelled: dict[int, str] = field(default_factory=dict)  # change id -> why it must not be sent (unsubscribed)
    links: dict[int, tuple[str, str | None]] = field(default_factory=dict)  # lead id -> (crm id, owner email)
    # Failed changes the receiver asked to hold back (its Retry-After, seconds): not retried sooner.
    retry_after: dict[int, float] = field(default_factory=dict)
    throttled: set[int] = field(default_factory=set)  # of those, rate-limited (429): waiting spends no attempt


class CrmError(RuntimeError):
    """The CRM did not take a request; retried with backoff. `status` and `body`: its answer, when it answered."""

    def __init__(self, message: str, status: int | None = None, body: str = ""):
        super().__init__(message)
        self.status, self.body = status, body


class RateLimited(CrmError):
    """The CRM asked us to slow down (HubSpot 429 + Retry-After, Salesforce REQUEST_LIMIT_EXCEEDED)."""

    def __init__(self, message: str, retry_after_s: float):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Connector(Protocol):
    name: str

    def check(self) -> str:
        """Who we are connected as (raises CrmError with the fix when the credentials are wrong)."""

    def pull(self, *, since: str | None, after: str | None, limit: int) -> Page:
        """Records modified after `since` (None: every record, the backfill), one page."""

    def push(self, changes: list[Change]) -> Pushed:
        """Deliver changes; each is idempotent under its key."""
