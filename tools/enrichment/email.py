"""Email address checks: syntax, free-mail, disposable, role address, corporate domain."""

from __future__ import annotations

import re
from dataclasses import dataclass

from leadpilot.memory.lead_record import FREE_EMAIL_DOMAINS

_SYNTAX = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
# Throwaway-inbox services: a small bundled list of the common ones (no lookup at run time).
DISPOSABLE_DOMAINS = frozenset(
    {
        "mailinator.com", "guerrillamail.com", "guerrillamail.net", "sharklasers.com", "10minutemail.com",
        "temp-mail.org", "tempmail.com", "tempmail.net", "yopmail.com", "trashmail.com", "getnada.com",
        "dispostable.com", "maildrop.cc", "throwawaymail.com", "fakeinbox.com", "mintemail.com",
        "emailondeck.com", "burnermail.io", "mailnesia.com", "spamgourmet.com", "moakt.com", "tempr.email",
    }
)
# Mailboxes that belong to a function, not a person.
ROLE_LOCAL_PARTS = frozenset(
    {
        "info", "sales", "support", "admin", "contact", "hello", "team", "office", "billing", "marketing",
        "hr", "jobs", "careers", "noreply", "no-reply", "webmaster", "postmaster", "help", "enquiries",
        "inquiries", "accounts", "press", "legal", "privacy", "security", "service", "customerservice",
    }
)


@dataclass(frozen=True)
class EmailCheck:
    email: str
    valid_syntax: bool
    domain: str | None
    free_mail: bool
    disposable: bool
    role_address: bool
    corporate_domain: str | None  # the company's domain when the address is a work address


def check_email(*, email: str) -> EmailCheck:
    address = email.strip().lower()
    valid = len(address) <= 254 and bool(_SYNTAX.match(address))
    local, _, domain = address.rpartition("@")
    if not valid:
        return EmailCheck(address, False, domain or None, False, False, False, None)
    free = domain in FREE_EMAIL_DOMAINS
    disposable = domain in DISPOSABLE_DOMAINS
    role = local.split("+", 1)[0] in ROLE_LOCAL_PARTS
    corporate = None if (free or disposable) else domain
    return EmailCheck(address, True, domain, free, disposable, role, corporate)
