"""Which account owners a lead tries before the rules, in order (account_matching in the policy):

1. the declared owner (the policy's `accounts:` or `leadpilot accounts import`), by domain — a lead
   at a subdomain (eu.acme.com) matches a declared acme.com unless `subdomains: false` — or company;
2. then, when that owner cannot take it, the owner of the company's latest open or won lead
   (inferred stickiness), if that is someone else. `account_matching.count: open` counts open leads
   only (a won customer no longer holds the account); the default, open_or_won, counts both.

A declared owner who cannot take the lead hands it on as `when_owner_unavailable` says (team, the
default; rules; queue:<name>) — engine.decide.

A personal mail domain (`personal_domains`: gmail.com, outlook.com, ... — `builtin` is
memory.lead_record.FREE_EMAIL_DOMAINS, the list import and enrichment use) never makes two leads one
account: such a lead is matched by company name only (when `match_on` has company).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadpilot.memory.vocab import OPEN_STAGES, Stage
from leadpilot.tools.routing.facts import AccountOwner, LeadFacts
from leadpilot.tools.routing.policy_outcomes import personal_domains

OPEN_ACCOUNT_STAGES = tuple(stage.value for stage in OPEN_STAGES)
ACCOUNT_STAGES = (*OPEN_ACCOUNT_STAGES, Stage.CUSTOMER.value)  # the default: open or won


def account_stages(matching: Any) -> tuple[str, ...]:
    """The stages of the leads that make their company an owned account (`account_matching.count`)."""
    return OPEN_ACCOUNT_STAGES if matching.count == "open" else ACCOUNT_STAGES


def sticky_keys(lead: LeadFacts, matching: Any) -> Sequence[str]:
    """The keys the lead's account is matched on: `match_on`, without domain for a personal mail domain."""
    match_on = matching.match_on
    if lead.domain and lead.domain in personal_domains(matching.personal_domains) and "domain" in match_on:
        return tuple(key for key in match_on if key != "domain")
    return match_on


def account_owners(lead: LeadFacts, inferred: AccountOwner | None, *, snapshot: Any, matching: Any) -> list[AccountOwner]:
    """The account owners to try, in order: the declared one, then the inferred one (another rep).
    `inferred` is the router's find (store.AccountIndex / find_account_owner), asked with sticky_keys
    and account_stages: which leads make an account is decided there, once."""
    declared = snapshot.accounts.owner_of(lead, match_on=sticky_keys(lead, matching), reps=snapshot.reps) if snapshot.accounts else None
    if declared is None:
        return [inferred] if inferred is not None else []
    if inferred is None or inferred.rep_id == declared.rep_id:
        return [declared]
    return [declared, inferred]
