"""A CRM file's email opt-out columns: which imported addresses must not be emailed.

CRMs export the person's email consent as a checkbox column — Zoho and Salesforce reports "Email
Opt Out", Salesforce's API `HasOptedOutOfEmail`, HubSpot "Unsubscribed from all email"
(`hs_email_optout`); Freshsales writes a "Subscription status" (Subscribed, Not subscribed,
Unsubscribed: only Unsubscribed opts out). The CSV import keeps such a column in the lead's `extra` as written and adds
every address whose cell is checked to the suppression list (memory.outbox.EmailSuppression,
reason `unsubscribed`), so nurture emails and the outbox never write to someone who opted out in
the CRM. A later file whose cell is unchecked does not lift the suppression: re-subscribing is the
person's act, not an export's.

A CRM pull reads the same consent from the record itself — HubSpot's `hs_email_optout` ("true"),
Salesforce's `HasOptedOutOfEmail` (true) — and suppresses the address the same way
(`suppress_opted_out`, detail naming the CRM, the field and the record); a later pull where it is
false lifts nothing either.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from leadpilot.memory.crm_engagement import header_key

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

OPT_OUT_COLUMNS: tuple[str, ...] = (
    "Email Opt Out", "Email Opt-Out", "HasOptedOutOfEmail", "Unsubscribed from all email", "hs_email_optout",
    "Opted out of email", "Do Not Email", "Email Unsubscribed", "Subscription status",
)
_KEYS = frozenset(header_key(column) for column in OPT_OUT_COLUMNS)
_CHECKED = frozenset({"true", "yes", "y", "1", "x", "checked", "opted out", "unsubscribed"})


def opt_out_column(extra: Mapping[str, Any]) -> str | None:
    """The opt-out column of a record's kept cells whose value is checked ("true", "Yes", "1", "x"),
    or None: not opted out, or the file says nothing."""
    for label, value in extra.items():
        if header_key(label) in _KEYS and is_checked(value):
            return label
    return None


def is_checked(value: Any) -> bool:
    """A checkbox cell or CRM boolean that says yes (True, "true", "Yes", "1", "x")."""
    return value is True or (value is not None and value is not False and str(value).strip().lower() in _CHECKED)


def suppress_opted_out(session: Session, *, email: str | None, detail: str, at: datetime) -> bool:
    """Put `email` on the suppression list (reason `unsubscribed`) unless it is there already (an
    earlier unsubscribe or bounce keeps its own reason); True when it was added now."""
    from leadpilot.memory.outbox import suppress, suppressed

    if not email or not email.strip() or suppressed(session, email=email) is not None:
        return False
    suppress(session, email=email, reason="unsubscribed", detail=detail, at=at)
    return True
