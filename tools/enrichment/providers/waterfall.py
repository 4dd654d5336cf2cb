"""The provider waterfall: per kind, ask providers in order, stop at the first validated answer.

Before spending, `estimate` shows what a lookup may cost (cached answers are free). A budget cap
skips a provider rather than overspending; an open circuit breaker skips a provider that keeps
failing; every failure falls through to the next provider and is recorded with its reason.
Answers (and "no match") are cached in the store with a TTL.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from leadpilot.memory.enrichment_cache import cached_answer, store_answer
from leadpilot.tools.enrichment.fields import Enrichment
from leadpilot.tools.enrichment.providers.base import Answer, LookupQuery, Provider, ProviderFailure

# The field that makes an answer "validated" for each kind.
REQUIRED_FIELD = {"company": "company_name", "person": "job_title", "email_find": "email", "email_verify": "email_status"}
DEFAULT_ORDER: dict[str, tuple[str, ...]] = {
    "company": ("clearbit", "apollo", "companies_house"),
    "person": ("apollo", "clearbit"),
    "email_find": ("hunter",),
    "email_verify": ("hunter",),
}


@dataclass
class CreditBudget:
    cap: float
    spent: float = 0.0

    def allows(self, cost: float) -> bool:
        return self.spent + cost <= self.cap + 1e-9

    def charge(self, cost: float) -> None:
        self.spent += cost


@dataclass
class CircuitBreaker:
    """Open after `threshold` consecutive failures; half-open (one try) after `cooldown_s`."""

    threshold: int = 3
    cooldown_s: float = 60.0
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    opened_at: float | None = None

    def allows(self) -> bool:
        return self.opened_at is None or self.clock() - self.opened_at >= self.cooldown_s

    def record(self, ok: bool) -> None:
        if ok:
            self.failures, self.opened_at = 0, None
            return
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = self.clock()


@dataclass(frozen=True)
class PlannedStep:
    provider: str
    cost: float  # credits if this provider is reached and charges
    cached: bool


@dataclass
class Waterfall:
    providers: dict[str, Provider]
    order: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_ORDER))
    cache_ttl: timedelta = timedelta(days=30)
    miss_ttl: timedelta = timedelta(days=7)
    breakers: dict[str, CircuitBreaker] = field(default_factory=dict)

    def _chain(self, kind: str) -> list[Provider]:
        return [self.providers[name] for name in self.order.get(kind, ()) if name in self.providers and kind in self.providers[name].costs]

    def estimate(self, session: Session, *, kind: str, query: LookupQuery, now: datetime) -> list[PlannedStep]:
        """The steps a lookup would take and their worst-case cost; shown before spending."""
        steps = []
        for provider in self._chain(kind):
            cached = cached_answer(session, provider=provider.name, kind=kind, query_key=query.key(), now=now) is not None
            steps.append(PlannedStep(provider.name, 0.0 if cached else provider.costs[kind], cached))
        return steps

    def lookup(self, session: Session, *, kind: str, query: LookupQuery, budget: CreditBudget, now: datetime) -> Enrichment:
        """The first validated answer for this kind, as sourced fields; every attempt is logged."""
        out = Enrichment()
        required = REQUIRED_FIELD[kind]
        key = query.key()
        for provider in self._chain(kind):
            attempt: dict[str, Any] = {"kind": kind, "provider": provider.name, "cost": 0.0}
            out.attempts.append(attempt)
            entry = cached_answer(session, provider=provider.name, kind=kind, query_key=key, now=now)
            if entry is not None:
                attempt["outcome"] = "cache_hit" if entry.found else "cache_miss"
                if entry.found and (entry.payload or {}).get(required):
                    _put(out, provider.name, entry.payload or {})
                    return out
                continue
            cost = provider.costs[kind]
            if not budget.allows(cost):
                attempt.update(outcome="skipped_budget", detail=f"needs {cost:g} credits, {budget.cap - budget.spent:g} left")
                continue
            breaker = self.breakers.setdefault(provider.name, CircuitBreaker())
            if not breaker.allows():
                attempt.update(outcome="circuit_open", detail=f"{breaker.failures} failures in a row")
                continue
            started = time.perf_counter()
            try:
                answer = provider.lookup(kind, query)
            except ProviderFailure as failure:
                breaker.record(False)
                attempt.update(outcome=failure.kind, detail=failure.detail, ms=round((time.perf_counter() - started) * 1000))
                continue
            breaker.record(True)
            attempt["ms"] = round((time.perf_counter() - started) * 1000)
            found = answer is not None and bool(answer.fields.get(required))
            charged = cost if (found or provider.charges_on_miss) else 0.0
            budget.charge(charged)
            attempt.update(outcome="hit" if found else "no_match", cost=charged)
            payload = {k: v for k, v in (answer.fields if answer else {}).items() if v is not None}
            store_answer(session, provider=provider.name, kind=kind, query_key=key, found=found, payload=payload or None,
                         credits=charged, now=now, expires_at=now + (self.cache_ttl if found else self.miss_ttl))
            if found:
                _put(out, provider.name, payload)
                return out
        return out


def _put(out: Enrichment, provider: str, payload: dict[str, Any]) -> None:
    for name, value in payload.items():
        out.put(name, value, source=f"provider:{provider}", confidence=0.95)


def parse_order(text: str | None) -> dict[str, tuple[str, ...]]:
    """'company=apollo,clearbit;person=clearbit' -> per-kind order (kinds not named keep the default)."""
    order = dict(DEFAULT_ORDER)
    for part in (text or "").split(";"):
        if "=" in part:
            kind, names = part.split("=", 1)
            order[kind.strip()] = tuple(n.strip() for n in names.split(",") if n.strip())
    return order


def waterfall_from_settings(settings: Any, *, providers: Sequence[Provider] | None = None) -> Waterfall:
    """The waterfall over every provider that has a key in settings."""
    from leadpilot.tools.enrichment.providers.base import HttpPolicy

    if providers is None:
        from leadpilot.tools.enrichment.providers.apollo import ApolloProvider
        from leadpilot.tools.enrichment.providers.clearbit import ClearbitProvider
        from leadpilot.tools.enrichment.providers.companies_house import CompaniesHouseProvider
        from leadpilot.tools.enrichment.providers.hunter import HunterProvider

        policy = HttpPolicy(timeout_s=settings.enrichment_timeout_s, retries=settings.enrichment_retries)
        built: list[Provider] = []
        for key, make in ((settings.clearbit_api_key, ClearbitProvider), (settings.hunter_api_key, HunterProvider),
                          (settings.apollo_api_key, ApolloProvider), (settings.companies_house_api_key, CompaniesHouseProvider)):
            if key is not None:
                built.append(make(api_key=key.get_secret_value(), policy=policy))
        providers = built
    return Waterfall(providers={p.name: p for p in providers}, order=parse_order(settings.enrichment_order),
                     cache_ttl=timedelta(days=settings.enrichment_cache_days))
