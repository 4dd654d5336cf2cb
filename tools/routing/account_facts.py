"""Declared accounts as routing sees them: the policy's `accounts:` and the imported ones, by domain
and by company key (plain facts; the store reads the imported ones, tools/routing/accounts.py
imports them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from leadpilot.tools.routing.facts import AccountOwner, LeadFacts, RepFacts
from leadpilot.tools.routing.policy import RoutingPolicy


@dataclass(frozen=True)
class DeclaredAccount:
    domain: str | None
    company: str | None
    owner: str  # rep email
    team: str | None
    origin: str  # "policy accounts[0]" | "imported accounts"
    when_owner_unavailable: str | None = None  # team | rules | queue:<name>; None: account_matching's
    when_team_unavailable: str | None = None  # rules | queue:<name>; None: account_matching's


class DeclaredAccounts:
    """Accounts declared in the policy (`accounts:`) and imported (`leadpilot accounts import`), by
    domain and by company key. The policy's entries win over imported ones for the same key."""

    def __init__(self, entries: Iterable[DeclaredAccount], *, subdomains: bool = True):
        from leadpilot.memory.company_names import company_key

        self._key = company_key
        self.subdomains = subdomains  # eu.acme.com matches a declared acme.com
        self.by_domain: dict[str, DeclaredAccount] = {}
        self.by_company: dict[str, DeclaredAccount] = {}
        for entry in entries:
            if entry.domain:
                self.by_domain.setdefault(entry.domain.lower(), entry)
            if entry.company and (key := company_key(entry.company)):
                self.by_company.setdefault(key, entry)

    def __bool__(self) -> bool:
        return bool(self.by_domain or self.by_company)

    def owner_of(self, lead: LeadFacts, *, match_on: Sequence[str], reps: Mapping[str, RepFacts]) -> AccountOwner | None:
        for key in match_on:
            if key == "domain" and lead.domain:
                entry, value = self.by_domain.get(lead.domain), lead.domain
                if entry is None and self.subdomains and lead.domain.count(".") > 1:
                    entry, value = self._parent(lead.domain)
            elif key == "company" and lead.company:
                entry, value = self.by_company.get(self._key(lead.company) or ""), lead.company
            else:
                continue
            if entry is not None:
                rep = reps.get(entry.owner)
                return AccountOwner(rep.id if rep else -1, key, value, None, entry.company, None, entry.origin, entry.team,
                                    entry.when_owner_unavailable, entry.when_team_unavailable)
        return None


    def _parent(self, domain: str) -> tuple[DeclaredAccount | None, str]:
        """The declared account of the nearest parent domain (eu.acme.com -> acme.com), said as such."""
        labels = domain.split(".")
        for start in range(1, len(labels) - 1):
            parent = ".".join(labels[start:])
            if (entry := self.by_domain.get(parent)) is not None:
                return entry, f"{domain}, a subdomain of {parent}"
        return None, domain


def declared_accounts(policy: RoutingPolicy, imported: Iterable[DeclaredAccount] = ()) -> DeclaredAccounts:
    entries = [DeclaredAccount(a.domain, a.company, a.owner, a.team, f"policy accounts[{i}]", a.when_owner_unavailable,
                               a.when_team_unavailable)
               for i, a in enumerate(policy.accounts)]
    return DeclaredAccounts([*entries, *imported], subdomains=policy.account_matching.subdomains is not False)
