"""Which account owners a lead tries before the rules, in order (account_matching in the policy):

1. the declared owner (the policy's `accounts:` or `leadpilot accounts import`), by domain — a lead
   at a subdomain (eu.acme.com) matches a declared acme.com unless `subdomains: false` — or company;
2. then, when that owner cannot take it, the owner of the company's latest open or won lead
   (inferred stickiness), if that is someone else.

A personal mail domain (`personal_domains`: gmail.com, outlook.com, ... — `builtin` is
memory.lead_record.FREE_EMAIL_DOMAINS, the list import and enrichment use) never makes two leads one
account: such a lead is matched by company name only (when `match_on` has company).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadpilot.tools.routing.facts import AccountOwner, LeadFacts
from leadpilot.tools.routing.policy_outcomes import personal_domains


def sticky_keys(lead: LeadFacts, matching: Any) -> Sequence[str]:
    """The keys the lead's account is matched on: `match_on`, without domain for a personal mail domain."""
    match_on = matching.match_on
    if lead.domain and lead.domain in personal_domains(matching.personal_domains) and "domain" in match_on:
        return tuple(key for key in match_on if key != "domain")
    return match_on


def account_owners(lead: LeadFacts, inferred: AccountOwner | None, *, snapshot: Any, matching: Any) -> list[AccountOwner]:
    """The account owners to try, in order: the declared one, then the inferred one (another rep).
    `inferred` is the router's find (store.AccountIndex / find_account_owner, asked with sticky_keys)."""
    if inferred is not None and inferred.matched_on == "domain" and "domain" not in sticky_keys(lead, matching):
        inferred = None  # a caller that did not ask with sticky_keys: a personal domain is no account
    declared = snapshot.accounts.owner_of(lead, match_on=sticky_keys(lead, matching), reps=snapshot.reps) if snapshot.accounts else None
    if declared is None:
        return [inferred] if inferred is not None else []
    if inferred is None or inferred.rep_id == declared.rep_id:
        return [declared]
    return [declared, inferred]
